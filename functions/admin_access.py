"""Admin pages show each staff member only the workspaces they belong to."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from workspace.audit import Actor
from workspace.queries import workspaces_of


def actor_of(request: HttpRequest) -> Actor:
    # Admin views only run for signed-in members (WorkspaceAdminSite.has_permission).
    if not isinstance(request.user, User):
        raise PermissionDenied
    return Actor(user=request.user)


def is_member(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser) or workspaces_of(user).exists()


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Superusers see every workspace; members only their own, by their roles (not by
    Django's model permissions, which workspace members do not hold)."""

    workspace_field = "workspace"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_member(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_field}__in": workspaces_of(request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "workspace" and not request.user.is_superuser:
            kwargs["queryset"] = workspaces_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
