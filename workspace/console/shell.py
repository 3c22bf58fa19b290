"""The decorator every console page goes through, and the page renderer."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspace.errors import DomainError, NotFound, PermissionDenied
from workspace.models import Workspace
from workspace.permissions import Action, can, roles_of

ConsoleView = Callable[..., HttpResponse]


def workspace_for(request: HttpRequest, slug: str) -> Workspace:
    """The workspace named in the URL, if the signed-in user belongs to it (else 404)."""
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None or not roles_of(request.user, workspace):
        raise NotFound("Resource not found")
    return workspace


def current_workspace(request: HttpRequest) -> Workspace:
    """The workspace `console_view` resolved for this request."""
    workspace = getattr(request, "workspace", None)
    if not isinstance(workspace, Workspace):
        raise NotFound("Resource not found")
    return workspace


def nav_context(request: HttpRequest, workspace: Workspace) -> dict[str, Any]:
    """What the console's navigation shows: tabs the user's roles open."""
    user = request.user
    return {
        "workspace": workspace,
        "roles": sorted(role.label for role in roles_of(user, workspace)),
        "may": {
            "create_function": can(user, Action.FUNCTION_CREATE, workspace),
            "audit": can(user, Action.AUDIT_VIEW, workspace),
            "members": can(user, Action.MEMBERS_MANAGE, workspace),
        },
    }


def error_page(request: HttpRequest, error: DomainError, status: int) -> HttpResponse:
    title = "Not allowed" if status == 403 else "Not found"
    context = {
        **admin.site.each_context(request),
        "title": title,
        "message": error.message if status == 403 else "This page does not exist.",
    }
    workspace = getattr(request, "workspace", None)
    if isinstance(workspace, Workspace):
        context.update(nav_context(request, workspace))
    return render(request, f"console/{status}.html", context, status=status)


def console_view(view: ConsoleView) -> ConsoleView:
    """A console page: signed-in member (admin site login), `slug` resolved to
    `request.workspace`, domain errors rendered as console 403/404 pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            request.workspace = workspace_for(request, slug)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)
        except NotFound as error:
            return error_page(request, error, 404)
        except PermissionDenied as error:
            return error_page(request, error, 403)

    return admin.site.admin_view(wrapper)


def console_render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    full = {**admin.site.each_context(request), **nav_context(request, workspace), **context}
    return render(request, template, full, status=status)
