"""Writes of Connection Health settings, each with its audit event."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from delivery.kinds.webhook_destination import check_webhook_settings
from delivery.models import AlertSubscription, ConnectionHealth, Destination, HealthState
from delivery.services import audit_destination
from functions.models import FunctionClass
from workspace.audit import Actor, audit_record
from workspace.errors import InvalidInput
from workspace.models import Workspace

MAX_AUTO_DISABLE_MINUTES = 7 * 24 * 60


@transaction.atomic
def connection_auto_disable_set(
    *, destination: Destination, actor: Actor, minutes: int | None
) -> ConnectionHealth:
    """Opt a connection in (`minutes` failing before it is disabled) or out (None)."""
    if minutes is not None and not 5 <= minutes <= MAX_AUTO_DISABLE_MINUTES:
        raise InvalidInput(
            f"auto-disable needs 5 to {MAX_AUTO_DISABLE_MINUTES} minutes", field="minutes"
        )
    now = timezone.now()
    health, _ = ConnectionHealth.objects.get_or_create(
        destination=destination,
        defaults={"state": HealthState.HEALTHY, "since": now, "checked_at": now},
    )
    before = health.auto_disable_minutes
    health.auto_disable_minutes = minutes
    health.save(update_fields=["auto_disable_minutes"])
    audit_destination(
        destination,
        actor,
        "Connection Auto-disable Changed",
        {"autoDisableMinutes": {"from": before, "to": minutes}},
    )
    return health


@transaction.atomic
def alert_subscription_set(*, user: User, function: FunctionClass, subscribed: bool) -> bool:
    if subscribed:
        AlertSubscription.objects.get_or_create(user=user, function=function)
    else:
        AlertSubscription.objects.filter(user=user, function=function).delete()
    return subscribed


@transaction.atomic
def workspace_alert_webhook_set(*, workspace: Workspace, actor: Actor, url: str) -> Workspace:
    url = (url or "").strip()
    if url:
        check_webhook_settings({"url": url})
    changed = url != workspace.alert_webhook_url
    workspace.alert_webhook_url = url
    workspace.save(update_fields=["alert_webhook_url"])
    if changed:
        # The URL may carry a token: the trail says that it changed, never what it is.
        audit_record(
            workspace=workspace,
            actor=actor,
            action="Alert Webhook Changed",
            resource_type="WORKSPACE",
            resource_id=workspace.pk,
            resource_name=workspace.name,
            diff={"alertWebhookUrl": "changed" if url else "removed"},
        )
    return workspace
