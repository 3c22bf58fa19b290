"""Shell pages: choosing a workspace."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from workspace.permissions import workspaces_of


def console_home_url(request: HttpRequest) -> str | None:
    """Where a signed-in person starts: their workspace's catalog, or the choice of one."""
    workspaces = list(workspaces_of(request.user).order_by("name")[:2])
    if not workspaces:
        return None
    if len(workspaces) == 1:
        return reverse("admin:console-catalog", kwargs={"slug": workspaces[0].slug})
    return reverse("admin:console-home")


def _workspace_choice(request: HttpRequest) -> HttpResponse:
    workspaces = list(workspaces_of(request.user).order_by("name"))
    if len(workspaces) == 1:
        return redirect("admin:console-catalog", slug=workspaces[0].slug)
    context = {**admin.site.each_context(request), "title": "Workspaces", "workspaces": workspaces}
    return render(request, "console/workspaces.html", context)


workspace_choice = admin.site.admin_view(_workspace_choice)
