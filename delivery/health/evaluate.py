"""Connection Health: each connection's state from its ledger of the last minutes, one alert
per state change, and the opt-in auto-disable of a connection failing for too long.

A connection is a destination (webhook or destination function) together with its insert
function. `health_evaluate(now=...)` takes the clock as an argument, so tests move time
instead of sleeping through it; beat calls it every `HEALTH_CHECK_SECONDS`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from delivery.models import (
    ConnectionHealth,
    DeliveryStatus,
    Destination,
    EventDelivery,
    HealthAlert,
    HealthState,
)
from delivery.queries import NOT_ERRORS
from delivery.services import destination_update
from workspace.audit import SYSTEM

AUTO_DISABLED = "AutoDisabled"


@dataclass(frozen=True)
class WindowCounts:
    events: int
    errors: int
    top_error: str


def state_of(counts: WindowCounts) -> HealthState | None:
    """The verdict of a window, or None when it holds too few events to judge."""
    if counts.events < settings.HEALTH_MIN_EVENTS:
        return None
    rate = counts.errors / counts.events
    if rate >= settings.HEALTH_FAILING_ERROR_RATE:
        return HealthState.FAILING
    if rate >= settings.HEALTH_DEGRADED_ERROR_RATE:
        return HealthState.DEGRADED
    return HealthState.HEALTHY


def _is_error() -> Q:
    # A row waiting for a retry after an error is failing now, not only once retries end.
    waiting = Q(status=DeliveryStatus.RETRYING) & ~Q(error_type="")
    return ~Q(status__in=NOT_ERRORS) | waiting


def window_counts(destination_ids: list[str], now: datetime) -> dict[str, WindowCounts]:
    since = now - timedelta(minutes=settings.HEALTH_WINDOW_MINUTES)
    # By receipt, the time `delivery_received_idx` holds (a row is created milliseconds later).
    rows = EventDelivery.objects.filter(
        destination_id__in=destination_ids, received_at__gte=since, received_at__lt=now
    ).exclude(Q(status=DeliveryStatus.RETRYING) & Q(error_type=""))
    totals = rows.values("destination_id").annotate(
        events=Count("id"), errors=Count("id", filter=_is_error())
    )
    tops = (
        rows.filter(_is_error())
        .values("destination_id", "error_type", "error_message")
        .annotate(n=Count("id"))
        .order_by("destination_id", "-n")
    )
    top: dict[str, str] = {}
    for row in tops:
        top.setdefault(row["destination_id"], f"{row['error_type']}: {row['error_message']}"[:300])
    return {
        row["destination_id"]: WindowCounts(
            row["events"], row["errors"], top.get(row["destination_id"], "")
        )
        for row in totals
    }


def _message(destination: Destination, old: str, new: str, counts: WindowCounts) -> str:
    rate = f"{counts.errors}/{counts.events} events failed" if counts.events else "no events"
    text = f"{destination.name} is {new} (was {old}): {rate} in the last "
    text += f"{settings.HEALTH_WINDOW_MINUTES} minutes."
    if counts.top_error:
        text += f" Top error: {counts.top_error}"
    return text


def _alert(
    destination: Destination, old: str, new: str, message: str, now: datetime, auto: bool = False
) -> HealthAlert:
    return HealthAlert.objects.create(
        workspace_id=destination.workspace_id,
        destination=destination,
        from_state=old,
        to_state=new,
        message=message,
        auto_disabled=auto,
        created_at=now,
    )


def _auto_disable(destination: Destination, health: ConnectionHealth, now: datetime) -> HealthAlert:
    destination_update(destination=destination, actor=SYSTEM, enabled=False)
    reason = (
        f"auto-disabled by Connection Health after failing for "
        f"{health.auto_disable_minutes} minutes; re-enable it, then replay"
    )
    EventDelivery.objects.filter(destination=destination, status=DeliveryStatus.RETRYING).update(
        status=DeliveryStatus.FAILED,
        error_type=AUTO_DISABLED,
        error_message=reason,
        next_attempt_at=None,
        lease_token="",
        updated_at=now,
    )
    message = (
        f"{destination.name} was disabled: it has been failing since "
        f"{health.since:%Y-%m-%d %H:%M} UTC. Its pending events are kept as failed and can be "
        f"replayed from Event Delivery once you have fixed the cause and enabled it again."
    )
    return _alert(destination, HealthState.FAILING, HealthState.FAILING, message, now, auto=True)


def _evaluate_one(
    destination: Destination, counts: WindowCounts, now: datetime
) -> list[HealthAlert]:
    health = getattr(destination, "health", None) or ConnectionHealth(
        destination=destination, state=HealthState.HEALTHY, since=now, checked_at=now
    )
    verdict = state_of(counts) or (HealthState.HEALTHY if not counts.events else health.state)
    health.events, health.checked_at = counts.events, now
    health.error_rate = counts.errors / counts.events if counts.events else None
    health.top_error = counts.top_error
    alerts = []
    if verdict != health.state:
        message = _message(destination, health.state, verdict, counts)
        alerts.append(_alert(destination, health.state, verdict, message, now))
        health.state, health.since = verdict, now
    minutes = health.auto_disable_minutes
    if (
        health.state == HealthState.FAILING
        and minutes
        and destination.enabled
        and now - health.since >= timedelta(minutes=minutes)
    ):
        alerts.append(_auto_disable(destination, health, now))
    health.save()
    return alerts


def health_evaluate(*, now: datetime | None = None) -> list[HealthAlert]:
    """Re-evaluate every connection; returns the alerts of the state changes."""
    now = now or timezone.now()
    destinations = list(Destination.objects.select_related("health", "workspace"))
    counts = window_counts([d.pk for d in destinations], now)
    alerts: list[HealthAlert] = []
    empty = WindowCounts(0, 0, "")
    for destination in destinations:
        with transaction.atomic():
            alerts.extend(_evaluate_one(destination, counts.get(destination.pk, empty), now))
    return alerts
