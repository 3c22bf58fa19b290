"""The Test tab: Run (the preview runtime the Public API uses) and Use Sample Event."""

from typing import Any

from django.http import HttpRequest

from delivery.models import Source
from delivery.samples import recent_source_events
from functions.console.endpoints import console_endpoint, console_read_endpoint, request_json
from functions.console.lookups import function_for
from functions.models import ResourceType
from functions.schema import validate_settings_schema
from workspace.console.shell import current_workspace
from workspace.errors import InvalidInput, NotFound
from workspace.permissions import Action, require


def _resource_type(request: HttpRequest, body: dict[str, Any]) -> str:
    """The saved function's type (FUNCTION_RUN on it), or the new function's (FUNCTION_RUN
    with no function: any Functions Admin)."""
    workspace = current_workspace(request)
    function_id = body.get("functionId")
    if function_id:
        function = function_for(request, str(function_id))
        require(request.user, Action.FUNCTION_RUN, workspace, function)
        return function.resource_type
    require(request.user, Action.FUNCTION_RUN, workspace)
    resource_type = body.get("resourceType")
    if resource_type not in ResourceType.values:
        raise InvalidInput("resourceType must be DESTINATION or INSERT_DESTINATION")
    return str(resource_type)


@console_endpoint
def function_run(request: HttpRequest) -> dict[str, Any]:
    # Imported on use: the web process loads the runtime only when a test runs.
    from functions.preview import PreviewInputError, preview_run

    body = request_json(request)
    resource_type = _resource_type(request, body)
    events = body.get("events")
    try:
        return preview_run(
            code=body.get("code", ""),
            resource_type=resource_type,
            settings_schema=validate_settings_schema(body.get("settingsSchema") or []),
            settings=body.get("settings") or {},
            event=body.get("event") if events is None else None,
            events=events,
        )
    except PreviewInputError as error:
        raise InvalidInput(str(error)) from None


@console_read_endpoint
def function_samples(request: HttpRequest) -> dict[str, Any]:
    """A source's recent events; sources are offered to their Source Admins only."""
    workspace = current_workspace(request)
    source = Source.objects.filter(workspace=workspace, pk=request.GET.get("source", "")).first()
    if source is None:
        raise NotFound("Resource not found")
    require(request.user, Action.SOURCE_VIEW, workspace, source)
    return {"source": source.name, "events": recent_source_events(source)}
