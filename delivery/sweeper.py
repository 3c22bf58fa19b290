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
from delivery.models import (
    DESTINATION_PAUSED,
    DeliveryStatus,
    Destination,
    EventDelivery,
    OutboxEntry,
)
from delivery.outbox import outbox_publish

SWEEP_LIMIT = 20_000


def _publish_leased(destination_id: str, token: str) -> None:
    from delivery.tasks import attempt_deliveries

    attempt_deliveries.delay(destination_id, token)


def _chunk_size(destination_id: str, sizes: dict[str, int]) -> int:
    return sizes.get(destination_id, settings.DELIVERY_CHUNK_SIZE)


def due_deliveries_dispatch() -> int:
    """Lease every due row, chunked per destination, and publish one task per chunk."""
    from delivery.attempts import batch_size_of
    from delivery.outbox import destinations_loaded

    now = timezone.now()
    with transaction.atomic():
        due = list(
            EventDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                status=DeliveryStatus.RETRYING,
                next_attempt_at__lte=now,
            )
            .exclude(destination_id__in=Destination.objects.filter(DESTINATION_PAUSED).values("pk"))
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
    return len(due)


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
    keep = timedelta(seconds=settings.DELIVERY_OUTBOX_KEEP_SECONDS)
    OutboxEntry.objects.filter(processed_at__lte=now - keep).delete()
    return len(ids)


def pipeline_sweep() -> dict[str, int]:
    return {"entries": lost_entries_redispatch(), "deliveries": due_deliveries_dispatch()}
