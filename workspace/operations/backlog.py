"""The backlog figures `/metrics` reads at scrape time (one query each, indexed columns)."""

from typing import Any

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from workspace.operations.heartbeat import live_workers

# Celery's default queue; every pipeline task goes through it today.
QUEUES = ("celery",)

Figure = tuple[str, str, float, dict[str, str]]


def _ledger() -> list[Figure]:
    from delivery.models import DeliveryStatus, EventDelivery, OutboxEntry

    now = timezone.now()
    pending = EventDelivery.objects.filter(status=DeliveryStatus.RETRYING)
    outbox = OutboxEntry.objects.filter(processed_at__isnull=True)
    oldest = outbox.aggregate(oldest=Min("created_at"))["oldest"]
    return [
        ("functions_ledger_pending_rows", "Deliveries not final yet", pending.count(), {}),
        (
            "functions_retries_due",
            "Pending deliveries whose next attempt is due",
            pending.filter(next_attempt_at__lte=now).count(),
            {},
        ),
        ("functions_outbox_backlog", "Accepted requests not fanned out yet", outbox.count(), {}),
        (
            "functions_outbox_oldest_age_seconds",
            "Age of the oldest accepted request not fanned out",
            (now - oldest).total_seconds() if oldest else 0.0,
            {},
        ),
    ]


def _length(client: Any, queue: str) -> float:
    return float(client.llen(queue))


def _queues() -> list[Figure]:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return []
    from workspace.operations.health import redis_client

    client = redis_client(url)
    return [
        (
            "functions_queue_length",
            "Tasks waiting in a broker queue",
            _length(client, q),
            {"queue": q},
        )
        for q in QUEUES
    ]


def backlog() -> list[Figure]:
    figures = _ledger() + _queues()
    figures.append(("functions_live_workers", "Workers seen recently", len(live_workers()), {}))
    return figures
