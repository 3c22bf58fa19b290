"""Small helpers for the pipeline tests."""

import base64
import time
from typing import Any

from delivery.models import DeliveryStatus, EventDelivery

FINAL = [s for s in DeliveryStatus.values if s != DeliveryStatus.RETRYING]


def basic(write_key: str) -> dict[str, str]:
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def track(n: int = 1, **fields: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "track",
            "event": "Order Completed",
            "userId": f"u{i}",
            "properties": {"total": 100 + i},
            **fields,
        }
        for i in range(n)
    ]


def post_batch(client: Any, write_key: str, events: list[dict[str, Any]]) -> Any:
    return client.post(
        "/v1/batch", {"batch": events}, content_type="application/json", **basic(write_key)
    )


def wait_final(count: int, timeout: float = 30, **filters: Any) -> list[EventDelivery]:
    """The rows once `count` of them reached a final status."""
    deadline = time.monotonic() + timeout
    while True:
        rows = list(EventDelivery.objects.filter(**filters))
        done = [r for r in rows if r.status in FINAL]
        if len(done) >= count:
            return rows
        if time.monotonic() > deadline:
            statuses = sorted({r.status for r in rows})
            raise AssertionError(f"{len(done)}/{count} final after {timeout}s; {statuses}")
        time.sleep(0.1)


def outbox_entry(source: Any, events: list[dict[str, Any]]) -> Any:
    """An accepted request of `events`, already dispatched, not fanned out yet."""
    import uuid

    from django.utils import timezone

    from delivery.models import OutboxEntry

    return OutboxEntry.objects.create(
        id=uuid.uuid4(),
        source=source,
        events=events,
        created_at=timezone.now(),
        dispatched_at=timezone.now(),
    )


def tracked(n: int) -> list[dict[str, Any]]:
    """`n` track events, each with a messageId of its own."""
    import uuid

    return [{**e, "messageId": uuid.uuid4().hex} for e in track(n)]
