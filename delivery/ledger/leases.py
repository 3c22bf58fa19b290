"""Keeping a task's leases alive while it works.

A lease is short (DELIVERY_LEASE_SECONDS, 30 s by default) and renewed every third of it
while its holder is alive: a thread of the task moves `next_attempt_at` of the rows still
held by the task's lease token forward, until the task ends. So a slow but alive sender (a
receiver answering in seconds, thousands of events) keeps its rows for as long as it
works, and a holder killed with kill -9 stops renewing: its rows are due again at most one
lease after the last renewal, and the sweeper (every DELIVERY_SWEEP_SECONDS) hands them to
another task. Renewal is fenced by the token, as outcomes are: a row recorded or taken over
by another holder no longer carries the token and is left alone. The thread skips rows
locked at that moment (the task recording them), so it never waits on the task itself.

A heartbeat per worker process was the alternative; it needs a liveness table and a
sweeper join, while the lease row already says everything the sweeper reads."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from delivery.models import DeliveryStatus, EventDelivery, OutboxEntry

_TABLE = EventDelivery._meta.db_table
_OUTBOX = OutboxEntry._meta.db_table


def renew_interval() -> float:
    return max(float(settings.DELIVERY_LEASE_SECONDS) / 3, 0.2)


def leases_renew(token: str) -> int:
    """Extend the lease of the rows `token` still holds, and of the outbox entry whose rows
    its task holds unwritten (an entry's token is its id: delivery/ingest/outbox.py);
    returns how many were extended."""
    until = timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    sql = (
        f"UPDATE {_TABLE} SET next_attempt_at = %s WHERE id IN ("
        f"SELECT id FROM {_TABLE} WHERE lease_token = %s AND status = %s "
        f"FOR UPDATE SKIP LOCKED)"
    )
    entry = (
        f"UPDATE {_OUTBOX} SET pending_until = %s WHERE id IN ("
        f"SELECT id FROM {_OUTBOX} WHERE id = %s AND pending_until IS NOT NULL "
        f"FOR UPDATE SKIP LOCKED)"
    )
    try:
        entry_id: uuid.UUID | None = uuid.UUID(hex=token)
    except ValueError:
        entry_id = None
    with connection.cursor() as cursor:
        cursor.execute(sql, [until, token, DeliveryStatus.RETRYING])
        renewed = int(cursor.rowcount)
        if entry_id is not None:
            cursor.execute(entry, [until, entry_id])
            renewed += int(cursor.rowcount)
        return renewed


def _renew_until_stopped(token: str, stopped: threading.Event) -> None:
    renewed = False
    try:
        while not stopped.wait(renew_interval()):
            renewed = True
            try:
                leases_renew(token)
            except Exception:  # a failed renewal (database away) is tried again next tick
                close_old_connections()
    finally:
        # Only a thread that renewed has a connection of its own to close: touching
        # `connection` first builds one (a backend wrapper per thread), which for the usual
        # task, done before the first renewal, was the thread's whole cost.
        if renewed:
            connection.close()


@contextmanager
def lease_kept(token: str) -> Iterator[None]:
    """Renew the lease of `token` in the background while the block runs."""
    if not token or connection.vendor != "postgresql":
        # The embedded SQLite database takes one writer at a time: a second writer thread
        # would only contend with the task, which runs alone there anyway.
        yield
        return
    stopped = threading.Event()
    renewer = threading.Thread(
        target=_renew_until_stopped, args=(token, stopped), name="lease-renewal", daemon=True
    )
    renewer.start()
    try:
        yield
    finally:
        stopped.set()
        renewer.join()
