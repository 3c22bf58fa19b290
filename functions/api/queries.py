"""Reads for the functions API: lookups by API id (always inside the token's workspace, else
NotFound) and the lists a user may see."""

import re
from typing import Any

from django.db.models import QuerySet

from functions.models import ID_PREFIXES, FunctionClass, FunctionVersion
from workspace.errors import NotFound
from workspace.models import Workspace
from workspace.permissions import viewable_functions

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
