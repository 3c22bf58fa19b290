"""The EventDelivery ledger: rows opened, claimed and recorded in bulk, never one by one."""

import random
import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from delivery.ledger.columns import keys_of
from delivery.ledger.outcomes import DEFERRED, DELIVERED, FINAL_STATUSES, Outcome, error_outcome
from delivery.ledger.retry import RETRYABLE, next_attempt_time
from delivery.ledger.statements import commit_unflushed, rows_insert, rows_present, rows_record
from delivery.models import DeliveryStatus, Destination, EventDelivery
from workspace.stored_json import without_lone_surrogates


class Claim(NamedTuple):
    """Claimed rows: `rows` run as one batch; `suspects` (their last attempt crashed its
    process) each run alone, so only an event that crashes it again burns its attempts."""

    rows: list[EventDelivery]
    suspects: list[EventDelivery]
    token: str


def lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def deliveries_open(rows: list[EventDelivery]) -> list[EventDelivery]:
    """New rows; an event seen before at a destination keeps its existing row. Returns the
    rows this call created, with their ids."""
    kept = deliveries_unique(rows)
    unique = dict(zip(keys_of(kept), kept, strict=True))
    created = rows_insert(list(unique.values()))
    for key, pk in created.items():
        unique[key].pk = pk
    return [unique[key] for key in created]


def deliveries_unique(rows: list[EventDelivery]) -> list[EventDelivery]:
    """`rows` without a second row for the same message and destination (the first kept)."""
    unique: dict[tuple[str, str], EventDelivery] = {}
    for key, row in zip(keys_of(rows), rows, strict=True):
        unique.setdefault(key, row)
    return list(unique.values())


def deliveries_unseen(rows: list[EventDelivery]) -> list[EventDelivery]:
    """The rows, kept unwritten, of events that have no row at their destination yet (an
    event seen before keeps its row, as with `deliveries_open`). Written once, with their
    outcome (statements.rows_record), by the task that holds them."""
    present = rows_present(rows)
    return [row for row, key in zip(rows, keys_of(rows), strict=True) if key not in present]


def deliveries_park(rows: list[EventDelivery]) -> None:
    """Write unwritten rows as waiting, unattempted and due at once: their destination turned
    paused or slow after the fan-out (the attempt counted then is given back)."""
    now = timezone.now()
    waiting = [row for row in rows if row.pk is None]
    for row in waiting:
        row.lease_token, row.attempts, row.next_attempt_at = "", 0, now
        row.window_started_at = None
    deliveries_open(waiting)


def lease_token_new() -> str:
    return uuid.uuid4().hex


@transaction.atomic
def deliveries_claim(*, destination: Destination, token: str, expired_only: bool = False) -> Claim:
    """The pending rows handed over with `token`, under a new lease token: a duplicate of
    this task, still holding `token`, finds nothing, and only the new holder may record
    outcomes. Their attempt is counted before any user code runs, except for suspects of a
    crash, counted one by one as they run alone. Rows whose attempts are used up (their
    earlier runs crashed) are failed instead. `expired_only` leaves rows whose lease is
    still renewed by a live holder to that holder."""
    commit_unflushed()
    now = timezone.now()
    claimed = lease_token_new()
    held = EventDelivery.objects.select_for_update(skip_locked=True).filter(
        destination=destination,
        lease_token=token,
        status=DeliveryStatus.RETRYING,
    )
    if expired_only:
        held = held.filter(next_attempt_at__lte=now)
    rows = list(held.order_by("id"))
    spent = [row for row in rows if row.attempts >= destination.max_attempts]
    live = [row for row in rows if row.attempts < destination.max_attempts]
    if spent:
        crashed = error_outcome(
            DeliveryStatus.FAILED,
            "Crashed",
            "the handler did not finish; its process crashed or was killed",
        )
        for row in spent:
            _apply(row, crashed, destination, now)
        rows_record(spent, token)
    suspects = [row for row in live if crashed_before(row)]
    batch = [row for row in live if not crashed_before(row)]
    for group, counted in ((batch, 1), (suspects, 0)):
        EventDelivery.objects.filter(pk__in=[row.pk for row in group]).update(
            lease_token=claimed,
            attempts=F("attempts") + counted,
            next_attempt_at=lease_until(now),
            window_started_at=Coalesce("window_started_at", now),
            updated_at=now,
        )
        for row in group:
            row.attempts += counted
            row.window_started_at = row.window_started_at or now
    return Claim(batch, suspects, claimed)


def crashed_before(row: EventDelivery) -> bool:
    """An attempt was counted but no outcome recorded (every recorded retry keeps its
    error): the process running its batch died."""
    return row.attempts > 0 and not row.error_type


def deliveries_release(*, token: str) -> int:
    """Hand back the rows `token` holds without attempting them (their destination is
    paused): they stay `retrying`, with their attempts and due time, for when it resumes."""
    return EventDelivery.objects.filter(lease_token=token, status=DeliveryStatus.RETRYING).update(
        lease_token="", updated_at=timezone.now()
    )


def suspect_attempt_count(row: EventDelivery, token: str) -> bool:
    """Count one suspect's attempt just before it runs alone; False when the lease is lost."""
    now = timezone.now()
    counted = EventDelivery.objects.filter(pk=row.pk, lease_token=token).update(
        attempts=F("attempts") + 1, next_attempt_at=lease_until(now), updated_at=now
    )
    row.attempts += 1
    return counted == 1


def _apply(
    row: EventDelivery,
    outcome: Outcome,
    destination: Destination,
    now: datetime,
    rng: random.Random | None = None,
) -> None:
    error = outcome.error
    if error:
        # A handler's error may hold a lone surrogate (a JavaScript string can): stored as
        # U+FFFD, which every database takes (SQLite's driver cannot encode a surrogate).
        row.error_type = without_lone_surrogates(str(error.get("type", "")))[:100]
        row.error_message = without_lone_surrogates(str(error.get("message", "")))
    else:
        row.error_type = row.error_message = ""
    row.logs, row.requests = outcome.logs, outcome.requests
    row.lease_token, row.next_attempt_at, row.updated_at = "", None, now
    if outcome.status in (DeliveryStatus.DELIVERED, "success"):
        row.status, row.logs, row.requests = DeliveryStatus.DELIVERED, [], []
    elif outcome.status in FINAL_STATUSES:
        row.status = FINAL_STATUSES[outcome.status]
    elif outcome.status == DEFERRED:
        row.status, row.next_attempt_at = DeliveryStatus.RETRYING, now
        row.attempts = max(row.attempts - 1, 0)
    elif outcome.status in RETRYABLE:
        row.next_attempt_at = next_attempt_time(
            attempts=row.attempts,
            max_attempts=destination.max_attempts,
            window_started_at=row.window_started_at or now,
            now=now,
            rng=rng,
            retry_after=outcome.retry_after,
        )
        row.status = DeliveryStatus.RETRYING if row.next_attempt_at else DeliveryStatus.FAILED
    else:
        row.status = DeliveryStatus.FAILED


def deliveries_record(
    *,
    destination: Destination,
    rows: list[EventDelivery],
    outcomes: list[Outcome],
    token: str,
    rng: random.Random | None = None,
) -> int:
    """Record one outcome per row, in one statement, where the lease `token` still holds the
    row; returns how many rows were recorded (fewer when the lease was lost)."""
    now = timezone.now()
    # What `_apply` sets for the shared DELIVERED outcome (most rows), set at once. Plain
    # fields (no foreign key): the instance's dict holds them. Its empty lists are shared
    # by the rows, which are written and dropped.
    delivered: dict[str, Any] = {
        "status": DeliveryStatus.DELIVERED,
        "error_type": "",
        "error_message": "",
        "logs": [],
        "requests": [],
        "lease_token": "",
        "next_attempt_at": None,
        "updated_at": now,
    }
    for row, outcome in zip(rows, outcomes, strict=True):
        if outcome is DELIVERED:
            row.__dict__.update(delivered)
        else:
            _apply(row, outcome, destination, now, rng)
    return rows_record(rows, token)


def summarize(rows: list[EventDelivery]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
