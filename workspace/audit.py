"""The audit trail: one AuditEvent per state change, written inside the change's transaction."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from workspace.models import ApiToken, AuditEvent, Workspace

REDACTED = "[redacted]"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, an API token, or the system (seeding, key rotation)."""

    user: User | None = None
    token: ApiToken | None = None

    @property
    def label(self) -> str:
        if self.token is not None:
            return f"token:{self.token.name}"
        if self.user is not None:
            return str(self.user.get_username())
        return "system"

    @property
    def acting_user(self) -> User | None:
        return self.token.user if self.token is not None else self.user


SYSTEM = Actor()


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: {"from": old, "to": new}} for every field that changed; callers pass values
    that are already redacted."""
    keys = sorted(set(before) | set(after))
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    }


def audit_record(
    *,
    workspace: Workspace,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str,
    resource_name: str = "",
    diff: dict[str, Any] | None = None,
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the change's transaction")
    user = actor.user if actor.token is None else None
    return AuditEvent.objects.create(
        workspace=workspace,
        actor_user=user,
        actor_token=actor.token,
        actor=actor.label,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        resource_name=resource_name[:200],
        diff=diff or {},
    )
