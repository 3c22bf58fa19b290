"""Reads of the delivery ledger for the API and the admin."""

from datetime import datetime, timedelta
from typing import TypedDict

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr, TruncDay, TruncHour, TruncMinute

from delivery.models import (
    NOT_ERROR_STATUSES,
    USER_ID_KEPT,
    DeliveryStatus,
    Destination,
    EventDelivery,
)

GRANULARITIES = {"MINUTE": TruncMinute, "HOUR": TruncHour, "DAY": TruncDay}


class MetricRow(TypedDict):
    time: datetime
    status: str
    count: int


# Outcomes that are not failures: the error rate counts every other final status.
NOT_ERRORS = NOT_ERROR_STATUSES


def event_deliveries(
    *,
    destination: Destination,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    error_type: str = "",
    error_message: str = "",
    event_type: str = "",
    search: str = "",
) -> "QuerySet[EventDelivery]":
    """A destination's deliveries, newest first; `search` matches a messageId or a userId."""
    rows = EventDelivery.objects.filter(destination=destination)
    if status:
        rows = rows.filter(status=status)
    if error_type:
        rows = rows.filter(error_type=error_type)
    if error_message:
        rows = rows.filter(error_message__startswith=error_message)
    if event_type:
        rows = rows.filter(event_type=event_type)
    if search:
        # The userId as `event_user_id` keeps it (its first USER_ID_KEPT characters).
        rows = rows.filter(Q(message_id=search) | Q(user_id=search[:USER_ID_KEPT]))
    if start:
        rows = rows.filter(received_at__gte=start)
    if end:
        rows = rows.filter(received_at__lt=end)
    return rows.order_by("-received_at", "-id")


def _live_metrics(
    destination: Destination, start: datetime, end: datetime, granularity: str
) -> list[MetricRow]:
    bucket = GRANULARITIES[granularity]("received_at")
    rows = (
        EventDelivery.objects.filter(
            destination=destination, received_at__gte=start, received_at__lt=end
        )
        .annotate(bucket=bucket)
        .values("bucket", "status")
        .annotate(count=Count("id"))
        .order_by("bucket", "status")
    )
    return [MetricRow(time=row["bucket"], status=row["status"], count=row["count"]) for row in rows]


def _rolled_metrics(
    destination: Destination, start: datetime, end: datetime, granularity: str
) -> list[MetricRow]:
    """Hour buckets of [start, end) (hour-aligned) from the rollups, dirty hours live."""
    from delivery.models import DeliveryRollup, DirtyRollupHour

    dirty = set(
        DirtyRollupHour.objects.filter(
            destination=destination, hour__gte=start, hour__lt=end
        ).values_list("hour", flat=True)
    )
    rows = [
        MetricRow(time=r.hour, status=r.status, count=r.count)
        for r in DeliveryRollup.objects.filter(
            destination=destination, hour__gte=start, hour__lt=end
        ).exclude(hour__in=dirty)
    ]
    for hour in sorted(dirty):
        rows += _live_metrics(destination, hour, hour + timedelta(hours=1), "HOUR")
    if granularity == "DAY":
        rows = [
            MetricRow(time=r["time"].replace(hour=0), status=r["status"], count=r["count"])
            for r in rows
        ]
    return rows


def _merged(rows: list[MetricRow]) -> list[MetricRow]:
    counts: dict[tuple[datetime, str], int] = {}
    for row in rows:
        key = (row["time"], row["status"])
        counts[key] = counts.get(key, 0) + row["count"]
    return [MetricRow(time=t, status=s, count=n) for (t, s), n in sorted(counts.items())]


def delivery_metrics(
    *, destination: Destination, start: datetime, end: datetime, granularity: str = "MINUTE"
) -> list[MetricRow]:
    """[{time, status, count}] per bucket of `granularity`, oldest first. Hours whose
    deliveries are final come from the hourly rollups (`delivery/ledger/rollups.py`); the rest,
    and MINUTE buckets, from the ledger."""
    from delivery.ledger.rollups import HOUR, floor_hour, rolled_until

    boundary = rolled_until() if granularity != "MINUTE" else None
    first = floor_hour(start) + (HOUR if floor_hour(start) < start else timedelta(0))
    if boundary is None or boundary <= first:
        return _live_metrics(destination, start, end, granularity)
    boundary = min(boundary, floor_hour(end))
    rows = _live_metrics(destination, start, first, granularity)
    rows += _rolled_metrics(destination, first, boundary, granularity)
    rows += _live_metrics(destination, boundary, end, granularity)
    return _merged(rows)


class FailureRow(TypedDict):
    status: str
    error_type: str
    message: str
    count: int


def failure_breakdown(
    *, destination: Destination, start: datetime, end: datetime, limit: int = 10
) -> list[FailureRow]:
    """The most frequent (status, error type, message) of the window's failures."""
    rows = (
        EventDelivery.objects.filter(
            destination=destination, received_at__gte=start, received_at__lt=end
        )
        .exclude(status__in=NOT_ERRORS)
        .annotate(message=Substr("error_message", 1, 120))
        .values("status", "error_type", "message")
        .annotate(count=Count("id"))
        .order_by("-count", "status")[:limit]
    )
    return [
        FailureRow(
            status=r["status"], error_type=r["error_type"], message=r["message"], count=r["count"]
        )
        for r in rows
    ]


def error_rate(totals: dict[str, int]) -> float | None:
    final = sum(n for status, n in totals.items() if status != DeliveryStatus.RETRYING)
    errors = sum(n for status, n in totals.items() if status not in NOT_ERRORS)
    return errors / final if final else None


def status_totals(metrics: list[MetricRow]) -> dict[str, int]:
    totals = dict.fromkeys(DeliveryStatus.values, 0)
    for row in metrics:
        totals[row["status"]] += row["count"]
    return totals
