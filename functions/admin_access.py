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

    def may_view(self, user: Any, obj: Any) -> bool:
        """The role check for one object; members see the (workspace-scoped) lists."""
        return True

    def may_change(self, user: Any, obj: Any) -> bool:
        return False

    def _object_check(self, request: HttpRequest, obj: Any, check: Any) -> bool:
        # Lists, and objects still being added (inlines ask about them), are guarded by the
        # workspace-scoped queryset and by the services' own checks.
        if obj is None or obj._state.adding or request.user.is_superuser:
            return is_member(request)
        return bool(check(request.user, obj))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._object_check(request, obj, self.may_view)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._object_check(request, obj, self.may_change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_field}__in": workspaces_of(request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "workspace" and not request.user.is_superuser:
            kwargs["queryset"] = workspaces_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
