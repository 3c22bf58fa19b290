"""Reads for the functions API: lookups by API id (always inside the token's workspace, else
NotFound) and the lists a user may see."""

import re
from typing import Any

from django.db.models import Q, QuerySet

from delivery.models import Source
from functions.models import ID_PREFIXES, FunctionClass, FunctionInstance, FunctionVersion
from workspace.errors import NotFound
from workspace.models import Workspace
from workspace.permissions import Action, adminable_sources, can, viewable_functions

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PREFIXES = {prefix: kind for kind, prefix in ID_PREFIXES.items()}


def is_plain_id(raw: Any) -> bool:
    return isinstance(raw, str) and bool(_ID.match(raw))


def split_function_id(raw: str) -> tuple[str | None, str]:
    """("DESTINATION", "abc") for "dfn_abc"; (None, "abc") for a prefix-less catalogId."""
    for prefix, kind in _PREFIXES.items():
        if raw.startswith(prefix):
            return kind, raw[len(prefix) :]
    return None, raw


def function_by_api_id(workspace: Workspace, raw: str) -> FunctionClass:
    """The function `raw` (prefixed id or catalogId) names in `workspace`, else NotFound."""
    if not is_plain_id(raw):
        raise NotFound("Resource not found")
    kind, catalog_id = split_function_id(raw)
    function = FunctionClass.objects.filter(workspace=workspace, pk=catalog_id).first()
    if function is None or (kind is not None and function.resource_type != kind):
        raise NotFound("Resource not found")
    return function


def functions_list(
    *, user: Any, workspace: Workspace, resource_type: str
) -> QuerySet[FunctionClass]:
    functions = FunctionClass.objects.filter(workspace=workspace, resource_type=resource_type)
    return viewable_functions(user, workspace, functions).order_by("created_at", "id")


def version_by_id(function: FunctionClass, version_id: str) -> FunctionVersion:
    version = function.versions.filter(pk=version_id).first() if is_plain_id(version_id) else None
    if version is None:
        raise NotFound("Resource not found")
    return version


def versions_list(function: FunctionClass) -> QuerySet[FunctionVersion]:
    return function.versions.order_by("-number")


def deployed_version_ids(function: FunctionClass) -> set[str]:
    return set(function.instances.values_list("version_id", flat=True))


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
