"""Admin pages show each staff member only the workspaces they belong to."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from workspace.audit import Actor
from workspace.queries import workspaces_of


def actor_of(request: HttpRequest) -> Actor:
    return Actor(user=request.user)  # type: ignore[arg-type]


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Superusers see every workspace; other staff only their own."""

    workspace_field = "workspace"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_field}__in": workspaces_of(request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "workspace" and not request.user.is_superuser:
            kwargs["queryset"] = workspaces_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
