"""The destination function kind: the destination *is* a function instance, whose settings
(sensitive ones encrypted) are the destination's settings and whose handler gets the batch."""

from typing import Any

from django import forms
from django.templatetags.static import static
from django.utils.text import slugify

from delivery.catalog import destination_entry, logos, option
from delivery.kinds.base import Kind
from delivery.kinds.function import run_instance
from delivery.kinds.webhook import Settled
from delivery.lanes import kill_budget
from delivery.ledger.outcomes import Outcome
from delivery.models import DeliveryStatus, Destination
from functions.api.queries import function_by_api_id
from functions.instances import (
    build_instance,
    instance_settings_decrypted,
    instance_settings_masked,
    instance_snapshot,
    store_instance_settings,
)
from functions.models import FunctionClass, ResourceType
from functions.queries import latest_version
from functions.schema import validate_setting_values
from workspace.errors import InvalidInput, NotFound
from workspace.models import Workspace
from workspace.permissions import Action, can, require, viewable_functions

_OPTION_TYPES = {"STRING": "string", "BOOLEAN": "boolean", "ARRAY": "array", "TEXT_MAP": "map"}


def function_metadata(function: FunctionClass) -> dict[str, Any]:
    """A destination function's own catalog entry; its settings are the entry's options."""
    return destination_entry(
        id=function.id,
        kind=FunctionKind.name,
        name=function.display_name,
        slug=slugify(function.display_name) or function.id.lower(),
        description=function.description,
        logos=logos(function.logo_url or static("catalog/function.svg")),
        categories=["Functions"],
        options=[
            option(
                s["name"],
                _OPTION_TYPES.get(s["type"], "string"),
                s.get("label") or s["name"],
                s.get("description", ""),
                bool(s.get("required")),
            )
            for s in function.settings_schema
        ],
    )


def destination_function(workspace: Workspace, metadata_id: str) -> FunctionClass | None:
    """The destination function `metadata_id` (its catalogId or prefixed id) names."""
    try:
        function = function_by_api_id(workspace, metadata_id)
    except NotFound:
        return None
    return function if function.resource_type == ResourceType.DESTINATION else None


class FunctionKind(Kind):
    name = "function"
    label = "Destination function"

    def settings_checked(
        self, settings: Any, destination: Destination | None = None
    ) -> dict[str, Any]:
        # The values are checked against the instance's version's schema when stored.
        if not isinstance(settings, dict):
            raise InvalidInput("settings must be an object", field="settings")
        return settings

    def settings_store(self, destination: Destination, settings: dict[str, Any]) -> None:
        instance = destination.function_instance
        if instance is None:
            return
        store_instance_settings(instance, instance.version.settings_schema, settings)
        instance.save()

    def settings_stored(self, destination: Destination) -> dict[str, Any]:
        instance = destination.function_instance
        return instance_settings_decrypted(instance) if instance is not None else {}

    def settings_masked(self, destination: Destination) -> dict[str, Any]:
        instance = destination.function_instance
        return instance_settings_masked(instance) if instance is not None else {}

    def snapshot(self, destination: Destination) -> dict[str, Any]:
        instance = destination.function_instance
        return {"instance": instance_snapshot(instance)} if instance is not None else {}

    def send(
        self, destination: Destination, events: list[dict[str, Any]], settled: Settled | None
    ) -> list[Outcome]:
        assert destination.function_instance is not None
        outcomes = run_instance(
            instance=destination.function_instance,
            kind="destination",
            events=events,
            kill_budget=kill_budget(),
        )
        for outcome in outcomes:
            if outcome.status == "success":
                outcome.status = DeliveryStatus.DELIVERED
        return outcomes

    def facts(self, destination: Destination) -> list[tuple[str, str]]:
        instance = destination.function_instance
        return [("Function", str(instance.function))] if instance is not None else []

    def summary(self, destination: Destination) -> str:
        instance = destination.function_instance
        return f"function {instance.function}" if instance is not None else "-"

    def catalog(self, user: Any, workspace: Workspace) -> list[dict[str, Any]]:
        functions = viewable_functions(
            user, workspace, FunctionClass.objects.filter(resource_type=ResourceType.DESTINATION)
        ).order_by("created_at", "id")
        return [function_metadata(function) for function in functions]

    def catalog_entry(
        self, user: Any, workspace: Workspace, metadata_id: str
    ) -> dict[str, Any] | None:
        function = destination_function(workspace, metadata_id)
        if function is None or not can(user, Action.FUNCTION_VIEW, workspace, function):
            return None
        return function_metadata(function)

    def offers(self, workspace: Workspace, metadata_id: str) -> bool:
        return destination_function(workspace, metadata_id) is not None

    def require_usable(self, user: Any, workspace: Workspace, metadata_id: str) -> None:
        require(
            user,
            Action.FUNCTION_VIEW,
            workspace,
            destination_function(workspace, metadata_id),
            message="Your roles do not let you use this function",
            field="metadataId",
        )

    def metadata(self, destination: Destination) -> dict[str, Any]:
        assert destination.function_instance is not None
        return function_metadata(destination.function_instance.function)

    def destination_prepare(
        self, destination: Destination, *, metadata_id: str, settings: Any
    ) -> None:
        """The instance is the destination: made here, on the function's latest version."""
        function = destination_function(destination.workspace, metadata_id)
        if function is None:
            raise InvalidInput(
                f"{metadata_id} not found: use a destination function's catalogId",
                field="metadataId",
            )
        destination.function_instance = build_instance(
            function=function, name=destination.name, settings=settings, enabled=True
        )

    def admin_fields(self, destination: Destination | None) -> dict[str, forms.Field]:
        if destination is not None:
            return {}  # the instance's settings are edited on its own page
        return {
            "function": forms.ModelChoiceField(
                queryset=FunctionClass.objects.filter(resource_type=ResourceType.DESTINATION),
                required=False,
                help_text="For a destination function destination.",
            ),
            "function_settings": forms.JSONField(required=False, initial=dict),
        }

    def admin_settings(
        self, data: dict[str, Any], destination: Destination | None
    ) -> tuple[str, Any]:
        if destination is not None:
            return "", None
        function, source = data.get("function"), data.get("source")
        if function is None:
            raise InvalidInput("Choose a destination function.", field="function")
        if source is not None and function.workspace_id != source.workspace_id:
            raise InvalidInput("Choose a function of the source's workspace.", field="function")
        settings = data.get("function_settings") or {}
        validate_setting_values(latest_version(function).settings_schema, settings)
        return function.id, settings
