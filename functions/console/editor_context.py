"""What the editor page needs, for a new function and for a saved one."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from delivery.models import Source
from functions.models import FunctionClass, FunctionInstance, ResourceType
from functions.sample_events import sample_events
from workspace.console.shell import current_workspace
from workspace.permissions import (
    INSTANCE_SOURCE_PATHS,
    Action,
    adminable_sources,
    can,
    instance_destination,
    instance_source,
)

TYPES = {"destination": ResourceType.DESTINATION, "insert": ResourceType.INSERT_DESTINATION}


def _urls(slug: str, function: FunctionClass | None) -> dict[str, str]:
    urls = {
        "run": reverse("admin:console-function-run", kwargs={"slug": slug}),
        "samples": reverse("admin:console-function-samples", kwargs={"slug": slug}),
        "create": reverse("admin:console-function-create", kwargs={"slug": slug}),
    }
    if function is not None:
        kwargs = {"slug": slug, "function_id": function.pk}
        urls["save"] = reverse("admin:console-function-save", kwargs=kwargs)
        urls["deploy"] = reverse("admin:console-function-deploy", kwargs=kwargs)
    return urls


def deploy_rows(request: HttpRequest, function: FunctionClass) -> list[dict[str, Any]]:
    """Every instance with where it runs and whether this member may move it."""
    workspace = current_workspace(request)
    instances = function.instances.select_related("version", *INSTANCE_SOURCE_PATHS).order_by(
        "name", "id"
    )
    return [_deploy_row(request, workspace, instance) for instance in instances]


def _deploy_row(request: HttpRequest, workspace: Any, instance: FunctionInstance) -> dict[str, Any]:
    destination = instance_destination(instance)
    source = instance_source(instance)
    allowed = can(request.user, Action.INSTANCE_CHANGE, workspace, instance)
    return {
        "id": instance.id,
        "name": instance.name,
        "destination": destination.name if destination is not None else "",
        "source": source.name if source is not None else "",
        "version": instance.version.number,
        "enabled": instance.enabled,
        "selectable": allowed,
        "reason": "" if allowed else "Needs the Source Admin role over this source",
    }


def editor_context(
    request: HttpRequest, *, resource_type: str, function: FunctionClass | None, code: str
) -> dict[str, Any]:
    workspace = current_workspace(request)
    user = request.user
    may_edit = (
        can(user, Action.FUNCTION_EDIT, workspace, function)
        if function is not None
        else can(user, Action.FUNCTION_CREATE, workspace)
    )
    may_run = can(user, Action.FUNCTION_RUN, workspace, function)
    sources = adminable_sources(user, workspace, Source.objects.all()).order_by("name")
    config = {
        "functionId": function.pk if function is not None else None,
        "resourceType": resource_type,
        "code": code,
        "settingsSchema": function.settings_schema if function is not None else [],
        "mayEdit": may_edit,
        "mayRun": may_run,
        "urls": _urls(workspace.slug, function),
        "samples": sample_events(),
        "sources": [{"id": s.id, "name": s.name} for s in sources],
    }
    return {
        "nav": "catalog" if function is None else "functions",
        "function": function,
        "is_insert": resource_type == ResourceType.INSERT_DESTINATION,
        "may_edit": may_edit,
        "may_run": may_run,
        # Connecting takes the Source Admin role over a source (the console's Connect page):
        # the others get the same page, to see where the function runs.
        "may_connect": bool(config["sources"]),
        "editor_config": config,
    }
