"""Ledger retention: final rows are deleted once older than their status's retention, in small
batches that each commit on their own, so ingest and the pipeline never wait on a long lock.

Rows are found through the primary key, which grows with time: a binary search over ids
finds the newest row created before a cutoff (about 20 primary-key probes), then batches
delete below that id. This needs no extra index on the ledger (each index costs every
ingested event a write). Pending rows (`retrying`) are never deleted."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
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


def _delete_batch(below_id: int, statuses: list[str], size: int) -> int:
    ids = list(
        EventDelivery.objects.filter(id__lte=below_id, status__in=statuses)
        .order_by("id")
        .values_list("id", flat=True)[:size]
    )
    if not ids:
        return 0
    with transaction.atomic():
        return EventDelivery.objects.filter(id__in=ids).delete()[0]


def _prune(cutoff: datetime, statuses: list[str], deadline: float) -> int:
    below = _created_before(cutoff)
    deleted = 0
    while below is not None and time.monotonic() < deadline:
        count = _delete_batch(below, statuses, settings.DELIVERY_RETENTION_BATCH)
        deleted += count
        if count < settings.DELIVERY_RETENTION_BATCH:
            break
    return deleted


def ledger_prune(*, now: datetime | None = None, budget_seconds: float | None = None) -> Pruned:
    """Delete final rows past their retention, for at most `budget_seconds` (the next beat
    run goes on where this one stopped)."""
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
