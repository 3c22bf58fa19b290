"""Reads of the delivery ledger for the API and the admin."""

from datetime import datetime
from typing import TypedDict

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDay, TruncHour, TruncMinute

from delivery.models import DeliveryStatus, Destination, EventDelivery

GRANULARITIES = {"MINUTE": TruncMinute, "HOUR": TruncHour, "DAY": TruncDay}


class MetricRow(TypedDict):
    time: datetime
    status: str
    count: int


def event_deliveries(
    *,
    destination: Destination,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> "QuerySet[EventDelivery]":
    rows = EventDelivery.objects.filter(destination=destination)
    if status:
        rows = rows.filter(status=status)
    if start:
        rows = rows.filter(received_at__gte=start)
    if end:
        rows = rows.filter(received_at__lt=end)
    return rows.order_by("-received_at", "-id")


def delivery_metrics(
    *, destination: Destination, start: datetime, end: datetime, granularity: str = "MINUTE"
) -> list[MetricRow]:
    """[{time, status, count}] per bucket of `granularity`, oldest first."""
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


def status_totals(metrics: list[MetricRow]) -> dict[str, int]:
    totals = dict.fromkeys(DeliveryStatus.values, 0)
    for row in metrics:
        totals[row["status"]] += row["count"]
    return totals
