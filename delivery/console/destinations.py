"""Sources, destinations, and a destination's Functions tab with the Enable Function toggle."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from delivery import services as delivery_services
from delivery.api.queries import destination_by_id, source_by_id
from delivery.console import queries
from delivery.kinds.registry import kind_of
from delivery.models import Destination
from functions import instances as instance_services
from functions.models import FunctionClass, FunctionInstance, ResourceType
from functions.queries import latest_version
from workspace.audit import Actor
from workspace.console.shell import console_render, console_view
from workspace.errors import NotFound
from workspace.permissions import Action, can, require, viewable_functions


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def settings_rows(instance: FunctionInstance) -> list[dict[str, Any]]:
    """(label, shown value) of each setting of the instance's version; secrets masked."""
    values = instance_services.instance_settings_masked(instance)
    return [
        {"label": spec["label"], "name": spec["name"], "value": _shown(values.get(spec["name"]))}
        for spec in instance.version.settings_schema
    ]


def _destination(request: HttpRequest, destination_id: str) -> Destination:
    workspace = request.workspace  # type: ignore[attr-defined]
    destination = destination_by_id(workspace, destination_id)
    require(request.user, Action.DESTINATION_VIEW, workspace, destination)
    return destination


@console_view
def sources(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    rows = queries.administered_sources(request.user, workspace).prefetch_related("destinations")
    return console_render(
        request,
        "console/delivery/sources.html",
        {"title": "Sources", "nav": "sources", "sources": rows},
    )


@console_view
def source(request: HttpRequest, source_id: str) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    found = source_by_id(workspace, source_id)
    require(request.user, Action.SOURCE_VIEW, workspace, found)
    return console_render(
        request,
        "console/delivery/source.html",
        {
            "title": found.name,
            "nav": "sources",
            "source": found,
            "destinations": queries.destinations_of(found),
            "may_see_write_key": can(request.user, Action.SOURCE_ADMIN, workspace, found),
        },
    )


@console_view
def destinations(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    return console_render(
        request,
        "console/delivery/destinations.html",
        {
            "title": "Destinations",
            "nav": "destinations",
            "rows": queries.destination_rows(request.user, workspace),
        },
    )


def _function_link(request: HttpRequest, function: FunctionClass) -> bool:
    return can(request.user, Action.FUNCTION_VIEW, request.workspace, function)  # type: ignore[attr-defined]


@console_view
def destination(request: HttpRequest, destination_id: str) -> HttpResponse:
    found = _destination(request, destination_id)
    workspace = request.workspace  # type: ignore[attr-defined]
    instance = found.function_instance
    context: dict[str, Any] = {
        "title": found.name,
        "nav": "destinations",
        "destination": found,
        "tab": "overview",
        "may_change": can(request.user, Action.DESTINATION_CHANGE, workspace, found),
    }
    if instance is None:
        kind = kind_of(found)
        context["kind_label"], context["facts"] = kind.label, kind.facts(found)
    else:
        context["instance"] = instance
        context["settings"] = settings_rows(instance)
        context["latest"] = latest_version(instance.function)
        context["function_link"] = _function_link(request, instance.function)
    return console_render(request, "console/delivery/destination.html", context)


@console_view
def destination_functions(request: HttpRequest, destination_id: str) -> HttpResponse:
    """The Functions tab: the insert function in front of this destination."""
    found = _destination(request, destination_id)
    workspace = request.workspace  # type: ignore[attr-defined]
    insert = found.insert_instance
    context: dict[str, Any] = {
        "title": found.name,
        "nav": "destinations",
        "destination": found,
        "tab": "functions",
        "insert": insert,
    }
    if insert is not None:
        context.update(
            settings=settings_rows(insert),
            latest=latest_version(insert.function),
            last_toggle=queries.last_toggle(insert),
            may_change=can(request.user, Action.INSTANCE_CHANGE, workspace, insert),
            function_link=_function_link(request, insert.function),
        )
    else:
        insert_functions = FunctionClass.objects.filter(
            resource_type=ResourceType.INSERT_DESTINATION
        )
        context["insert_functions"] = viewable_functions(
            request.user, workspace, insert_functions
        ).order_by("display_name")
        context["may_change"] = can(request.user, Action.DESTINATION_CHANGE, workspace, found)
    return console_render(request, "console/delivery/destination_functions.html", context)


def _insert(request: HttpRequest, destination_id: str) -> FunctionInstance:
    found = _destination(request, destination_id)
    insert = found.insert_instance
    if insert is None:
        raise NotFound("Resource not found")
    require(request.user, Action.INSTANCE_CHANGE, request.workspace, insert)  # type: ignore[attr-defined]
    return insert


@console_view
@require_POST
def destination_function_enable(request: HttpRequest, destination_id: str) -> HttpResponse:
    insert = _insert(request, destination_id)
    instance_services.instance_update(
        instance=insert,
        actor=Actor(user=request.user),  # type: ignore[arg-type]
        enabled=request.POST.get("enabled") == "true",
    )
    return redirect(
        "admin:console-destination-functions",
        slug=insert.workspace.slug,
        destination_id=destination_id,
    )


@console_view
@require_POST
def destination_function_disconnect(request: HttpRequest, destination_id: str) -> HttpResponse:
    insert = _insert(request, destination_id)
    delivery_services.function_disconnect(instance=insert, actor=Actor(user=request.user))  # type: ignore[arg-type]
    return redirect(
        "admin:console-destination-functions",
        slug=insert.workspace.slug,
        destination_id=destination_id,
    )


@console_view
@require_POST
def destination_disconnect(request: HttpRequest, destination_id: str) -> HttpResponse:
    """A destination function leaves its source (the destination it is goes with it)."""
    found = _destination(request, destination_id)
    workspace = request.workspace  # type: ignore[attr-defined]
    if found.function_instance is None:
        raise NotFound("Resource not found")
    require(request.user, Action.INSTANCE_CHANGE, workspace, found.function_instance)
    delivery_services.function_disconnect(
        instance=found.function_instance,
        actor=Actor(user=request.user),  # type: ignore[arg-type]
    )
    return redirect("admin:console-destinations", slug=workspace.slug)
