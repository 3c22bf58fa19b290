"""The ledger's bulk statements: opening rows, and recording outcomes fenced by the lease.

On PostgreSQL each is ONE statement. An insert's rows travel column by column
(`delivery/ledger/columns.py`: a column the same in every row once, the others as a text of
lines); an outcome's update sends its rows as one JSON document, an array per row with the
columns in order (`jsonb_array_elements`, then `e->>i` per column). Profiled in the pipeline
bench, Django's bulk_create and its upsert of 500 rows spent most of the worker's database
time adapting parameters in Python (psycopg's client-side binding renders every UNNEST array
element); texts joined or dumped in C are not. Elsewhere (the embedded SQLite default) the
ORM does the same work in a few queries."""

from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import UniqueConstraint
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from psycopg.errors import UniqueViolation

from delivery.ledger.columns import JSON_TEXT, Columns, fields_read, json_text, keys_of
from delivery.models import Destination, EventDelivery

_TABLE = EventDelivery._meta.db_table
_DESTINATIONS = Destination._meta.db_table


@receiver(pre_delete, sender=Destination)
def _destination_locked(sender: type[Destination], instance: Destination, **kwargs: Any) -> None:
    """A destination being deleted is locked before its rows are: an insert that holds it
    (`_inserted`) commits first and its rows are deleted with the others; one that comes
    after finds it gone and inserts nothing. The ledger has no foreign key to do this."""
    using = kwargs.get("using") or "default"
    list(Destination.objects.using(using).select_for_update().filter(pk=instance.pk).values("pk"))


OPENED = {
    "workspace_id": "text",
    "destination_id": "text",
    "message_id": "text",
    "event_type": "text",
    "user_id": "text",
    "status": "text",
    "attempts": "int",
    "next_attempt_at": "timestamptz",
    "received_at": "timestamptz",
    "window_started_at": "timestamptz",
    "lease_token": "text",
}
RECORDED = {
    "status": "text",
    "error_type": "text",
    "error_message": "text",
    "attempts": "int",
    "next_attempt_at": "timestamptz",
    "logs": "jsonb",
    "requests": "jsonb",
    "lease_token": "text",
    "window_started_at": "timestamptz",
}


def _document(rows: list[EventDelivery], columns: list[str]) -> str:
    """The rows as one JSON array of arrays, each row's `columns` in order, read in C
    (`fields_read`; a comprehension of getattr calls was a twentieth of a sending worker's
    Python time: 15 columns, 500 rows a task) and orjson writes its tuples as arrays."""
    return json_text(fields_read(rows, columns))


def _columns_read(columns: dict[str, str]) -> str:
    """The select list reading `columns` (name: type) from each row `e` of a `_document`."""
    return ", ".join(
        f"(e->{i}) AS {name}" if kind == "jsonb" else f"(e->>{i})::{kind} AS {name}"
        for i, (name, kind) in enumerate(columns.items())
    )


Created = dict[tuple[str, str], int]
UNFLUSHED = "SET LOCAL synchronous_commit = off"


def commit_unflushed() -> None:
    """In a worker's ledger transaction: its commit does not wait for the WAL flush (the
    tracking API's acceptance never does this; it stays durable before answering success).
    A commit lost in a database crash is harmless: its rows are back as they were, leased
    with an attempt counted and no outcome, so they are re-run as crash suspects (or the
    outbox entry is fanned out again), and a webhook sent twice carries the same
    Idempotency-Key: delivery stays at-least-once. Saves a flush wait per task."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(UNFLUSHED)


# A row as it is inserted, opened or with its outcome (`rows_insert_recorded`).
WRITTEN = {
    **OPENED,
    "error_type": "text",
    "error_message": "text",
    "logs": "jsonb",
    "requests": "jsonb",
    "event": JSON_TEXT,
}


def rows_insert(rows: list[EventDelivery]) -> Created:
    """Insert `rows` (at most one per message and destination); a message that already has a
    row at a destination keeps it. Returns the ids of the rows this call created, by
    (destination id, message id)."""
    if not rows:
        return {}
    if connection.vendor != "postgresql":
        return _rows_insert_orm(rows)
    return _inserted(rows)


def rows_insert_recorded(rows: list[EventDelivery]) -> Created:
    """`rows_insert` of rows that carry their outcome already (PostgreSQL only: elsewhere
    every row is opened before it is attempted): status, error, logs and requests as
    recorded. A message that has a row at the destination keeps it, and this outcome is
    dropped: the row was written by whoever took the entry over (outbox_process)."""
    if not rows:
        return {}
    # Outside a transaction the statement is its own, and its commit does not wait for the
    # WAL flush either (`commit_unflushed`): set_config(..., true) is SET LOCAL, in the one
    # statement a server-bound parameter allows (the rows' document is not pasted into the
    # SQL text for PostgreSQL's lexer to scan).
    unflushed = ", (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed"
    return _inserted(rows, unflushed)


def _inserted(rows: list[EventDelivery], joined: str = "") -> Created:
    # The rows' destinations, key-share locked once for the statement (what the foreign
    # key's trigger did for every row): none can be deleted until this commits, and the
    # rows of one deleted already are not inserted (`_destination_locked` is the other half).
    # The rows travel column by column (delivery/ledger/columns.py).
    columns = Columns(rows, WRITTEN, always="message_id")
    sql = (
        f"WITH held AS MATERIALIZED (SELECT id FROM {_DESTINATIONS} "
        f"WHERE id = ANY(%s) FOR KEY SHARE) "
        f"INSERT INTO {_TABLE} ({', '.join(WRITTEN)}, created_at, updated_at) "
        f"SELECT v.*, now(), now() FROM (SELECT {columns.select} FROM {columns.source}) AS v"
        f"{joined} WHERE v.destination_id IN (SELECT id FROM held) "
        f"{{}}RETURNING destination_id, message_id, id"
    )
    document = [list(set(fields_read(rows, ["destination_id"]))), *columns.parameters]
    if not connection.in_atomic_block:
        # Most rows have no row at their destination yet (the fan-out probed for them):
        # a plain INSERT first, its own transaction, which a row written meanwhile undoes
        # whole (UniqueViolation) before ON CONFLICT's. ON CONFLICT checked the unique key
        # before every row and logged a confirmation: ~3 us of backend CPU per row.
        try:
            return _returned(sql.format(""), document)
        except IntegrityError as error:
            if not _already_written(error):
                raise
    return _returned(sql.format(_ON_CONFLICT), document)


_ON_CONFLICT = "ON CONFLICT (destination_id, message_id) DO NOTHING "
_UNIQUE = next(
    c.name
    for c in EventDelivery._meta.constraints
    if isinstance(c, UniqueConstraint) and tuple(c.fields) == ("destination", "message_id")
)


def _already_written(error: IntegrityError) -> bool:
    cause = error.__cause__
    return isinstance(cause, UniqueViolation) and cause.diag.constraint_name == _UNIQUE


def _returned(sql: str, parameters: list[Any]) -> Created:
    with server_bound_cursor() as cursor:
        cursor.execute(sql, parameters)
        return {(destination, message): pk for destination, message, pk in cursor.fetchall()}


def rows_present(rows: list[EventDelivery]) -> set[tuple[str, str]]:
    """The (destination id, message id) of `rows` that have a row in the ledger already."""
    if not rows:
        return set()
    # One probe of the unique key per row (a nested loop over the pairs): the statement is
    # prepared after a few runs, and the generic plan of `destination_id = ANY(..) AND
    # message_id = ANY(..)` read every row of the destination (65 ms at 330,000 rows). The
    # pairs travel as one JSON text, dumped in C: two text arrays were adapted element by
    # element in Python (psycopg's ListDumper, a twentieth of a sending worker's Python).
    sql = (
        f"SELECT d.destination_id, d.message_id "
        f"FROM jsonb_array_elements(%s::jsonb) AS k(pair) "
        f"JOIN {_TABLE} d ON d.destination_id = k.pair->>0 AND d.message_id = k.pair->>1"
    )
    pairs = json_text(keys_of(rows))
    with server_bound_cursor() as cursor:
        cursor.execute(sql, [pairs])
        return {(destination, message) for destination, message in cursor.fetchall()}


def server_bound_cursor() -> Any:
    """A cursor of the connection that sends parameters apart from the statement (Django's
    own binds them into its text on the client): PostgreSQL's parser then no longer scans
    the rows' document, ~150 kB for 500 events, character by character (perf: its lexer
    was 6.5% of the backend's CPU on bench/ledger_write_bench.py). Logged like Django's."""
    connection.ensure_connection()
    raw: Any = psycopg.Cursor(connection.connection)  # the stubs expect a wrapper here
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _rows_insert_orm(rows: list[EventDelivery]) -> Created:
    with transaction.atomic():
        present = set(
            Destination.objects.select_for_update()
            .filter(pk__in={row.destination_id for row in rows})
            .values_list("pk", flat=True)
        )
        rows = [row for row in rows if row.destination_id in present]
        keys = {(row.destination_id, row.message_id) for row in rows}
        before = _ids_of(keys)
        EventDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        after = _ids_of(keys)
    return {key: pk for key, pk in after.items() if key not in before}


def _ids_of(keys: set[tuple[str, str]]) -> Created:
    found = EventDelivery.objects.filter(
        destination_id__in={d for d, _ in keys}, message_id__in={m for _, m in keys}
    ).values_list("destination_id", "message_id", "pk")
    return {(d, m): pk for d, m, pk in found if (d, m) in keys}


def rows_record(rows: list[EventDelivery], token: str) -> int:
    """Write the outcome fields of `rows` only where the lease `token` still holds them: a
    task that outlived its lease cannot overwrite what the task that took over wrote.
    Returns how many rows were written."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        return _rows_record_orm(rows, token)
    # `id`, not `pk` (a property, two Python calls a row).
    unwritten = [row for row in rows if row.id is None]
    if unwritten:
        # Held by the entry's task since the fan-out without a row (outbox_process): the
        # row is written now, once, with its outcome.
        opened = [row for row in rows if row.id is not None]
        written = rows_insert_recorded(unwritten)
        for row, key in zip(unwritten, keys_of(unwritten), strict=True):
            row.id = written.get(key)
        return len(written) + rows_record(opened, token)
    sets = ", ".join(f"{name} = r.{name}" for name in RECORDED)
    sql = (
        f"UPDATE {_TABLE} AS d SET {sets}, updated_at = now() "
        f"FROM (SELECT {_columns_read({'id': 'bigint', **RECORDED})} "
        f"FROM jsonb_array_elements(%s::jsonb) AS e) AS r "
        f"WHERE d.id = r.id AND d.lease_token = %s"
    )
    document = _document(rows, ["id", *RECORDED])
    if not connection.in_atomic_block:
        # One round trip instead of four (BEGIN, SET LOCAL, UPDATE, COMMIT): PostgreSQL runs
        # the statements of one simple query as one implicit transaction, where SET LOCAL
        # holds, and rolls all of it back on an error (the connection is idle again after).
        with connection.cursor() as cursor:
            cursor.execute(f"{UNFLUSHED}; {sql}", [document, token])
            cursor.nextset()
            return int(cursor.rowcount)
    with transaction.atomic(), connection.cursor() as cursor:
        commit_unflushed()
        cursor.execute(sql, [document, token])
        return int(cursor.rowcount)


def _rows_record_orm(rows: list[EventDelivery], token: str) -> int:
    with transaction.atomic():
        held = set(
            EventDelivery.objects.select_for_update()
            .filter(pk__in=[row.pk for row in rows], lease_token=token)
            .values_list("pk", flat=True)
        )
        kept = [row for row in rows if row.pk in held]
        EventDelivery.objects.bulk_update(kept, [*RECORDED, "updated_at"], batch_size=500)
    return len(kept)
