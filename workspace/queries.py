"""Reads of the workspace app: token lookup, the audit trail. Role checks live in
workspace.permissions."""

from datetime import datetime

from django.db import models

from workspace.models import ApiToken, AuditEvent, Workspace
from workspace.services import hash_token


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
