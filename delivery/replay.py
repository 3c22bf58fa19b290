"""Replay: send a destination's failed deliveries again, with a fresh attempt budget."""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from delivery.models import DeliveryStatus, Destination, EventDelivery
from delivery.services import audit_destination
from workspace.audit import Actor
from workspace.errors import InvalidInput
from workspace.models import Workspace


def _reset(deliveries: "QuerySet[EventDelivery]") -> int:
    now = timezone.now()
    return deliveries.filter(status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.RETRYING,
        attempts=0,
        next_attempt_at=now,
        lease_token="",
        window_started_at=None,
        updated_at=now,
    )


@transaction.atomic
def deliveries_replay(
    *, destination: Destination, actor: Actor, start: datetime, end: datetime
) -> int:
    """Failed deliveries received in [start, end) go back to the sweeper; returns how many."""
    count = _reset(
        EventDelivery.objects.filter(
            destination=destination, received_at__gte=start, received_at__lt=end
        )
    )
    audit_destination(
        destination,
        actor,
        "Event Deliveries Replayed",
        {"startTime": start.isoformat(), "endTime": end.isoformat(), "count": count},
    )
    return count


@transaction.atomic
def deliveries_replay_selected(
    *, workspace: Workspace, deliveries: "QuerySet[EventDelivery]", actor: Actor
) -> int:
    """Replay the failed rows among `deliveries` (all of `workspace`), one audit event per
    destination."""
    if deliveries.exclude(workspace=workspace).exists():
        raise InvalidInput("deliveries of another workspace were selected", field="deliveries")
    by_destination: dict[str, tuple[Destination, list[int]]] = {}
    for delivery in deliveries.filter(status=DeliveryStatus.FAILED).select_related(
        "destination__workspace"
    ):
        by_destination.setdefault(delivery.destination_id, (delivery.destination, []))[1].append(
            delivery.pk
        )
    total = 0
    for destination, ids in by_destination.values():
        count = _reset(EventDelivery.objects.filter(pk__in=ids))
        total += count
        audit_destination(destination, actor, "Event Deliveries Replayed", {"count": count})
    return total
