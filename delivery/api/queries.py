"""Reads for the sources, destinations and insert function instances API."""

import re
from typing import Any

from django.db.models import Q, QuerySet

from delivery.models import Destination, Source
from functions.api.queries import is_plain_id
from functions.models import FunctionClass, FunctionInstance
from workspace.errors import NotFound
from workspace.models import Workspace
from workspace.permissions import Action, adminable_sources, can

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def sources_list(*, user: Any, workspace: Workspace) -> QuerySet[Source]:
    return adminable_sources(user, workspace, Source.objects.all()).order_by("created_at", "id")


def source_by_id(workspace: Workspace, source_id: Any) -> Source:
    source = None
    if isinstance(source_id, str) and _ID.match(source_id):
        source = Source.objects.filter(workspace=workspace, pk=source_id).first()
    if source is None:
        raise NotFound("Resource not found")
    return source


def destination_by_id(workspace: Workspace, destination_id: Any) -> Destination:
    destination = None
    if isinstance(destination_id, str) and _ID.match(destination_id):
        destination = (
            Destination.objects.select_related(
                "source", "function_instance__function", "function_instance__version"
            )
            .filter(workspace=workspace, pk=destination_id)
            .first()
        )
    if destination is None:
        raise NotFound("Resource not found")
    return destination


def destinations_list(
    *, user: Any, workspace: Workspace, source_id: str = ""
) -> QuerySet[Destination]:
    destinations = Destination.objects.filter(
        workspace=workspace,
        source__in=adminable_sources(user, workspace, Source.objects.all()),
    ).select_related("source", "function_instance__function", "function_instance__version")
    if source_id:
        destinations = destinations.filter(source_id=source_id)
    return destinations.order_by("created_at", "id")


def insert_instance_by_id(workspace: Workspace, instance_id: str) -> FunctionInstance:
    instance = None
    if is_plain_id(instance_id):
        instance = (
            FunctionInstance.objects.select_related(
                "function", "version", "attached_destination__source"
            )
            .filter(workspace=workspace, pk=instance_id, attached_destination__isnull=False)
            .first()
        )
    if instance is None:
        raise NotFound("Resource not found")
    return instance


def insert_instances_list(
    *, user: Any, workspace: Workspace, function: FunctionClass
) -> QuerySet[FunctionInstance]:
    """Instances of `function`: all of them for those who may view the function, else the
    ones on sources the user administers."""
    instances = (
        FunctionInstance.objects.select_related("function", "version", "attached_destination")
        .filter(workspace=workspace, function=function, attached_destination__isnull=False)
        .order_by("created_at", "id")
    )
    if can(user, Action.FUNCTION_VIEW, workspace, function):
        return instances
    sources = adminable_sources(user, workspace, Source.objects.all())
    return instances.filter(Q(attached_destination__source__in=sources))
