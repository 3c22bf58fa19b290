"""Durable acceptance: the tracking API writes its events to an outbox row and hands the row to
Celery inside the same transaction, so an answered request is never lost and a broker
outage is a 503 with nothing half-accepted. Processing the row fans the events out to
the source's destinations (routing and destination filters) as EventDelivery rows."""

import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.base import ModelState
from django.utils import timezone
from kombu.exceptions import OperationalError

from delivery.kinds.function import has_batch_handler
from delivery.kinds.pipeline import insert_instance_of
from delivery.lanes import is_slow
from delivery.ledger.rows import deliveries_open, deliveries_unique, deliveries_unseen, lease_until
from delivery.ledger.statements import UNFLUSHED, commit_unflushed, server_bound_cursor
from delivery.models import (
    USER_ID_KEPT,
    DeliveryStatus,
    Destination,
    DestinationFilter,
    EventDelivery,
    OutboxEntry,
    Source,
    event_user_id,
)
from delivery.publishing import PROCESS_OUTBOX_ENTRY, task_publish
from delivery.routing.filters import apply_filters, compile_filters
from delivery.routing.integrations import destination_names, is_routed
from functions.models import FunctionClass, FunctionInstance, FunctionVersion
from workspace.stored_json import stored_json_loads, stored_json_text

# Publishing gives up fast: the client is waiting and will retry after a 503.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class BrokerUnavailable(Exception):
    pass


def _lock_key(entry_id: uuid.UUID) -> int:
    """The advisory lock of an entry: the request's transaction holds it until it commits."""
    return int.from_bytes(entry_id.bytes[:8], "big", signed=True)


def _entry_lock(entry_id: uuid.UUID) -> None:
    """On PostgreSQL, a task that receives an entry before its transaction committed waits
    for the commit instead of finding nothing."""
    if connection.vendor == "postgresql":
        key = _lock_key(entry_id)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _routing_stamp_sql() -> str:
    """A text that changes whenever anything `destinations_loaded` reads for the source of
    outbox entry `e` changes: the row version of each of its destinations, their filters,
    their destination and insert function instances, and those instances' versions and
    functions, however it was written (the ORM's save, a queryset update, raw SQL). A row
    version is its `xmin` (the writing transaction, new in every other transaction) and its
    `ctid` (where it lies: every update writes a new version elsewhere, which matters within
    one transaction, where xmin stays the same; a place is only reused once the version
    there is dead to every transaction, so never within the one that wrote it). A row
    added or deleted changes the set."""
    destination = Destination._meta.db_table
    instance = FunctionInstance._meta.db_table
    version = FunctionVersion._meta.db_table
    function = FunctionClass._meta.db_table
    filters = DestinationFilter._meta.db_table
    return (
        f"(SELECT string_agg(concat_ws(':', d.id, d.xmin, d.ctid, fi.xmin, fi.ctid, fv.xmin, "
        f"fv.ctid, fc.xmin, fc.ctid, ii.xmin, ii.ctid, iv.xmin, iv.ctid, ic.xmin, ic.ctid, "
        f"(SELECT string_agg(concat_ws('.', f.id, f.xmin, f.ctid), ',' ORDER BY f.id) "
        f"FROM {filters} f WHERE f.destination_id = d.id)), ';' ORDER BY d.id) "
        f"FROM {destination} d "
        f"LEFT JOIN {instance} fi ON fi.id = d.function_instance_id "
        f"LEFT JOIN {version} fv ON fv.id = fi.version_id "
        f"LEFT JOIN {function} fc ON fc.id = fi.function_id "
        f"LEFT JOIN {instance} ii ON ii.id = d.insert_instance_id "
        f"LEFT JOIN {version} iv ON iv.id = ii.version_id "
        f"LEFT JOIN {function} ic ON ic.id = ii.function_id "
        f"WHERE d.source_id = e.source_id)"
    )


def _entry_locked(entry_id: uuid.UUID, now: datetime) -> tuple[OutboxEntry | None, str | None]:
    """In the caller's transaction: the entry as it was, locked (FOR UPDATE, after its
    request's transaction committed), with the transaction's commit not waiting for the WAL
    flush (`commit_unflushed`), and the routing stamp of its source (None off PostgreSQL).
    On PostgreSQL in one round trip instead of four: the entry not processed yet is also
    marked processed at `now` by the same statement (the caller's transaction fans it out
    or rolls the mark back with it), and the events (stored as text) are decoded as the
    model's field decodes them (`stored_json_loads`: orjson, json for an integer beyond
    64 bits)."""
    if connection.vendor != "postgresql":
        commit_unflushed()
        _entry_lock(entry_id)
        return OutboxEntry.objects.select_for_update().filter(id=entry_id).first(), None
    key = _lock_key(entry_id)
    table = OutboxEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"{UNFLUSHED}; SELECT pg_advisory_xact_lock(%s); "
            f"WITH entry AS (SELECT id, source_id, events, created_at, "
            f"dispatched_at, processed_at, pending_until, {_routing_stamp_sql()} AS stamp "
            f"FROM {table} e WHERE id = %s FOR UPDATE OF e), "
            f"marked AS (UPDATE {table} SET processed_at = %s, pending_until = %s "
            f"WHERE id IN (SELECT id FROM entry WHERE processed_at IS NULL)) "
            f"SELECT source_id, events, created_at, dispatched_at, processed_at, pending_until, "
            f"stamp FROM entry",
            [key, entry_id, now, lease_until(now)],
        )
        while cursor.nextset():
            pass
        row = cursor.fetchone()
    if row is None:
        return None, None
    source_id, events, created_at, dispatched_at, processed_at, pending_until, stamp = row
    entry = OutboxEntry(
        id=entry_id,
        source_id=source_id,
        events=stored_json_loads(events),
        created_at=created_at,
        dispatched_at=dispatched_at,
        processed_at=processed_at,
        pending_until=pending_until,
    )
    return entry, stamp or ""


def outbox_publish(entry_id: uuid.UUID) -> None:
    try:
        task_publish(PROCESS_OUTBOX_ENTRY, str(entry_id), retry=True, retry_policy=_PUBLISH_RETRY)
    except (OperationalError, OSError) as error:
        raise BrokerUnavailable(str(error)) from error


def events_accept(*, write_key: str, events: list[dict[str, Any]], received_at: datetime) -> bool:
    """Durably accept `events` for the enabled source of `write_key`: True; False when there
    is no such source (nothing stored); BrokerUnavailable with nothing stored."""
    entry_id = uuid.uuid4()
    with transaction.atomic():
        if not _entry_insert(entry_id, write_key, events, received_at):
            return False
        outbox_publish(entry_id)
    return True


def enabled_source_exists(write_key: str) -> bool:
    return Source.objects.filter(write_key=write_key, enabled=True).exists()


def _entry_insert(
    entry_id: uuid.UUID, write_key: str, events: list[dict[str, Any]], received_at: datetime
) -> bool:
    """In the caller's transaction: the entry, written for the enabled source of `write_key`
    (False when there is none), holding its advisory lock (`_entry_lock`). On PostgreSQL in
    one statement instead of the source's read, the lock and the ORM's insert (three round
    trips, and ~0.8 ms of the tracking API's CPU per request, a third of it at 100 events
    a request), with the events as a bound parameter: Django's cursor pasted them into the
    SQL text, for PostgreSQL's lexer to scan (150 kB for 500 events)."""
    if connection.vendor != "postgresql":
        source = Source.objects.filter(write_key=write_key, enabled=True).first()
        if source is None:
            return False
        OutboxEntry.objects.create(
            id=entry_id,
            source=source,
            events=events,
            created_at=received_at,
            dispatched_at=received_at,
        )
        return True
    key = _lock_key(entry_id)
    with server_bound_cursor() as cursor:
        cursor.execute(
            _ENTRY_INSERT,
            [entry_id, stored_json_text(events), received_at, received_at, key, write_key],
        )
        return cursor.rowcount == 1


_ENTRY_INSERT = (
    f"INSERT INTO {OutboxEntry._meta.db_table} (id, source_id, events, created_at, dispatched_at) "
    f"SELECT %s, s.id, %s, %s, %s FROM {Source._meta.db_table} s "
    f"CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(%s)) AS locked "
    f"WHERE s.write_key = %s AND s.enabled"
)


def _route(
    destination: Destination, entry: OutboxEntry, token: str, now: datetime
) -> list[EventDelivery]:
    names = destination_names(destination)
    filters = compile_filters(list(destination.filters.all()))
    batching = batch_size_of(destination) is not None
    # A slow destination's rows wait, due at once, for the slow lane (delivery/lanes.py).
    paused = destination.is_paused or is_slow(destination, now)
    if paused:
        due = now
    elif batching:
        due = now + timedelta(seconds=settings.DELIVERY_BATCH_WAIT_SECONDS)
    else:
        due = lease_until(now)
    rows = []
    # Rows handed to this task are claimed as they are created: their first attempt is
    # counted in this transaction, before any user code runs. A paused destination's rows
    # are left unclaimed, due, and wait for it to resume (a slow one's, for the slow lane).
    waiting = batching or paused
    attempts, window_started_at = (0, None) if waiting else (1, now)
    lease_token = "" if waiting else token
    workspace_id, destination_id = destination.workspace_id, destination.pk
    received_at = entry.created_at
    for event in entry.events:
        if "integrations" in event and not is_routed(event, names):
            continue
        kept = apply_filters(filters, event)
        stored = kept or event
        # `event_user_id`'s rule, its usual case (a short ASCII string) without the call.
        user_id = stored.get("userId")
        if not (type(user_id) is str and len(user_id) <= USER_ID_KEPT and user_id.isascii()):
            user_id = event_user_id(stored)
        if kept is None:
            status, next_attempt_at, row_token = _FILTERED, None, ""
        else:
            status, next_attempt_at, row_token = _RETRYING, due, lease_token
        state = ModelState()
        state.fields_cache = {"destination": destination}
        row = _bare_row(EventDelivery)
        # Every concrete field's attribute, as Model.__init__ would set them (a test checks
        # the names against the model): 0.8 us a row where __init__ took
        # ~3.3 us (its per-field loop); 500 rows a task. No pre_init/post_init receivers
        # exist for EventDelivery (a test checks that too), so none is skipped.
        row.__dict__ = {
            "_state": state,
            "id": None,
            "workspace_id": workspace_id,
            "destination_id": destination_id,
            "message_id": event["messageId"],
            "event_type": event["type"],
            "event": stored,
            "user_id": user_id,
            "status": status,
            "error_type": "",
            "error_message": "",
            "attempts": attempts,
            "next_attempt_at": next_attempt_at,
            "logs": [],
            "requests": [],
            "received_at": received_at,
            "window_started_at": window_started_at,
            "lease_token": row_token,
            "created_at": None,
            "updated_at": None,
        }
        rows.append(row)
    return rows


_bare_row = object.__new__
_FILTERED = DeliveryStatus.FILTERED_BY_DESTINATION_FILTER
_RETRYING = DeliveryStatus.RETRYING


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


# Per worker process: source id -> (routing stamp, its destinations as last loaded).
_ROUTING: dict[str, tuple[str, list[Destination]]] = {}
_ROUTING_MAX = 1000


def target_destinations_stamped(source_id: str, stamp: str | None) -> list[Destination]:
    """`target_destinations`, loaded again only when the source's routing stamp changed.
    Loading them (three tables joined, filters prefetched, the ORM's models) was ~2.8 ms
    of CPU and two round trips per task, per outbox entry; the stamp comes with the entry's
    own read. The objects are only read by the pipeline (never saved), so reusing them
    between tasks of a process is safe; off PostgreSQL (no stamp) nothing is cached."""
    if stamp is None:
        return target_destinations(source_id)
    cached = _ROUTING.get(source_id)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    destinations = target_destinations(source_id)
    if len(_ROUTING) >= _ROUTING_MAX:
        _ROUTING.clear()
    _ROUTING[source_id] = (stamp, destinations)
    return destinations


class FannedOut(NamedTuple):
    """`token` leases the entry's rows; `claimed` holds, per destination, the rows this call
    handed to its caller already claimed (None when the entry was fanned out before, after a
    crash: its rows are then claimed again by `token`). On PostgreSQL a claimed row is not
    written yet (its pk is None): the caller writes it once, with its outcome."""

    token: str
    destinations: list[Destination]
    claimed: dict[str, list[EventDelivery]] | None
    # The database session (the driver's connection) the fan-out committed on: see
    # `outbox_settled`.
    session: Any = None


def outbox_process(*, entry_id: uuid.UUID) -> FannedOut:
    """Fan the entry out once, so the caller attempts its rows.

    One write per event: on PostgreSQL the rows the caller attempts at once are held
    unwritten by the entry's lease (`pending_until`, renewed with the task's other leases,
    delivery/ledger/leases.py) and written with their outcome, instead of being inserted
    leased here and updated after the attempt (an insert with seven index entries, then a
    non-HOT update with four more: about a third of PostgreSQL's work per event). Rows that
    wait (a paused or slow destination, an onBatch one) or are final at once (a destination
    filter's) are written here as before. An event that has a row at the destination
    already is not attempted again (the unique key, probed here). If the task dies, the
    sweeper finds the entry's lease expired and writes the rows that have no outcome as
    crash suspects (an attempt counted, none recorded), due at once, to be attempted as
    after any crash (`orphans_write`)."""
    token = entry_id.hex
    with transaction.atomic():
        now = timezone.now()
        entry, stamp = _entry_locked(entry_id, now)
        if entry is None:
            return FannedOut(token, [], {})
        destinations = target_destinations_stamped(entry.source_id, stamp)
        if entry.processed_at is not None:
            return FannedOut(token, destinations, None)
        rows = deliveries_unique(
            [row for d in destinations for row in _route(d, entry, token, now)]
        )
        if stamp is None:  # off PostgreSQL: on it, the entry's read marked it already
            opened = deliveries_open(rows)
            entry.processed_at = now
            entry.save(update_fields=["processed_at"])
        else:
            opened = deliveries_open([row for row in rows if row.lease_token != token])
            opened += deliveries_unseen([row for row in rows if row.lease_token == token])
    claimed: dict[str, list[EventDelivery]] = {d.pk: [] for d in destinations}
    for row in opened:
        if row.lease_token == token and row.status == DeliveryStatus.RETRYING:
            claimed[row.destination_id].append(row)
    return FannedOut(token, destinations, claimed, connection.connection)


def orphans_write(now: datetime, limit: int = 1000) -> int:
    """For the sweeper: the entries whose task died holding rows it had not written (their
    lease ran out, unrenewed). Every row of such an entry that has none yet is written: the
    rows its task held as crash suspects (an attempt counted, no outcome recorded), unleased
    and due at once, so the sweep hands them over like any crashed attempt (each then runs
    alone: delivery/attempts.py). Returns how many entries."""
    with transaction.atomic():
        entries = list(
            OutboxEntry.objects.select_for_update(skip_locked=True)
            .filter(pending_until__lte=now)
            .order_by("pending_until")[:limit]
        )
        routing: dict[str, list[Destination]] = {}
        for entry in entries:
            if entry.source_id not in routing:
                routing[entry.source_id] = target_destinations(entry.source_id)
            rows = [row for d in routing[entry.source_id] for row in _route(d, entry, "", now)]
            for row in rows:
                if row.status == DeliveryStatus.RETRYING and row.attempts:
                    row.next_attempt_at = now
            deliveries_open(rows)
        OutboxEntry.objects.filter(pk__in=[e.pk for e in entries]).update(pending_until=None)
    return len(entries)


def outbox_settled(entry_id: uuid.UUID, session: Any) -> None:
    """The entry's task ended: every row it held is written, unless the database lost some
    of those writes. Their commits do not wait for the WAL flush, so a PostgreSQL crash
    (or a failover) loses the last ones; the WAL keeps everything up to some point, in
    order. So the entry's lease is cleared only on the session (`session`, the driver's
    connection the fan-out committed on) that wrote those rows: a crash breaks it, and a
    task that had to reconnect since leaves the lease to run out, after which the sweep
    writes, as crash suspects, the rows the database does not have (`orphans_write`). On
    that session the clearing comes after every row it wrote, so a crash keeps either it
    and all of them, or not it. Its own commit does not wait for the flush either."""
    if connection.vendor != "postgresql" or connection.connection is not session:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"{UNFLUSHED}; UPDATE {OutboxEntry._meta.db_table} SET pending_until = NULL "
            f"WHERE id = %s AND pending_until IS NOT NULL",
            [entry_id],
        )
        while cursor.nextset():
            pass
