"""Operator pages of the workspace app (superusers; members use the console)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from functions.admin_access import (
    WORKSPACE_FILTER,
    OperatorAdmin,
    actor_of,
    is_operator,
    require_in_admin,
)
from workspace.models import ApiToken, AuditEvent, Membership, Workspace
from workspace.permissions import Action, workspaces_of
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
class WorkspaceAdmin(OperatorAdmin):
    list_display = ("name", "slug", "id", "created_at")
    readonly_fields = ("id", "slug", "created_at")
    inlines = [MembershipInline]

    change_action = Action.MEMBERS_MANAGE

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return workspaces_of(request.user)

    def workspace_of(self, obj: Workspace) -> Workspace:
        return obj

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py create_workspace` creates workspaces with their owner


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyMixin, OperatorAdmin):
    view_action = Action.TOKENS_MANAGE
    list_display = ("name", "token_prefix", "workspace", "role", "created_at", "revoked_at")
    list_filter = (WORKSPACE_FILTER,)
    fields = ("name", "token_prefix", "workspace", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="role")
    def role(self, token: ApiToken) -> str:
        return ", ".join(m.get_role_display() for m in token.user.memberships.all())

    def has_tokens_manage_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    @admin.action(description="Revoke selected tokens", permissions=["tokens_manage"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True).select_related("workspace"))
        for token in tokens:
            require_in_admin(request, Action.TOKENS_MANAGE, token)
        for token in tokens:
            api_token_revoke(workspace=token.workspace, token=token, actor=actor_of(request))
        self.message_user(request, "Revoked.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, OperatorAdmin):
    view_action = Action.AUDIT_VIEW
    list_display = ("timestamp", "action", "actor", "resource_type", "resource_name", "resource_id")
    list_filter = ("action", "resource_type", WORKSPACE_FILTER)
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
