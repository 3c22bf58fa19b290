"""Create Function, Save, Save & Deploy: the editor's writes, through the services."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from functions import services
from functions.console.endpoints import console_endpoint, request_json
from functions.console.lookups import function_for
from functions.models import FunctionClass
from workspace.audit import Actor
from workspace.console.shell import current_workspace
from workspace.errors import InvalidInput
from workspace.permissions import Action, require


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user)  # type: ignore[arg-type]


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be text", field=key)
    return value


def _page_url(function: FunctionClass) -> str:
    kwargs = {"slug": function.workspace.slug, "function_id": function.pk}
    return reverse("admin:console-function", kwargs=kwargs)


@console_endpoint
def function_create(request: HttpRequest) -> dict[str, Any]:
    workspace = current_workspace(request)
    require(request.user, Action.FUNCTION_CREATE, workspace)
    body = request_json(request)
    function = services.function_create(
        workspace=workspace,
        actor=_actor(request),
        resource_type=_text(body, "resourceType"),
        display_name=_text(body, "displayName"),
        description=_text(body, "description"),
        logo_url=_text(body, "logoUrl"),
        code=_text(body, "code"),
        settings_schema=body.get("settingsSchema") or [],
    )
    return {"url": _page_url(function), "message": f"Created {function.display_name}."}


def _save(request: HttpRequest, function: FunctionClass, body: dict[str, Any]) -> int:
    """Save: a new version when code or settings changed; the latest version's number."""
    require(request.user, Action.FUNCTION_EDIT, current_workspace(request), function)
    services.function_update(
        function=function,
        actor=_actor(request),
        code=_text(body, "code"),
        settings_schema=body.get("settingsSchema") or [],
    )
    return services.latest_version(function).number


@console_endpoint
def function_save(request: HttpRequest, function_id: str) -> dict[str, Any]:
    function = function_for(request, function_id)
    number = _save(request, function, request_json(request))
    return {"version": number, "message": f"Saved as version {number}. Instances are unchanged."}


def _chosen_instances(request: HttpRequest, function: FunctionClass, ids: Any) -> list[str]:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput("instanceIds must be a list of instance ids", field="instanceIds")
    instances = {i.id: i for i in function.instances.all()}
    for instance_id in ids:
        instance = instances.get(instance_id)
        if instance is None:
            raise InvalidInput(f"unknown instance {instance_id}", field="instanceIds")
        require(
            request.user,
            Action.INSTANCE_CHANGE,
            current_workspace(request),
            instance,
            message=f"Deploying to {instance.name} needs the Source Admin role over its source",
        )
    return ids


@console_endpoint
def function_deploy(request: HttpRequest, function_id: str) -> dict[str, Any]:
    """Save & Deploy: save, then move the chosen instances; refused as a whole."""
    function = function_for(request, function_id)
    body = request_json(request)
    with transaction.atomic():
        number = _save(request, function, body)
        wanted = _chosen_instances(request, function, body.get("instanceIds"))
        moved = services.function_deploy(
            function=function, actor=_actor(request), instance_ids=wanted
        )
    count = len(moved)
    return {
        "version": number,
        "message": f"Saved as version {number} and deployed to {count} instance(s).",
    }
