"""Reads of Connection Health for the console page and the API."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMinute
from django.utils import timezone

from delivery.models import (
    ConnectionHealth,
    DeliveryStatus,
    Destination,
    EventDelivery,
    HealthAlert,
    HealthState,
)
from delivery.queries import NOT_ERRORS
from workspace.models import Workspace
from workspace.permissions import Action, UserLike, can

SPARK_MINUTES = 60


@dataclass
class Connection:
    destination: Destination
    health: ConnectionHealth | None
    insert_function: Any
    sparkline: list[float]

    @property
    def state(self) -> str:
        return self.health.state if self.health else HealthState.HEALTHY


def visible_destinations(user: UserLike, workspace: Workspace) -> list[Destination]:
    destinations = (
        Destination.objects.filter(workspace=workspace)
        .select_related(
            "source", "health", "function_instance__function", "insert_instance__function"
        )
        .order_by("source__name", "name")
    )
    return [d for d in destinations if can(user, Action.DELIVERIES_VIEW, workspace, d)]


def error_sparklines(destination_ids: list[str], now: datetime) -> dict[str, list[float]]:
    """Per destination, the error rate of each of the last SPARK_MINUTES minutes (0 when idle)."""
    start = (now - timedelta(minutes=SPARK_MINUTES)).replace(second=0, microsecond=0)
    errors = ~Q(status__in=NOT_ERRORS) | (Q(status=DeliveryStatus.RETRYING) & ~Q(error_type=""))
    rows = (
        EventDelivery.objects.filter(destination_id__in=destination_ids, received_at__gte=start)
        .annotate(minute=TruncMinute("received_at"))
        .values("destination_id", "minute")
        .annotate(events=Count("id"), errors=Count("id", filter=errors))
    )
    lines = {pk: [0.0] * SPARK_MINUTES for pk in destination_ids}
    for row in rows:
        slot = int((row["minute"] - start).total_seconds() // 60)
        if 0 <= slot < SPARK_MINUTES and row["events"]:
            lines[row["destination_id"]][slot] = round(row["errors"] / row["events"], 3)
    return lines


def connections(user: UserLike, workspace: Workspace) -> list[Connection]:
    destinations = visible_destinations(user, workspace)
    lines = error_sparklines([d.pk for d in destinations], timezone.now())
    return [
        Connection(
            destination=d,
            health=getattr(d, "health", None),
            insert_function=d.insert_instance.function if d.insert_instance else None,
            sparkline=lines[d.pk],
        )
        for d in destinations
    ]


def recent_alerts(user: UserLike, workspace: Workspace, limit: int = 20) -> list[HealthAlert]:
    visible = [d.pk for d in visible_destinations(user, workspace)]
    return list(
        HealthAlert.objects.filter(workspace=workspace, destination_id__in=visible).select_related(
            "destination"
        )[:limit]
    )
