"""Ledger retention: final rows are deleted once older than their status's retention, in small
batches that each commit on their own, throttled so ingest and the pipeline keep their share
of the machine.

Rows are found through the primary key, which grows with time: a binary search over ids
finds the newest row created before a cutoff (about 20 primary-key probes), then batches
delete below that id, each starting after the last id the previous one looked at (so no
batch walks again over the index entries its predecessors left dead). This needs no extra
index on the ledger (each index costs every ingested event a write).

Throttling: after a batch that took `t` seconds, the pruner sleeps `t * (1 - duty) / duty`
(`DELIVERY_RETENTION_DUTY`, 0.25 by default: deleting at most a quarter of the time), so the
pruner's share of CPU and I/O adapts to how loaded the database is. Each batch is one short
transaction holding at most `DELIVERY_RETENTION_BATCH` row locks.

Pending rows (`retrying`) are never deleted: the DELETE checks the status again, so a row a
replay has just sent back to `retrying` between the batch's SELECT and its DELETE stays.
Measured (bench/server_bench.py, on PostgreSQL; see the README's operations section).
Time partitioning of the ledger was not chosen: PostgreSQL requires every unique constraint
of a partitioned table to include the partition key, so `(destination, message_id)` could no
longer make a retried request's events idempotent across partitions."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from delivery.models import DeliveryStatus, EventDelivery

# Delivered and filtered rows are kept `DELIVERY_RETENTION_DAYS`; rows that did not get
# through (failed, rejected, bad request, ...) `DELIVERY_RETENTION_FAILED_DAYS`, for replay.
ROUTINE = (
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FILTERED,
    DeliveryStatus.FILTERED_BY_DESTINATION_FILTER,
    DeliveryStatus.DROPPED,
)


@dataclass
class Pruned:
    routine: int = 0
    failed: int = 0


def _created_before(cutoff: datetime) -> int | None:
    """The highest id among rows created before `cutoff` (ids grow with creation time)."""
    bounds = EventDelivery.objects.order_by("id").values_list("id", flat=True)
    low, high = bounds.first(), bounds.last()
    if low is None or high is None:
        return None
    found = None
    while low <= high:
        middle = (low + high) // 2
        row = (
            EventDelivery.objects.filter(id__gte=middle)
            .order_by("id")
            .values_list("id", "created_at")
            .first()
        )
        if row is None or row[1] >= cutoff:
            high = middle - 1
        else:
            found = row[0]
            low = row[0] + 1
    return found


def _delete_batch(after_id: int, below_id: int, statuses: list[str], size: int) -> tuple[int, int]:
    """Delete up to `size` rows of `statuses` with ids in (after_id, below_id]; returns how
    many went and the last id looked at (0 when none was left). One statement, autocommit."""
    ids = list(
        EventDelivery.objects.filter(id__gt=after_id, id__lte=below_id, status__in=statuses)
        .order_by("id")
        .values_list("id", flat=True)[:size]
    )
    if not ids:
        return 0, 0
    # The status again: a replay may have made one of them pending since the SELECT.
    deleted = EventDelivery.objects.filter(id__in=ids, status__in=statuses).delete()[0]
    return deleted, ids[-1]


def _prune(cutoff: datetime, statuses: list[str], deadline: float) -> int:
    below = _created_before(cutoff)
    if below is None:
        return 0
    size = settings.DELIVERY_RETENTION_BATCH
    duty = min(1.0, max(0.01, settings.DELIVERY_RETENTION_DUTY))
    after, deleted = 0, 0
    while time.monotonic() < deadline:
        began = time.monotonic()
        count, last = _delete_batch(after, below, statuses, size)
        deleted += count
        if not last:
            break
        after = last
        pause = (time.monotonic() - began) * (1 - duty) / duty
        if time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
    return deleted


def ledger_prune(*, now: datetime | None = None, budget_seconds: float | None = None) -> Pruned:
    """Delete final rows past their retention, for at most `budget_seconds` (the next beat
    run goes on where this one stopped). Safe to run twice at once: each batch deletes rows
    by id, so two runs at worst delete fewer rows each."""
    now = now or timezone.now()
    deadline = time.monotonic() + (budget_seconds or settings.DELIVERY_RETENTION_BUDGET_SECONDS)
    routine_cutoff = now - timedelta(days=settings.DELIVERY_RETENTION_DAYS)
    failed_cutoff = now - timedelta(days=settings.DELIVERY_RETENTION_FAILED_DAYS)
    final = [s for s in DeliveryStatus.values if s != DeliveryStatus.RETRYING]
    failed = [s for s in final if s not in ROUTINE]
    pruned = Pruned()
    pruned.routine = _prune(routine_cutoff, list(ROUTINE), deadline)
    pruned.failed = _prune(failed_cutoff, failed, deadline)
    return pruned
