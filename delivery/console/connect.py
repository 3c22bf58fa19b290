"""Connect: put an insert function in front of a destination, or make a destination function
a destination of a source; edit a connection's settings; disconnect."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from delivery import services as delivery_services
from delivery.api.queries import destination_by_id, source_by_id
from delivery.console import queries
from delivery.console.settings_form import SettingsForm
from delivery.kinds.function_destination import FunctionKind
from functions import instances as instance_services
from functions.api.queries import function_by_api_id
from functions.models import FunctionClass, FunctionInstance
from functions.queries import latest_version
from workspace.audit import Actor
from workspace.console.shell import console_render, console_view
from workspace.errors import InvalidInput, NotFound
from workspace.permissions import Action, can, instance_source, require


def _function(request: HttpRequest, function_id: str) -> FunctionClass:
    workspace = request.workspace  # type: ignore[attr-defined]
    function = function_by_api_id(workspace, function_id)
    require(request.user, Action.FUNCTION_VIEW, workspace, function)
    return function


def _connections(request: HttpRequest, function: FunctionClass) -> list[dict[str, Any]]:
    """One row per connection: where it is, its pinned version, what the user may do."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    rows = []
    # Both querysets filter on the relation being set, so neither side is None here.
    instances: list[tuple[Any, Any]]
    if function.is_insert:
        instances = [(i, i.attached_destination) for i in queries.insert_connections(function)]
    else:
        instances = [(d.function_instance, d) for d in queries.destination_connections(function)]
    for instance, destination in instances:
        rows.append(
            {
                "instance": instance,
                "destination": destination,
                "may_change": can(user, Action.INSTANCE_CHANGE, workspace, instance),
                "may_view_destination": can(user, Action.DESTINATION_VIEW, workspace, destination),
            }
        )
    return rows


@console_view
def connect(request: HttpRequest, function_id: str) -> HttpResponse:
    function = _function(request, function_id)
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    targets: Any
    if function.is_insert:
        targets = queries.connectable_destinations(user, workspace)
    else:
        targets = queries.administered_sources(user, workspace)
    return console_render(
        request,
        "console/delivery/connect.html",
        {
            "title": f"Connect {function.display_name}",
            "nav": "functions",
            "function": function,
            "connections": _connections(request, function),
            "targets": targets,
            "may_connect": queries.administered_sources(user, workspace).exists(),
        },
    )


def _target(request: HttpRequest, function: FunctionClass, target_id: str) -> Any:
    """The destination (insert function) or source (destination function) to connect to,
    which the user must administer."""
    workspace = request.workspace  # type: ignore[attr-defined]
    target: Any
    if function.is_insert:
        target = destination_by_id(workspace, target_id)
        source = target.source
    else:
        target = source = source_by_id(workspace, target_id)
    require(request.user, Action.SOURCE_ADMIN, workspace, source)
    return target


def _create(request: HttpRequest, function: FunctionClass, target: Any, form: Any) -> Any:
    actor = Actor(user=request.user)  # type: ignore[arg-type]
    name = (request.POST.get("name") or function.display_name).strip()
    if function.is_insert:
        return delivery_services.insert_instance_create(
            function=function,
            destination=target,
            actor=actor,
            name=name,
            settings=form.values(),
            # The product connects disabled: the destination's Enable Function toggle starts it.
            enabled=False,
        )
    return delivery_services.destination_create(
        workspace=request.workspace,  # type: ignore[attr-defined]
        actor=actor,
        source=target,
        kind=FunctionKind.name,
        metadata_id=function.id,
        name=name,
        settings=form.values(),
    )


@console_view
def connect_settings(request: HttpRequest, function_id: str) -> HttpResponse:
    function = _function(request, function_id)
    target = _target(request, function, request.GET.get("target", ""))
    schema = latest_version(function).settings_schema
    data = request.POST if request.method == "POST" else None
    form = SettingsForm(data, schema=schema, initial_values={})
    if request.method == "POST" and form.is_valid():
        try:
            created = _create(request, function, target, form)
        except InvalidInput as error:
            form.add_domain_error(error.field, error.message)
        else:
            if function.is_insert:
                return redirect(
                    "admin:console-destination-functions",
                    slug=created.workspace.slug,
                    destination_id=target.id,
                )
            return redirect(
                "admin:console-destination", slug=created.workspace.slug, destination_id=created.id
            )
    return console_render(
        request,
        "console/delivery/connect_settings.html",
        {
            "title": f"Connect {function.display_name} to {target.name}",
            "nav": "functions",
            "function": function,
            "target": target,
            "form": form,
            "name": request.POST.get("name", function.display_name),
            "back": reverse(
                "admin:console-connect",
                kwargs={"slug": function.workspace.slug, "function_id": function.id},
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


def _instance(request: HttpRequest, function_id: str, instance_id: str) -> FunctionInstance:
    """A connection of the function, for whoever may view it: the function's viewers, and the
    Source Admins of its source (who change its settings without seeing the function)."""
    workspace = request.workspace  # type: ignore[attr-defined]
    instance = queries.function_instance_by_id(
        function_by_api_id(workspace, function_id), instance_id
    )
    if instance is None:
        raise NotFound("Resource not found")
    require(request.user, Action.INSTANCE_VIEW, workspace, instance)
    return instance


@console_view
def instance_settings(request: HttpRequest, function_id: str, instance_id: str) -> HttpResponse:
    """A connection's settings, masked; saving sends masked secrets back unchanged."""
    workspace = request.workspace  # type: ignore[attr-defined]
    instance = _instance(request, function_id, instance_id)
    function = instance.function
    may_change = can(request.user, Action.INSTANCE_CHANGE, workspace, instance)
    masked = instance_services.instance_settings_masked(instance)
    data = request.POST if request.method == "POST" else None
    if data is not None:
        require(request.user, Action.INSTANCE_CHANGE, workspace, instance)
    form = SettingsForm(data, schema=instance.version.settings_schema, initial_values=masked)
    if data is not None and form.is_valid():
        try:
            instance_services.instance_update(
                instance=instance,
                actor=Actor(user=request.user),  # type: ignore[arg-type]
                settings=form.values(),
            )
        except InvalidInput as error:
            form.add_domain_error(error.field, error.message)
        else:
            return redirect(request.path + "?saved=1")
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    return console_render(
        request,
        "console/delivery/instance_settings.html",
        {
            "title": f"Settings of {instance.name}",
            "nav": "functions",
            "function": function,
            "function_link": can(request.user, Action.FUNCTION_VIEW, workspace, function),
            "instance": instance,
            "source": instance_source(instance),
            "form": form,
            "may_change": may_change,
            "saved": request.GET.get("saved") == "1",
        },
        status=400 if data is not None else 200,
    )


@console_view
@require_POST
def disconnect(request: HttpRequest, function_id: str, instance_id: str) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    instance = _instance(request, function_id, instance_id)
    require(request.user, Action.INSTANCE_CHANGE, workspace, instance)
    delivery_services.function_disconnect(instance=instance, actor=Actor(user=request.user))  # type: ignore[arg-type]
    if not can(request.user, Action.FUNCTION_VIEW, workspace, instance.function):
        return redirect("admin:console-destinations", slug=workspace.slug)
    return redirect("admin:console-connect", slug=workspace.slug, function_id=instance.function_id)
