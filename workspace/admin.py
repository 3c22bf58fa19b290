from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from functions.admin_access import WorkspaceScopedAdmin, actor_of
from workspace.models import ApiToken, AuditEvent, Membership, Workspace
from workspace.queries import workspaces_of
from workspace.services import api_token_revoke


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(ReadOnlyMixin, admin.TabularInline):
    model = Membership
    fields = ("user", "role", "all_resources", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "id", "created_at")
    readonly_fields = ("id", "slug", "created_at")
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        if request.user.is_superuser:
            return super().get_queryset(request)
        return workspaces_of(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py create_workspace` creates workspaces with their owner


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyMixin, WorkspaceScopedAdmin):
    list_display = ("name", "token_prefix", "workspace", "role", "created_at", "revoked_at")
    list_filter = ("workspace",)
    fields = ("name", "token_prefix", "workspace", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="role")
    def role(self, token: ApiToken) -> str:
        return ", ".join(m.get_role_display() for m in token.user.memberships.all())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and request.user.is_active

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, actor=actor_of(request))
        self.message_user(request, "Revoked.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, WorkspaceScopedAdmin):
    list_display = ("timestamp", "action", "actor", "resource_type", "resource_name", "resource_id")
    list_filter = ("action", "resource_type", "workspace")
    search_fields = ("resource_id", "resource_name", "actor")
    date_hierarchy = "timestamp"
    fields = (
        "timestamp",
        "workspace",
        "actor",
        "action",
        "resource_type",
        "resource_id",
        "resource_name",
        "diff",
    )
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff
