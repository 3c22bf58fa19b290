"""Recent real events of a source, for the Test tab's Use Sample Event."""

from typing import Any

from delivery.models import EventDelivery, OutboxEntry, Source

RECENT_EVENTS = 10


def recent_source_events(source: Source, limit: int = RECENT_EVENTS) -> list[dict[str, Any]]:
    """The newest events the source received (the outbox keeps every accepted event, the
    ledger what reached a destination), newest first, one per messageId."""
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    entries = OutboxEntry.objects.filter(source=source).order_by("-created_at")[:limit]
    candidates = [event for entry in entries for event in reversed(entry.events)]
    deliveries = EventDelivery.objects.filter(destination__source=source).order_by("-created_at")
    candidates += [row.event for row in deliveries.only("event")[: limit * 2]]
    for event in candidates:
        key = str(event.get("messageId", id(event))) if isinstance(event, dict) else ""
        if not key or key in seen:
            continue
        seen.add(key)
        events.append(event)
        if len(events) >= limit:
            break
    return events
