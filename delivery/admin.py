"""Operator pages of the delivery app (superusers; members use the console): sources,
destinations with their filters, and the read-only EventDelivery list with a replay action."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import get_deleted_objects
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from delivery.kinds.base import Kind
from delivery.kinds.registry import KINDS, kind_choices, kind_of
from delivery.models import (
    Destination,
    DestinationFilter,
    EventDelivery,
    Source,
    function_instances_owned,
)
from delivery.replay import deliveries_replay_selected
from delivery.routing.filters import (
    check_filter,
    destination_filter_create,
    destination_filter_delete,
)
from delivery.services import (
    destination_create,
    destination_delete,
    destination_update,
    insert_instance_create,
    source_create,
    source_delete,
    source_update,
)
from functions.admin_access import (
    WORKSPACE_FILTER,
    OperatorAdmin,
    actor_of,
    is_operator,
    require_in_admin,
)
from functions.models import FunctionClass, ResourceType
from functions.queries import latest_version
from functions.schema import validate_setting_values
from workspace.errors import DomainError
from workspace.permissions import Action, can


@admin.register(EventDelivery)
class EventDeliveryAdmin(OperatorAdmin):
    view_action = Action.DELIVERIES_VIEW
    list_display = (
        "message_id",
        "destination",
        "event_type",
        "status",
        "attempts",
        "error_type",
        "received_at",
        "next_attempt_at",
    )
    list_filter = (
        "status",
        "event_type",
        ("destination", admin.RelatedOnlyFieldListFilter),
        "received_at",
    )
    search_fields = ("message_id", "error_message")
    date_hierarchy = "received_at"
    list_select_related = ("destination",)
    actions = ["replay_failed"]
    readonly_fields = [field.name for field in EventDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, self.view_action, obj and obj.destination)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    @admin.action(description="Replay the selected failed deliveries", permissions=["replay"])
    def replay_failed(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        allowed: dict[Any, list[int]] = {}
        rows = queryset.select_related("workspace", "destination__source")
        for row in rows:
            if can(request.user, Action.DELIVERIES_REPLAY, row.workspace, row.destination):
                allowed.setdefault(row.workspace, []).append(row.pk)
        skipped = len(rows) - sum(len(ids) for ids in allowed.values())
        count = sum(
            deliveries_replay_selected(
                workspace=workspace,
                deliveries=EventDelivery.objects.filter(pk__in=ids),
                actor=actor_of(request),
            )
            for workspace, ids in allowed.items()
        )
        self.message_user(request, f"{count} failed deliveries sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} deliveries skipped: replaying needs the "
                "Source Admin role over their source.",
                messages.WARNING,
            )


# --- Sources, destinations and their filters -----------------------------------------------


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["workspace", "name", "enabled"]


@admin.register(Source)
class SourceAdmin(OperatorAdmin):
    form = SourceForm
    view_action = change_action = Action.SOURCE_ADMIN
    list_display = ("name", "write_key", "enabled", "workspace", "destination_count")
    list_filter = ("enabled", WORKSPACE_FILTER)
    search_fields = ("name", "id")
    readonly_fields = ("id", "write_key", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("id", "write_key", "workspace", "created_at") if obj else ("id", "write_key")

    @admin.display(description="destinations")
    def destination_count(self, source: Source) -> int:
        return source.destinations.count()

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            original = Source.objects.get(pk=obj.pk)
            require_in_admin(request, Action.SOURCE_ADMIN, original)
            source_update(
                source=original,
                actor=actor_of(request),
                name=data["name"],
                enabled=data["enabled"],
            )
            return
        if not can(request.user, Action.SOURCE_CREATE, data["workspace"]):
            raise PermissionDenied
        obj.pk = source_create(
            workspace=data["workspace"],
            actor=actor_of(request),
            name=data["name"],
            enabled=data["enabled"],
        ).pk

    def delete_model(self, request: HttpRequest, obj: Source) -> None:
        require_in_admin(request, Action.SOURCE_ADMIN, obj)
        source_delete(source=obj, actor=actor_of(request))


class DestinationForm(forms.ModelForm):
    """The fields every destination has; each kind's own come from `Kind.admin_fields`
    (`destination_form` adds them). `kind_request` is what clean() made of them."""

    insert_function = forms.ModelChoiceField(
        queryset=FunctionClass.objects.filter(resource_type=ResourceType.INSERT_DESTINATION),
        required=False,
        help_text="Connect an insert function in front of this destination (enabled at once).",
    )
    insert_settings = forms.JSONField(
        required=False, initial=dict, help_text="Settings of the insert function instance."
    )

    class Meta:
        model = Destination
        fields = ["source", "name", "kind", "enabled", "max_attempts"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind_request: tuple[str, Any] = ("", None)
        if "kind" in self.fields:
            self.fields["kind"] = forms.ChoiceField(choices=kind_choices)
        if not self.instance._state.adding:
            # Only functions of the destination's own workspace may be connected to it.
            insert = self.fields["insert_function"]
            assert isinstance(insert, forms.ModelChoiceField)
            insert.queryset = FunctionClass.objects.filter(
                workspace=self.instance.workspace, resource_type=ResourceType.INSERT_DESTINATION
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        source = data.get("source") or getattr(self.instance, "source", None)
        function = data.get("insert_function")
        if function is not None and source is not None and function.workspace != source.workspace:
            raise ValidationError(
                {"insert_function": "Choose a function of the source's workspace."}
            )
        if function is not None:
            schema = latest_version(function).settings_schema
            try:
                validate_setting_values(schema, data.get("insert_settings") or {})
            except DomainError as error:
                raise ValidationError({"insert_settings": error.message}) from None
        adding = self.instance._state.adding
        kind = KINDS.get(data.get("kind", "")) if adding else kind_of(self.instance)
        if kind is None:
            return data
        destination = None if adding else self.instance
        try:
            self.kind_request = kind.admin_settings(data, destination)
            if self.kind_request[1] is not None:
                kind.settings_checked(self.kind_request[1], destination)
        except DomainError as error:
            if error.field in self.fields:
                raise ValidationError({error.field: error.message}) from None
            raise ValidationError(error.message) from None
        return data


def destination_form(kinds: list[Kind], destination: Destination | None) -> type[DestinationForm]:
    """The form with the fields of `kinds`, to create a destination or change `destination`."""
    fields: dict[str, forms.Field] = {}
    for kind in kinds:
        fields.update(kind.admin_fields(destination))
    return type("DestinationForm", (DestinationForm,), fields)


class DestinationFilterForm(forms.ModelForm):
    class Meta:
        model = DestinationFilter
        fields = ["title", "expression", "action", "fields", "percent", "enabled"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            check_filter(
                data.get("expression"), data.get("action"), data.get("fields"), data.get("percent")
            )
        except DomainError as error:
            field = "expression" if error.field is None or error.field == "if" else error.field
            raise ValidationError({field: error.message}) from None
        return data


class DestinationFilterInline(admin.TabularInline):
    model = DestinationFilter
    form = DestinationFilterForm
    fields = ("title", "expression", "action", "fields", "percent", "enabled")
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # filters are replaced (deleted and added), never edited in place

    # The destination's own change permission (Source Admin) guards the whole page.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request)


@admin.register(Destination)
class DestinationAdmin(OperatorAdmin):
    form = DestinationForm
    view_action = Action.DESTINATION_VIEW
    change_action = Action.DESTINATION_CHANGE
    inlines = [DestinationFilterInline]
    list_display = (
        "name",
        "source",
        "kind_label",
        "target",
        "insert_function_label",
        "enabled",
        "deliveries",
    )
    list_filter = ("kind", "enabled", WORKSPACE_FILTER)
    # Not the kinds' settings: a search by a webhook URL's text would reveal a token one
    # character at a time.
    search_fields = ("name", "id")
    list_select_related = ("source", "function_instance__function")

    def _kinds(self, obj: Destination | None) -> list[Kind]:
        return list(KINDS.values()) if obj is None else [kind_of(obj)]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = destination_form(self._kinds(obj), obj)
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        kind_fields = [name for kind in self._kinds(obj) for name in kind.admin_fields(obj)]
        if obj is None:
            return ("source", "name", "kind", "enabled", *kind_fields, "max_attempts")
        base = ["id", "source", "name", "kind_label", "enabled", "max_attempts"]
        if obj.insert_instance_id is not None:
            base.append("insert_function_label")
        else:
            base += ["insert_function", "insert_settings"]
        if obj.function_instance_id is not None:
            base.append("function_instance")
        return (*base, *kind_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("id", "source", "kind_label", "function_instance", "insert_function_label")

    @admin.display(description="kind", ordering="kind")
    def kind_label(self, destination: Destination) -> str:
        kind = KINDS.get(destination.kind)
        return kind.label if kind is not None else destination.kind

    @admin.display(description="target")
    def target(self, destination: Destination) -> str:
        return kind_of(destination).summary(destination)

    @admin.display(description="insert function")
    def insert_function_label(self, destination: Destination) -> str:
        instance = destination.insert_instance
        if instance is None:
            return "-"
        url = reverse("admin:functions_functioninstance_change", args=[instance.pk])
        state = "enabled" if instance.enabled else "disabled"
        return format_html(
            '<a href="{}">{}</a> ({}, version {})',
            url,
            instance.function,
            state,
            instance.version.number,
        )

    @admin.display(description="deliveries")
    def deliveries(self, destination: Destination) -> str:
        url = reverse("admin:delivery_eventdelivery_changelist")
        return format_html(
            '<a href="{}?destination__id__exact={}">event deliveries</a>', url, destination.pk
        )

    def save_model(self, request: HttpRequest, obj: Destination, form: Any, change: bool) -> None:
        data, actor = form.cleaned_data, actor_of(request)
        metadata_id, settings = form.kind_request
        if change:
            original = Destination.objects.get(pk=obj.pk)
            require_in_admin(request, Action.DESTINATION_CHANGE, original)
            destination_update(
                destination=original,
                actor=actor,
                name=data["name"],
                enabled=data["enabled"],
                max_attempts=data["max_attempts"],
                settings=settings,
            )
            if data.get("insert_function") is not None:
                insert_instance_create(
                    function=data["insert_function"],
                    destination=obj,
                    actor=actor,
                    name=data["insert_function"].display_name,
                    settings=data.get("insert_settings") or {},
                )
            return
        source = data["source"]
        require_in_admin(request, Action.SOURCE_ADMIN, source)
        obj.pk = destination_create(
            workspace=source.workspace,
            actor=actor,
            source=source,
            kind=data["kind"],
            metadata_id=metadata_id,
            name=data["name"],
            settings=settings,
            enabled=data["enabled"],
        ).pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        destination = Destination.objects.get(pk=form.instance.pk)
        # The admin's history message reads these; the services below do the writing.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            data = getattr(row, "cleaned_data", {})
            if row.instance.pk and data.get("DELETE"):
                destination_filter_delete(
                    destination=destination, item=row.instance, actor=actor_of(request)
                )
            elif not row.instance.pk and row.has_changed() and not data.get("DELETE"):
                formset.new_objects.append(
                    destination_filter_create(
                        destination=destination,
                        actor=actor_of(request),
                        title=data["title"],
                        expression=data["expression"],
                        action=data["action"],
                        fields=data["fields"],
                        percent=data["percent"],
                        enabled=data["enabled"],
                    )
                )

    def delete_model(self, request: HttpRequest, obj: Destination) -> None:
        require_in_admin(request, Action.DESTINATION_CHANGE, obj)
        destination_delete(destination=obj, actor=actor_of(request))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """The confirmation lists the function instances the destinations own too: the
        service deletes them with the destinations (whoever may delete those may)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        owned = list(function_instances_owned(list(objs)))
        if owned:
            more, more_counts, _, more_protected = get_deleted_objects(
                owned, request, self.admin_site
            )
            deleted += more
            counts = {**counts, **more_counts}
            protected += more_protected
        return deleted, counts, perms_needed, protected

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Destination]) -> None:
        # The list's "delete selected": the service takes the insert function instances along.
        for destination in queryset:
            self.delete_model(request, destination)
