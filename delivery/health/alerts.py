"""Sending Connection Health alerts: an email to the workspace's owners and to whoever
subscribed to a function of the connection, and the same JSON to the workspace's alert
webhook when it has one (through the webhook sender, so the outbound address guard holds)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import QuerySet

from delivery.kinds.webhook import webhook_send
from delivery.models import AlertSubscription, DeliveryStatus, Destination, HealthAlert
from workspace.models import Role

logger = logging.getLogger(__name__)


def connection_functions(destination: Destination) -> list[str]:
    """Ids of the functions running in a connection (destination function, insert function)."""
    ids = []
    if destination.function_instance_id:
        ids.append(destination.function_instance.function_id)  # type: ignore[union-attr]
    insert = destination.insert_instance
    if insert is not None:
        ids.append(insert.function_id)
    return ids


def alert_recipients(destination: Destination) -> list[str]:
    users: QuerySet = get_user_model().objects.filter(is_active=True)
    owners = users.filter(
        memberships__workspace_id=destination.workspace_id, memberships__role=Role.OWNER
    )
    subscribed = users.filter(
        pk__in=AlertSubscription.objects.filter(
            function_id__in=connection_functions(destination)
        ).values("user_id")
    )
    emails = {u.email for u in owners.union(subscribed) if u.email}
    return sorted(emails)


def alert_json(alert: HealthAlert) -> dict[str, object]:
    return {
        "messageId": f"connection-health-{alert.pk}",
        "type": "connection_health",
        "workspaceId": alert.workspace_id,
        "destinationId": alert.destination_id,
        "destinationName": alert.destination.name,
        "from": alert.from_state,
        "to": alert.to_state,
        "autoDisabled": alert.auto_disabled,
        "message": alert.message,
        "timestamp": alert.created_at.isoformat(),
    }


def alert_send(alert: HealthAlert) -> None:
    destination = alert.destination
    subject = f"[Functions] {destination.name} is {alert.to_state}"
    if alert.auto_disabled:
        subject = f"[Functions] {destination.name} was disabled"
    recipients = alert_recipients(destination)
    if recipients:
        send_mail(subject, alert.message, settings.DEFAULT_FROM_EMAIL, recipients)
    url = destination.workspace.alert_webhook_url
    if url:
        outcome = webhook_send(url=url, headers={}, events=[alert_json(alert)])[0]
        if outcome.status != DeliveryStatus.DELIVERED:
            logger.warning("alert webhook of workspace %s: %s", alert.workspace_id, outcome.status)
