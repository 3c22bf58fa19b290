"""Versions: every version with author and time, a side-by-side diff against the current
one, and Restore (a new latest version; deploying it stays a separate choice)."""

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from functions import services
from functions.console.lookups import function_for
from functions.models import FunctionClass, FunctionVersion
from workspace.audit import Actor
from workspace.console.shell import console_render, console_view, current_workspace
from workspace.permissions import Action, can, require

_TYPE_LABELS = {"STRING": "String", "BOOLEAN": "Boolean", "ARRAY": "Array", "TEXT_MAP": "Text map"}


def settings_text(schema: list[dict[str, Any]]) -> str:
    """The settings as people read them, one block per setting, for the diff."""
    blocks = []
    for setting in schema:
        flags = [_TYPE_LABELS.get(setting.get("type", ""), setting.get("type", ""))]
        flags += [word for word in ("required", "encrypted") if setting.get(_flag(word))]
        block = f"{setting.get('label') or setting['name']} ({setting['name']})\n"
        block += f"  {', '.join(flags)}\n"
        if setting.get("description"):
            block += f"  {setting['description']}\n"
        blocks.append(block)
    return "\n".join(blocks) or "(no settings)\n"


def _flag(word: str) -> str:
    return "sensitive" if word == "encrypted" else word


def _compared(function: FunctionClass, versions: list[FunctionVersion], wanted: str) -> Any:
    by_id = {v.id: v for v in versions}
    if wanted in by_id:
        return by_id[wanted]
    # Nothing chosen: the version before the current one, the change people look for first.
    return versions[1] if len(versions) > 1 else versions[0]


def _deployed_counts(function: FunctionClass) -> dict[str, int]:
    rows = function.instances.values("version_id").annotate(n=Count("id"))
    return {row["version_id"]: row["n"] for row in rows}


@console_view
def versions_page(request: HttpRequest, function_id: str) -> HttpResponse:
    function = function_for(request, function_id)
    workspace = current_workspace(request)
    versions = list(function.versions.order_by("-number"))
    compared = _compared(function, versions, request.GET.get("compare", ""))
    diff = {
        "a": compared.code,
        "b": function.code,
        "settingsA": settings_text(compared.settings_schema),
        "settingsB": settings_text(function.settings_schema),
    }
    return console_render(
        request,
        "console/functions/versions.html",
        {
            "title": f"{function.display_name}: Versions",
            "nav": "functions",
            "function": function,
            "versions": versions,
            "current": versions[0],
            "compared": compared,
            "deployed": _deployed_counts(function),
            "diff": diff,
            "may_edit": can(request.user, Action.FUNCTION_EDIT, workspace, function),
        },
    )


@require_POST
@console_view
def version_restore(request: HttpRequest, function_id: str, version_id: str) -> HttpResponse:
    function = function_for(request, function_id)
    require(request.user, Action.FUNCTION_EDIT, current_workspace(request), function)
    version = get_object_or_404(FunctionVersion, function=function, pk=version_id)
    restored = services.function_version_restore(
        function=function,
        version=version,
        actor=Actor(user=request.user),  # type: ignore[arg-type]
    )
    messages.success(
        request,
        f"Restored version {version.number} as version {restored.number}. "
        "Instances are unchanged: use Save & Deploy to move them.",
    )
    return redirect(
        "admin:console-function-versions", slug=function.workspace.slug, function_id=function.pk
    )
