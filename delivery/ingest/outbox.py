"""Durable acceptance: the tracking API writes its events to an outbox row and hands the row to
Celery inside the same transaction, so an answered request is never lost and a broker
outage is a 503 with nothing half-accepted. Processing the row fans the events out to
the source's destinations (routing and destination filters) as EventDelivery rows."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from delivery.kinds.function import has_batch_handler
from delivery.kinds.pipeline import insert_instance_of
from delivery.ledger.rows import deliveries_open, lease_until
from delivery.ledger.statements import commit_unflushed
from delivery.models import DeliveryStatus, Destination, EventDelivery, OutboxEntry, Source
from delivery.publishing import PROCESS_OUTBOX_ENTRY, task_publish
from delivery.routing.filters import apply_filters, compile_filters
from delivery.routing.integrations import destination_names, is_routed

# Publishing gives up fast: the client is waiting and will retry after a 503.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class BrokerUnavailable(Exception):
    pass


def _entry_lock(entry_id: uuid.UUID) -> None:
    """On PostgreSQL, a task that receives an entry before its transaction committed waits
    for the commit instead of finding nothing."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(entry_id.bytes[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def outbox_publish(entry_id: uuid.UUID) -> None:
    try:
        task_publish(PROCESS_OUTBOX_ENTRY, str(entry_id), retry=True, retry_policy=_PUBLISH_RETRY)
    except (OperationalError, OSError) as error:
        raise BrokerUnavailable(str(error)) from error


def events_accept(
    *, source: Source, events: list[dict[str, Any]], received_at: datetime
) -> OutboxEntry:
    """Durably accept `events`, or BrokerUnavailable with nothing stored."""
    entry_id = uuid.uuid4()
    with transaction.atomic():
        _entry_lock(entry_id)
        entry = OutboxEntry.objects.create(
            id=entry_id,
            source=source,
            events=events,
            created_at=received_at,
            dispatched_at=received_at,
        )
        outbox_publish(entry_id)
    return entry


def _route(
    destination: Destination, entry: OutboxEntry, token: str, now: datetime
) -> list[EventDelivery]:
    names = destination_names(destination)
    filters = compile_filters(list(destination.filters.all()))
    batching = batch_size_of(destination) is not None
    paused = destination.is_paused
    if paused:
        due = now
    elif batching:
        due = now + timedelta(seconds=settings.DELIVERY_BATCH_WAIT_SECONDS)
    else:
        due = lease_until(now)
    rows = []
    # Rows handed to this task are claimed as they are created: their first attempt is
    # counted in this transaction, before any user code runs. A paused destination's rows
    # are left unclaimed, due, and wait for it to resume.
    waiting = batching or paused
    attempts, window_started_at = (0, None) if waiting else (1, now)
    lease_token = "" if waiting else token
    workspace_id, destination_id = destination.workspace_id, destination.pk
    received_at = entry.created_at
    cache_destination = EventDelivery.destination.field.set_cached_value
    for event in entry.events:
        if not is_routed(event, names):
            continue
        kept = apply_filters(filters, event)
        # Positional arguments in _ROW_FIELDS order: Django's fast path of Model.__init__,
        # a third of the time of keyword arguments (measured ~5 us against ~15 us a row).
        if kept is None:
            status, next_attempt_at, row_token = _FILTERED, None, ""
        else:
            status, next_attempt_at, row_token = _RETRYING, due, lease_token
        rows.append(
            _new_row(
                None,  # id
                workspace_id,
                destination_id,
                event["messageId"],
                event["type"],
                kept or event,
                status,
                "",  # error_type
                "",  # error_message
                attempts,
                next_attempt_at,
                [],  # logs
                [],  # requests
                received_at,
                window_started_at,
                row_token,
                None,  # created_at
                None,  # updated_at
            )
        )
        cache_destination(rows[-1], destination)
    return rows


# Untyped: the django-stubs plugin checks positional arguments against the wrong fields.
_new_row: Callable[..., EventDelivery] = EventDelivery
_FILTERED = DeliveryStatus.FILTERED_BY_DESTINATION_FILTER
_RETRYING = DeliveryStatus.RETRYING
# The order of the positional arguments _route passes to EventDelivery (a test checks it
# against the model's concrete fields).
_ROW_FIELDS = [
    "id",
    "workspace_id",
    "destination_id",
    "message_id",
    "event_type",
    "event",
    "status",
    "error_type",
    "error_message",
    "attempts",
    "next_attempt_at",
    "logs",
    "requests",
    "received_at",
    "window_started_at",
    "lease_token",
    "created_at",
    "updated_at",
]


def batch_size_of(destination: Destination) -> int | None:
    """batchMaxCount when a function on this destination has onBatch, else None."""
    sizes = [
        instance.function.batch_max_count
        for instance in (insert_instance_of(destination), destination.function_instance)
        if instance is not None and has_batch_handler(instance)
    ]
    return min(sizes) if sizes else None


def destinations_loaded() -> "QuerySet[Destination]":
    """Destinations with what their pipeline reads, in three queries whatever their number."""
    return Destination.objects.select_related(
        "function_instance__version",
        "function_instance__function",
        "insert_instance__version",
        "insert_instance__function",
    ).prefetch_related("filters")


def target_destinations(source_id: str) -> list[Destination]:
    return list(destinations_loaded().filter(source_id=source_id, enabled=True))


class FannedOut(NamedTuple):
    """`token` leases the entry's rows; `claimed` holds, per destination, the rows this call
    created already claimed (None when the entry was fanned out before, after a crash: its
    rows are then claimed again by `token`)."""

    token: str
    destinations: list[Destination]
    claimed: dict[str, list[EventDelivery]] | None


def outbox_process(*, entry_id: uuid.UUID) -> FannedOut:
    """Fan the entry out once, so the caller attempts its rows."""
    token = entry_id.hex
    with transaction.atomic():
        commit_unflushed()
        _entry_lock(entry_id)
        entry = OutboxEntry.objects.select_for_update().filter(id=entry_id).first()
        if entry is None:
            return FannedOut(token, [], {})
        destinations = target_destinations(entry.source_id)
        if entry.processed_at is not None:
            return FannedOut(token, destinations, None)
        now = timezone.now()
        opened = deliveries_open(
            [row for d in destinations for row in _route(d, entry, token, now)]
        )
        entry.processed_at = now
        entry.save(update_fields=["processed_at"])
    claimed: dict[str, list[EventDelivery]] = {d.pk: [] for d in destinations}
    for row in opened:
        if row.lease_token == token and row.status == DeliveryStatus.RETRYING:
            claimed[row.destination_id].append(row)
    return FannedOut(token, destinations, claimed)
