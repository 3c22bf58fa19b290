"""Hourly counts per destination and status for hours whose deliveries are final, so Event
Delivery's day and week windows (and the delivery-metrics API) read a few hundred rollup rows
instead of up to a million ledger rows.

An hour is final `DELIVERY_ROLLUP_AFTER_HOURS` after it ends (retries stop within 4 hours).
A replay makes the hours of the rows it sends again dirty: they are read live from the
ledger until their rows are final again and the next run rolls them up anew."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.db.models.functions import TruncHour
from django.utils import timezone

from delivery.models import (
    DeliveryRollup,
    DeliveryStatus,
    Destination,
    DirtyRollupHour,
    EventDelivery,
    RollupState,
)

HOUR = timedelta(hours=1)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def rolled_until() -> datetime | None:
    state = RollupState.objects.filter(pk=1).first()
    return state.rolled_until if state else None


def _counts(destination_id: str, hour: datetime) -> list[DeliveryRollup]:
    rows = (
        EventDelivery.objects.filter(
            destination_id=destination_id, received_at__gte=hour, received_at__lt=hour + HOUR
        )
        .values("status")
        .annotate(n=Count("id"))
    )
    return [
        DeliveryRollup(destination_id=destination_id, hour=hour, status=r["status"], count=r["n"])
        for r in rows
    ]


def _roll(destination_ids: list[str], hour: datetime) -> int:
    buckets = [b for pk in destination_ids for b in _counts(pk, hour)]
    DeliveryRollup.objects.bulk_create(
        buckets,
        update_conflicts=True,
        unique_fields=["destination", "hour", "status"],
        update_fields=["count"],
    )
    return len(buckets)


def _dirty_redo() -> int:
    redone = 0
    for dirty in DirtyRollupHour.objects.all()[:500]:
        pending = EventDelivery.objects.filter(
            destination_id=dirty.destination_id,
            received_at__gte=dirty.hour,
            received_at__lt=dirty.hour + HOUR,
            status=DeliveryStatus.RETRYING,
        ).exists()
        if pending:
            continue
        with transaction.atomic():
            DeliveryRollup.objects.filter(
                destination_id=dirty.destination_id, hour=dirty.hour
            ).delete()
            _roll([dirty.destination_id], dirty.hour)
            dirty.delete()
        redone += 1
    return redone


def rollups_advance(*, now: datetime | None = None, max_hours: int = 48) -> int:
    """Roll up the next final hours (at most `max_hours` per run); returns how many."""
    now = now or timezone.now()
    target = floor_hour(now - timedelta(hours=settings.DELIVERY_ROLLUP_AFTER_HOURS))
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        start = state.rolled_until
        if start is None:
            oldest = EventDelivery.objects.aggregate(oldest=Min("received_at"))["oldest"]
            start = floor_hour(oldest) if oldest else target
        destinations = list(Destination.objects.values_list("pk", flat=True))
        hour, done = start, 0
        while hour < target and done < max_hours:
            _roll(destinations, hour)
            hour += HOUR
            done += 1
        state.rolled_until = hour
        state.save()
    _dirty_redo()
    return done


def hours_dirtied(deliveries: "object") -> None:
    """Mark the rolled-up hours of `deliveries` (a queryset about to be sent again) dirty."""
    boundary = rolled_until()
    if boundary is None:
        return
    hours = (
        deliveries.filter(received_at__lt=boundary)  # type: ignore[attr-defined]
        .annotate(hour=TruncHour("received_at"))
        .values_list("destination_id", "hour")
        .distinct()
    )
    DirtyRollupHour.objects.bulk_create(
        [DirtyRollupHour(destination_id=d, hour=h) for d, h in hours], ignore_conflicts=True
    )
