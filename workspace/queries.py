"""Reads: token lookup and the permission checks every API call and page goes through."""

from datetime import datetime

from django.db import models

from workspace.models import ApiToken, AuditEvent, Workspace
from workspace.permissions import (
    Action,
    UserLike,
    can,
    roles_of,
    viewable_functions,
    workspaces_of,
)
from workspace.services import hash_token

__all__ = ["UserLike", "roles_of", "viewable_functions", "workspaces_of"]


def api_token_by_raw(raw: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("workspace", "user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )


def audit_events_list(
    *,
    workspace: Workspace,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    resource_id: str = "",
    resource_type: str = "",
    actor: str = "",
    action: str = "",
) -> models.QuerySet[AuditEvent]:
    """The workspace's trail, newest first, narrowed by the filters that are given."""
    events = AuditEvent.objects.filter(workspace=workspace).select_related("actor_user")
    if start_time is not None:
        events = events.filter(timestamp__gte=start_time)
    if end_time is not None:
        events = events.filter(timestamp__lte=end_time)
    if resource_id:
        events = events.filter(resource_id=resource_id)
    if resource_type:
        events = events.filter(resource_type=resource_type)
    if actor:
        events = events.filter(actor=actor)
    if action:
        events = events.filter(action=action)
    return events.order_by("-timestamp", "-id")


# The role checks live in workspace.permissions; these names remain for callers that have
# not moved to `can(user, Action..., workspace, obj)` yet.
def can_view_function(user: UserLike, workspace: Workspace, function: models.Model) -> bool:
    return can(user, Action.FUNCTION_VIEW, workspace, function)


def can_edit_function(user: UserLike, workspace: Workspace, function: models.Model | None) -> bool:
    """Edit or delete `function`; with `function=None`, create a new one (all-scope only)."""
    action = Action.FUNCTION_CREATE if function is None else Action.FUNCTION_EDIT
    return can(user, action, workspace, function)


def can_admin_source(user: UserLike, workspace: Workspace, source: models.Model | None) -> bool:
    """Connect functions to, enable/disable and deploy on `source` (None: create sources)."""
    action = Action.SOURCE_CREATE if source is None else Action.SOURCE_ADMIN
    return can(user, action, workspace, source)
