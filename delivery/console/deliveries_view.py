"""How the Event Delivery page reads the ledger: the window, the chart series, the filters
and the keyset cursor of the list (newest first)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from delivery.models import DeliveryStatus, EventDelivery
from delivery.queries import MetricRow

WINDOWS: dict[str, tuple[timedelta, str]] = {
    "hour": (timedelta(hours=1), "MINUTE"),
    "day": (timedelta(days=1), "HOUR"),
    "week": (timedelta(days=7), "HOUR"),
}
STEPS = {"MINUTE": timedelta(minutes=1), "HOUR": timedelta(hours=1), "DAY": timedelta(days=1)}
PAGE = 50
FILTERS = ("status", "error_type", "error_message", "event_type", "q", "start", "end")


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime
    end: datetime
    granularity: str


def window_of(query: QueryDict) -> Window:
    name = query.get("window", "hour")
    if name not in WINDOWS:
        name = "hour"
    span, granularity = WINDOWS[name]
    end = timezone.now()
    return Window(name, end - span, end, granularity)


def chart_series(rows: list[MetricRow], window: Window) -> dict[str, Any]:
    """{times: [epoch s], series: {status: [count per bucket]}} with empty buckets as 0."""
    step = STEPS[window.granularity]
    first = _truncate(window.start, window.granularity)
    times: list[datetime] = []
    moment = first
    while moment <= window.end:
        times.append(moment)
        moment += step
    index = {t: i for i, t in enumerate(times)}
    series: dict[str, list[int]] = {}
    for row in rows:
        slot = index.get(row["time"])
        if slot is None:
            continue
        series.setdefault(row["status"], [0] * len(times))[slot] += row["count"]
    return {"times": [int(t.timestamp()) for t in times], "series": series}


def _truncate(moment: datetime, granularity: str) -> datetime:
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    if granularity in ("HOUR", "DAY"):
        moment = moment.replace(minute=0)
    if granularity == "DAY":
        moment = moment.replace(hour=0)
    return moment


def list_filters(query: QueryDict) -> dict[str, str]:
    values = {name: query.get(name, "")[:200] for name in FILTERS}
    if values["status"] not in DeliveryStatus.values:
        values["status"] = ""
    return values


def _when(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value) if value else None
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def time_range(filters: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    return _when(filters["start"]), _when(filters["end"])


def encode_cursor(row: EventDelivery) -> str:
    raw = f"{row.received_at.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def after_cursor(rows: "QuerySet[EventDelivery]", cursor: str) -> "QuerySet[EventDelivery]":
    """Rows older than the cursor's row; a cursor that does not parse is the first page."""
    try:
        when_text, _, pk_text = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        when, pk = datetime.fromisoformat(when_text), int(pk_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return rows
    return rows.filter(Q(received_at__lt=when) | Q(received_at=when, pk__lt=pk))
