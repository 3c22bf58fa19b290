"""The beat-driven sweep: hands due retries, flushed onBatch batches, expired leases and
outbox entries whose task was lost back to Celery. Schedules live in PostgreSQL, never as
long countdowns in Redis."""

from collections import defaultdict
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from delivery.attempts import lease_rows
from delivery.ingest.outbox import orphans_write, outbox_publish
from delivery.lanes import SLOW, slow_destination_ids, slow_lane_turns
from delivery.models import (
    DESTINATION_PAUSED,
    DeliveryStatus,
    Destination,
    EventDelivery,
    OutboxEntry,
)
from delivery.publishing import ATTEMPT_DELIVERIES, task_publish

SWEEP_LIMIT = 20_000


def _publish_leased(destination_id: str, token: str, lane: str = "") -> None:
    task_publish(ATTEMPT_DELIVERIES, destination_id, token, *([lane] if lane else []))


def _chunk_size(destination_id: str, sizes: dict[str, int]) -> int:
    return sizes.get(destination_id, settings.DELIVERY_CHUNK_SIZE)


def due_deliveries_dispatch() -> int:
    """Lease every due row, chunked per destination, and publish one task per chunk; a slow
    destination's rows only when the slow lane has a free turn (delivery/lanes.py)."""
    from delivery.attempts import batch_size_of
    from delivery.ingest.outbox import destinations_loaded

    now = timezone.now()
    with transaction.atomic():
        slow = slow_destination_ids(now)
        due = list(
            EventDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                status=DeliveryStatus.RETRYING,
                next_attempt_at__lte=now,
            )
            .exclude(destination_id__in=Destination.objects.filter(DESTINATION_PAUSED).values("pk"))
            .exclude(destination_id__in=slow)
            .order_by("next_attempt_at")
            .values_list("pk", "destination_id")[:SWEEP_LIMIT]
        )
        by_destination: dict[str, list[int]] = defaultdict(list)
        for pk, destination_id in due:
            by_destination[destination_id].append(pk)
        sizes = {
            d.pk: size
            for d in destinations_loaded().filter(pk__in=list(by_destination))
            if (size := batch_size_of(d)) is not None
        }
        for destination_id, ids in by_destination.items():
            step = _chunk_size(destination_id, sizes)
            for start in range(0, len(ids), step):
                token = lease_rows(ids[start : start + step])
                transaction.on_commit(partial(_publish_leased, destination_id, token), robust=True)
        turns = slow_lane_turns(now, slow)
        for destination_id, ids in turns:
            token = lease_rows(ids)
            publish = partial(_publish_leased, destination_id, token, SLOW)
            transaction.on_commit(publish, robust=True)
    return len(due) + sum(len(ids) for _, ids in turns)


def lost_entries_redispatch() -> int:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DELIVERY_OUTBOX_REDISPATCH_SECONDS)
    with transaction.atomic():
        ids = list(
            OutboxEntry.objects.select_for_update(skip_locked=True)
            .filter(
                processed_at__isnull=True,
                dispatched_at__lte=stale,
            )
            .values_list("pk", flat=True)[:1000]
        )
        OutboxEntry.objects.filter(pk__in=ids).update(dispatched_at=now)
        for entry_id in ids:
            transaction.on_commit(partial(outbox_publish, entry_id), robust=True)
    # Before the due rows are dispatched: the rows these write are due at once.
    orphaned = orphans_write(now)
    keep = timedelta(seconds=settings.DELIVERY_OUTBOX_KEEP_SECONDS)
    OutboxEntry.objects.filter(processed_at__lte=now - keep, pending_until__isnull=True).delete()
    return len(ids) + orphaned


def pipeline_sweep() -> dict[str, int]:
    return {"entries": lost_entries_redispatch(), "deliveries": due_deliveries_dispatch()}
