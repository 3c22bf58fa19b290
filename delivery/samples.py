"""Recent real events of a source, for the Test tab's Use Sample Event."""

from typing import Any

from delivery.models import Destination, EventDelivery, OutboxEntry, Source

RECENT_EVENTS = 10


def recent_source_events(source: Source, limit: int = RECENT_EVENTS) -> list[dict[str, Any]]:
    """The newest events the source received (the outbox keeps every accepted event, the
    ledger what reached a destination), newest first, one per messageId."""
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    entries = OutboxEntry.objects.filter(source=source).order_by("-created_at")[:limit]
    candidates = [event for entry in entries for event in reversed(entry.events)]
    for event in [*candidates, *_delivered_events(source, limit * 2)]:
        key = str(event.get("messageId", id(event))) if isinstance(event, dict) else ""
        if not key or key in seen:
            continue
        seen.add(key)
        events.append(event)
        if len(events) >= limit:
            break
    return events


def _delivered_events(source: Source, count: int) -> list[Any]:
    """The newest `count` events of the source's destinations' ledgers, newest first: each
    destination's read on its (destination, received_at) index, then merged (one query over
    all of them, joined through the source, sorts the whole ledger)."""
    rows: list[tuple[Any, Any]] = []
    for destination_id in Destination.objects.filter(source=source).values_list("pk", flat=True):
        newest = EventDelivery.objects.filter(destination_id=destination_id)
        rows += newest.order_by("-received_at").values_list("received_at", "event")[:count]
    rows.sort(key=lambda row: row[0], reverse=True)
    return [event for _, event in rows[:count]]
