"""Reads for the sources and destinations API."""

import re
from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from delivery.models import Destination, Source
from workspace.errors import NotFound
from workspace.models import Role, Workspace
from workspace.queries import roles_of

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def adminable_sources(*, user: Any, workspace: Workspace) -> QuerySet[Source]:
    """Sources `user` administers: all for Owners and all-scope Source Admins, the granted
    ones for listed-scope Source Admins, none otherwise."""
    sources = Source.objects.filter(workspace=workspace)
    roles = roles_of(user, workspace)
    if Role.OWNER in roles or roles.get(Role.SOURCE_ADMIN):
        return sources
    if Role.SOURCE_ADMIN in roles:
        return get_objects_for_user(
            user, "delivery.change_source", klass=sources, accept_global_perms=False
        )
    return sources.none()


def sources_list(*, user: Any, workspace: Workspace) -> QuerySet[Source]:
    return adminable_sources(user=user, workspace=workspace).order_by("created_at", "id")


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
        source__in=adminable_sources(user=user, workspace=workspace),
    ).select_related("source", "function_instance__function", "function_instance__version")
    if source_id:
        destinations = destinations.filter(source_id=source_id)
    return destinations.order_by("created_at", "id")
