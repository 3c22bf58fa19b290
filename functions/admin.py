"""The function editor: Save makes a version, Save & Deploy moves chosen instances to it,
the Test panel runs unsaved code in the production runtime."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from functions.admin_access import WorkspaceScopedAdmin, actor_of
from functions.instances import instance_settings_masked, instance_update
from functions.models import FunctionClass, FunctionInstance, FunctionVersion
from functions.preview import PreviewInputError, preview_function
from functions.schema import validate_settings_schema
from functions.services import (
    function_create,
    function_deploy,
    function_update,
    function_version_restore,
)
from workspace.errors import DomainError
from workspace.queries import (
    can_admin_source,
    can_edit_function,
    can_view_function,
    workspaces_of,
)

_SERVICE_FIELDS = {
    "display_name": "display_name",
    "description": "description",
    "logo_url": "logo_url",
    "code": "code",
    "settings_schema": "settings_schema",
    "batch_max_count": "batch_max_count",
}


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class FunctionClassForm(forms.ModelForm):
    logo_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    deploy_to = forms.ModelMultipleChoiceField(
        queryset=FunctionInstance.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Instances that Save & Deploy moves to the new version.",
    )

    class Meta:
        model = FunctionClass
        fields = [
            "workspace",
            "resource_type",
            "display_name",
            "description",
            "logo_url",
            "code",
            "settings_schema",
            "batch_max_count",
        ]
        field_classes = {"settings_schema": PrettyJSONField}
        widgets = {
            "code": forms.Textarea(
                attrs={"class": "function-code", "rows": 24, "spellcheck": "false"}
            ),
            "settings_schema": forms.Textarea(attrs={"rows": 8, "class": "function-schema"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            instances = self.instance.instances.order_by("name")
            deploy_to = self.fields["deploy_to"]
            assert isinstance(deploy_to, forms.ModelMultipleChoiceField)
            deploy_to.queryset = instances
            deploy_to.initial = list(instances)
        else:
            del self.fields["deploy_to"]

    def clean_settings_schema(self) -> list[dict[str, Any]]:
        try:
            return validate_settings_schema(self.cleaned_data["settings_schema"] or [])
        except DomainError as error:
            raise ValidationError(error.message) from None


class VersionInline(admin.TabularInline):
    model = FunctionVersion
    fields = ("number", "author", "created_at", "running_on", "restore")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="instances on it")
    def running_on(self, version: FunctionVersion) -> int:
        return version.instances.count()

    @admin.display(description="")
    def restore(self, version: FunctionVersion) -> str:
        url = reverse(
            "admin:functions_functionclass_restore", args=[version.function_id, version.id]
        )
        return format_html(
            '<button type="submit" form="restore-form" formaction="{}" class="button">'
            "Restore</button>",
            url,
        )


@admin.register(FunctionClass)
class FunctionClassAdmin(WorkspaceScopedAdmin):
    form = FunctionClassForm
    change_form_template = "admin/functions/functionclass/change_form.html"
    list_display = ("display_name", "resource_type", "api_id", "workspace", "latest", "deployed_at")
    list_filter = ("resource_type", "workspace")
    search_fields = ("display_name", "description", "id")
    readonly_fields = ("api_id",)
    inlines = [VersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("api_id", "workspace", "resource_type") if obj else ("api_id",)

    @admin.display(description="latest version")
    def latest(self, function: FunctionClass) -> int:
        return function.versions.count()

    def may_view(self, user: Any, obj: FunctionClass) -> bool:
        return can_view_function(user, obj.workspace, obj)

    def may_change(self, user: Any, obj: FunctionClass) -> bool:
        return can_edit_function(user, obj.workspace, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if request.user.is_superuser:
            return True
        return any(can_edit_function(request.user, ws, None) for ws in workspaces_of(request.user))

    def save_model(self, request: HttpRequest, obj: FunctionClass, form: Any, change: bool) -> None:
        actor = actor_of(request)
        data = form.cleaned_data
        if not change:
            if not can_edit_function(request.user, data["workspace"], None):
                raise PermissionDenied
            created = function_create(
                workspace=data["workspace"],
                actor=actor,
                resource_type=data["resource_type"],
                display_name=data["display_name"],
                code=data["code"],
                description=data["description"],
                logo_url=data["logo_url"],
                settings_schema=data["settings_schema"],
                batch_max_count=data["batch_max_count"],
            )
            obj.pk = created.pk
            return
        changes = {
            _SERVICE_FIELDS[name]: data[name]
            for name in form.changed_data
            if name in _SERVICE_FIELDS
        }
        original = FunctionClass.objects.get(pk=obj.pk)
        if changes:
            function_update(function=original, actor=actor, **changes)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Versions are immutable and written by the services; nothing related to save.
        return None

    def response_change(self, request: HttpRequest, obj: FunctionClass) -> HttpResponse:
        if "_deploy" in request.POST:
            self._deploy(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _deploy(self, request: HttpRequest, function: FunctionClass) -> None:
        ids = request.POST.getlist("deploy_to")
        for instance in function.instances.filter(id__in=ids).select_related(
            "attached_destination__source", "destination__source"
        ):
            source = _source_of(instance)
            if source is not None and not can_admin_source(
                request.user, function.workspace, source
            ):
                raise PermissionDenied
        try:
            moved = function_deploy(function=function, actor=actor_of(request), instance_ids=ids)
        except DomainError as error:
            self.message_user(request, f"Not deployed: {error.message}", messages.ERROR)
            return
        self.message_user(request, f"Deployed the latest version to {len(moved)} instance(s).")

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<str:pk>/test/", wrap(self.test_view), name="functions_functionclass_test"),
            path(
                "<str:pk>/restore/<str:version_id>/",
                wrap(self.restore_view),
                name="functions_functionclass_restore",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request: HttpRequest, pk: str) -> HttpResponse:
        return _test_view(request, get_object_or_404(self.get_queryset(request), pk=pk))

    def restore_view(self, request: HttpRequest, pk: str, version_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        function = get_object_or_404(self.get_queryset(request), pk=pk)
        if not can_edit_function(request.user, function.workspace, function):
            raise PermissionDenied
        version = get_object_or_404(function.versions, pk=version_id)
        restored = function_version_restore(
            function=function, version=version, actor=actor_of(request)
        )
        self.message_user(
            request,
            f"Restored version {version.number} as version {restored.number}. Deploy to use it.",
        )
        return HttpResponseRedirect(reverse("admin:functions_functionclass_change", args=[pk]))


def _source_of(instance: FunctionInstance) -> Any:
    if instance.attached_destination is not None:
        return instance.attached_destination.source
    destination = getattr(instance, "destination", None)
    return destination.source if destination is not None else None


@require_POST
def _test_view(request: HttpRequest, function: FunctionClass) -> JsonResponse:
    """Runs the editor's (possibly unsaved) code against a test event, as production would."""
    if not can_view_function(request.user, function.workspace, function):
        raise PermissionDenied
    try:
        body = json.loads(request.body or b"{}")
        result = preview_function(
            function=function,
            code=body.get("code"),
            events=body.get("events"),
            event=body.get("event"),
            settings=body.get("settings") or {},
        )
    except (ValueError, PreviewInputError) as error:
        return JsonResponse({"error": str(error)}, status=422)
    return JsonResponse(result)


class InstanceSettingsForm(forms.ModelForm):
    settings_json = PrettyJSONField(
        label="Settings",
        help_text="Sensitive values are shown masked; a masked value keeps the stored secret.",
        widget=forms.Textarea(attrs={"rows": 8, "class": "function-schema"}),
    )

    class Meta:
        model = FunctionInstance
        fields = ["name", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["settings_json"].initial = instance_settings_masked(self.instance)


@admin.register(FunctionInstance)
class FunctionInstanceAdmin(WorkspaceScopedAdmin):
    form = InstanceSettingsForm
    list_display = ("name", "function", "kind", "connected_to", "version_number", "enabled")
    list_filter = ("enabled", "function__resource_type", "workspace")
    search_fields = ("name", "id", "function__display_name")
    readonly_fields = ("id", "function", "version", "attached_destination", "created_at")
    actions = ["enable_instances", "disable_instances"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # instances are made by connecting a function to a destination

    def may_view(self, user: Any, obj: FunctionInstance) -> bool:
        return can_view_function(user, obj.workspace, obj.function)

    def may_change(self, user: Any, obj: FunctionInstance) -> bool:
        source = _source_of(obj)
        return can_edit_function(user, obj.workspace, obj.function) or (
            source is not None and can_admin_source(user, obj.workspace, source)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disconnecting goes through the destination

    @admin.display(description="kind")
    def kind(self, instance: FunctionInstance) -> str:
        return "insert" if instance.function.is_insert else "destination"

    @admin.display(description="connected to")
    def connected_to(self, instance: FunctionInstance) -> str:
        if instance.attached_destination is not None:
            return f"in front of {instance.attached_destination}"
        destination = getattr(instance, "destination", None)
        return f"destination {destination}" if destination is not None else "-"

    @admin.display(description="version")
    def version_number(self, instance: FunctionInstance) -> int:
        return instance.version.number

    def _check_source_admin(self, request: HttpRequest, instance: FunctionInstance) -> None:
        source = _source_of(instance)
        if source is not None and not can_admin_source(request.user, instance.workspace, source):
            raise PermissionDenied

    def save_model(
        self, request: HttpRequest, obj: FunctionInstance, form: Any, change: bool
    ) -> None:
        original = FunctionInstance.objects.get(pk=obj.pk)
        if "enabled" in form.changed_data:
            self._check_source_admin(request, original)
        try:
            instance_update(
                instance=original,
                actor=actor_of(request),
                name=form.cleaned_data["name"],
                enabled=form.cleaned_data["enabled"],
                settings=form.cleaned_data["settings_json"],
            )
        except DomainError as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)

    def _toggle(self, request: HttpRequest, queryset: QuerySet[FunctionInstance], on: bool) -> None:
        for instance in queryset:
            self._check_source_admin(request, instance)
            instance_update(instance=instance, actor=actor_of(request), enabled=on)
        self.message_user(
            request, f"{'Enabled' if on else 'Disabled'} {queryset.count()} instance(s)."
        )

    @admin.action(description="Enable selected instances")
    def enable_instances(self, request: HttpRequest, queryset: QuerySet[FunctionInstance]) -> None:
        self._toggle(request, queryset, True)

    @admin.action(description="Disable selected instances")
    def disable_instances(self, request: HttpRequest, queryset: QuerySet[FunctionInstance]) -> None:
        self._toggle(request, queryset, False)
