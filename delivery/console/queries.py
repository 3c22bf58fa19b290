"""Reads of the console's connect and destination screens."""

from typing import Any

from django.db.models import QuerySet

from delivery.models import Destination, Source
from functions.models import FunctionClass, FunctionInstance
from workspace.models import AuditEvent, Workspace
from workspace.permissions import UserLike, adminable_sources

# The audit actions that set an instance's enabled state.
_TOGGLE_SUFFIXES = ("Created", "Enabled", "Disabled")


def administered_sources(user: UserLike, workspace: Workspace) -> QuerySet[Source]:
    return adminable_sources(user, workspace, Source.objects.all()).order_by("name", "id")


def connectable_destinations(user: UserLike, workspace: Workspace) -> QuerySet[Destination]:
    """Destinations an insert function may be put in front of by `user`: on sources they
    administer, without an insert function yet (one per destination)."""
    return (
        Destination.objects.filter(
            workspace=workspace,
            source__in=adminable_sources(user, workspace, Source.objects.all()),
            insert_instance__isnull=True,
        )
        .select_related("source")
        .order_by("source__name", "name", "id")
    )


def insert_connections(function: FunctionClass) -> QuerySet[FunctionInstance]:
    return (
        FunctionInstance.objects.filter(function=function, attached_destination__isnull=False)
        .select_related("version", "attached_destination__source")
        .order_by("attached_destination__name", "id")
    )


def destination_connections(function: FunctionClass) -> QuerySet[Destination]:
    """The destinations a destination function is (one per connected source)."""
    return (
        Destination.objects.filter(function_instance__function=function)
        .select_related("source", "function_instance__version")
        .order_by("source__name", "name", "id")
    )


def function_instance_by_id(function: FunctionClass, instance_id: str) -> FunctionInstance | None:
    return (
        FunctionInstance.objects.filter(function=function, pk=instance_id)
        .select_related("version", "attached_destination__source", "destination__source")
        .first()
    )


def last_toggle(instance: FunctionInstance) -> AuditEvent | None:
    """The audit event that last set `instance`'s enabled state (its creation or a toggle)."""
    events = AuditEvent.objects.filter(
        workspace_id=instance.workspace_id, resource_id=instance.id
    ).order_by("-timestamp", "-id")
    for event in events[:50]:
        if event.action.endswith(_TOGGLE_SUFFIXES):
            return event
    return None


def destinations_of(source: Source) -> QuerySet[Destination]:
    return source.destinations.select_related(
        "insert_instance__function", "function_instance__function"
    ).order_by("name", "id")


def destination_rows(user: UserLike, workspace: Workspace) -> list[dict[str, Any]]:
    """The Destinations list: destinations on sources `user` administers, with their insert
    function (if any)."""
    destinations = (
        Destination.objects.filter(
            workspace=workspace, source__in=adminable_sources(user, workspace, Source.objects.all())
        )
        .select_related("source", "insert_instance__function", "function_instance__function")
        .order_by("name", "id")
    )
    return [{"destination": d, "insert": d.insert_instance} for d in destinations]
