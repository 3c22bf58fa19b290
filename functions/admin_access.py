"""The stock model pages are operator tools for superusers: workspace members work in the
console (`/admin/w/<slug>/`), so they get no stock model page at all. Operators' actions still
go through the services and ask `workspace.permissions`, like every other interface."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from workspace.audit import Actor
from workspace.errors import DomainError
from workspace.permissions import Action, can, require, workspaces_of


def actor_of(request: HttpRequest) -> Actor:
    # Admin views only run for signed-in users (WorkspaceAdminSite.has_permission).
    if not isinstance(request.user, User):
        raise PermissionDenied
    return Actor(user=request.user)


def is_operator(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def require_in_admin(request: HttpRequest, action: Action, obj: Any) -> None:
    """`permissions.require` for an admin page: any refusal is the admin's 403."""
    try:
        require(request.user, action, obj.workspace, obj)
    except DomainError:
        raise PermissionDenied from None


class OperatorAdmin(admin.ModelAdmin):
    """A stock model page: superusers only. `view_action`/`change_action` are asked of
    `workspace.permissions` for each object (objects carry their `workspace`)."""

    workspace_field = "workspace"
    view_action: Action | None = None
    change_action: Action | None = None

    def _may(self, request: HttpRequest, action: Action | None, obj: Any) -> bool:
        if not is_operator(request):
            return False
        if obj is None or obj._state.adding or action is None:
            return True
        return can(request.user, action, self.workspace_of(obj), obj)

    def workspace_of(self, obj: Any) -> Any:
        return obj.workspace

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, self.view_action, obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, self.change_action, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset.filter(**{f"{self.workspace_field}__in": workspaces_of(request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "workspace":
            kwargs["queryset"] = workspaces_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# List filters offer only values of the rows the page may list, never other workspaces' names.
WORKSPACE_FILTER = ("workspace", admin.RelatedOnlyFieldListFilter)
