"""Operator pages for functions and instances (superusers; members use the console). Save
goes through `functions.services` and makes a version; versions are listed read-only; the
Test panel runs the editor's code in the production runtime. Deploy and restore live in the
console and the Public API."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from functions.admin_access import (
    WORKSPACE_FILTER,
    OperatorAdmin,
    actor_of,
    require_in_admin,
)
from functions.instances import instance_settings_masked, instance_update
from functions.models import FunctionClass, FunctionInstance
from functions.preview import PreviewInputError, preview_function
from functions.schema import validate_settings_schema
from functions.services import function_create, function_delete, function_update
from workspace.errors import DomainError
from workspace.permissions import Action, can, instance_destination

_EDITABLE = (
    "display_name",
    "description",
    "logo_url",
    "code",
    "settings_schema",
    "batch_max_count",
)


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class FunctionClassForm(forms.ModelForm):
    logo_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = FunctionClass
        fields = ["workspace", "resource_type", *_EDITABLE]
        field_classes = {"settings_schema": PrettyJSONField}
        widgets = {
            "code": forms.Textarea(
                attrs={"class": "function-code", "rows": 24, "spellcheck": "false"}
            ),
            "settings_schema": forms.Textarea(attrs={"rows": 8, "class": "function-schema"}),
        }

    def clean_settings_schema(self) -> list[dict[str, Any]]:
        try:
            return validate_settings_schema(self.cleaned_data["settings_schema"] or [])
        except DomainError as error:
            raise ValidationError(error.message) from None


@admin.register(FunctionClass)
class FunctionClassAdmin(OperatorAdmin):
    form = FunctionClassForm
    change_form_template = "admin/functions/functionclass/change_form.html"
    view_action = Action.FUNCTION_VIEW
    change_action = Action.FUNCTION_EDIT
    list_display = ("display_name", "resource_type", "api_id", "workspace", "latest", "deployed_at")
    list_filter = ("resource_type", WORKSPACE_FILTER)
    search_fields = ("display_name", "description", "id")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("workspace", "resource_type", *_EDITABLE)
        return ("api_id", "workspace", "resource_type", *_EDITABLE, "versions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("api_id", "workspace", "resource_type", "versions") if obj else ()

    @admin.display(description="latest version")
    def latest(self, function: FunctionClass) -> int:
        return function.versions.count()

    @admin.display(description="versions")
    def versions(self, function: FunctionClass) -> str:
        rows = [
            (
                v.number,
                v.author or "-",
                v.created_at.strftime("%Y-%m-%d %H:%M"),
                v.instances.count(),
            )
            for v in function.versions.order_by("-number")
        ]
        return format_html_join("", "<div>Version {} by {} at {}, {} instance(s) on it</div>", rows)

    def save_model(self, request: HttpRequest, obj: FunctionClass, form: Any, change: bool) -> None:
        data, actor = form.cleaned_data, actor_of(request)
        if change:
            changes = {name: data[name] for name in form.changed_data if name in _EDITABLE}
            original = FunctionClass.objects.get(pk=obj.pk)
            require_in_admin(request, Action.FUNCTION_EDIT, original)
            if changes:
                self._refusable(request, function_update, function=original, actor=actor, **changes)
            return
        if not can(request.user, Action.FUNCTION_CREATE, data["workspace"]):
            raise PermissionDenied
        created = self._refusable(
            request,
            function_create,
            workspace=data["workspace"],
            actor=actor,
            resource_type=data["resource_type"],
            **{name: data[name] for name in _EDITABLE},
        )
        obj.pk = created.pk if created is not None else None

    def _refusable(self, request: HttpRequest, service: Any, **kwargs: Any) -> Any:
        """The service's result, or None with its refusal shown as an error message."""
        try:
            return service(**kwargs)
        except DomainError as error:
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return None

    def response_add(self, request: HttpRequest, obj: FunctionClass, *args: Any) -> HttpResponse:
        if obj.pk is None:  # refused by the service: back to the form, with its message
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, *args)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if obj.pk is None else super().log_addition(request, obj, message)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # function_delete removes the instances first, then the versions they pin (PROTECT)
        # go with the function; the instance page's "no delete" means "disconnect through
        # the destination", not "keep forever".
        deleted, counts, _instance_perms, _pinned = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), []

    def delete_model(self, request: HttpRequest, obj: FunctionClass) -> None:
        require_in_admin(request, Action.FUNCTION_EDIT, obj)
        function_delete(function=obj, actor=actor_of(request))

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<str:pk>/test/", wrap(self.test_view), name="functions_functionclass_test"),
            *super().get_urls(),
        ]

    def test_view(self, request: HttpRequest, pk: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _test_view(request, get_object_or_404(self.get_queryset(request), pk=pk))


@require_POST
def _test_view(request: HttpRequest, function: FunctionClass) -> JsonResponse:
    """Runs the editor's (possibly unsaved) code against a test event, as production would."""
    require_in_admin(request, Action.FUNCTION_RUN, function)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
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
        required=False,  # {} (no settings) is a value, not a missing one
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
class FunctionInstanceAdmin(OperatorAdmin):
    form = InstanceSettingsForm
    view_action = Action.INSTANCE_VIEW
    change_action = Action.INSTANCE_CHANGE
    list_display = ("name", "function", "kind", "connected_to", "version_number", "enabled")
    list_filter = ("enabled", "function__resource_type", WORKSPACE_FILTER)
    search_fields = ("name", "id", "function__display_name")
    readonly_fields = ("id", "function", "version", "connected_to", "created_at")
    actions = ["enable_instances", "disable_instances"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # instances are made by connecting a function to a destination

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disconnecting goes through the destination

    @admin.display(description="kind")
    def kind(self, instance: FunctionInstance) -> str:
        return "insert" if instance.function.is_insert else "destination"

    @admin.display(description="connected to")
    def connected_to(self, instance: FunctionInstance) -> str:
        destination = instance_destination(instance)
        if destination is None:
            return "-"
        if instance.function.is_insert:
            return f"in front of {destination}"
        return f"destination {destination}"

    @admin.display(description="version")
    def version_number(self, instance: FunctionInstance) -> int:
        return instance.version.number

    def save_model(
        self, request: HttpRequest, obj: FunctionInstance, form: Any, change: bool
    ) -> None:
        original = FunctionInstance.objects.get(pk=obj.pk)
        # Settings, secrets and the toggle need Source Admin over the instance's source,
        # whatever roles over the function the user has (as in the Public API).
        require_in_admin(request, Action.INSTANCE_CHANGE, original)
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

    def _toggle(self, request: HttpRequest, queryset: Any, on: bool) -> None:
        for instance in queryset:
            require_in_admin(request, Action.INSTANCE_CHANGE, instance)
        for instance in queryset:
            instance_update(instance=instance, actor=actor_of(request), enabled=on)
        self.message_user(
            request, f"{'Enabled' if on else 'Disabled'} {queryset.count()} instance(s)."
        )

    @admin.action(description="Enable selected instances")
    def enable_instances(self, request: HttpRequest, queryset: Any) -> None:
        self._toggle(request, queryset, True)

    @admin.action(description="Disable selected instances")
    def disable_instances(self, request: HttpRequest, queryset: Any) -> None:
        self._toggle(request, queryset, False)
