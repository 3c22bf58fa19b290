"""Replay: send a destination's failed deliveries again, with a fresh attempt budget."""

from datetime import datetime

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from delivery.ledger.rollups import hours_dirtied
from delivery.models import DeliveryStatus, Destination, EventDelivery
from delivery.services import audit_destination
from workspace.audit import Actor
from workspace.errors import InvalidInput
from workspace.models import Workspace

# What replay sends again: retries exhausted, and outcomes a fix of the code or the settings
# can change. Rejected messages are final unless the user asks for them too; delivered,
# filtered and dropped events are decisions, never replayed; pending ones are on their way.
REPLAYABLE = (
    DeliveryStatus.FAILED,
    DeliveryStatus.BAD_REQUEST,
    DeliveryStatus.INVALID_SETTINGS,
    DeliveryStatus.UNSUPPORTED_EVENT_TYPE,
)
NOT_REPLAYABLE_REASONS = {
    DeliveryStatus.MESSAGE_REJECTED: "rejected by the destination or the handler: final unless "
    "you choose to replay rejected messages too",
    DeliveryStatus.DELIVERED: "already delivered",
    DeliveryStatus.FILTERED: "filtered by the insert function",
    DeliveryStatus.FILTERED_BY_DESTINATION_FILTER: "filtered by a destination filter",
    DeliveryStatus.DROPPED: "dropped by the handler",
    DeliveryStatus.RETRYING: "still being delivered",
}


def replayable_statuses(*, include_rejected: bool) -> list[str]:
    extra = [DeliveryStatus.MESSAGE_REJECTED] if include_rejected else []
    return [*REPLAYABLE, *extra]


def replay_preview(
    deliveries: "QuerySet[EventDelivery]", *, include_rejected: bool
) -> tuple[int, list[tuple[str, int, str]]]:
    """How many of `deliveries` replay would send, and (status, count, reason) of the rest."""
    statuses = replayable_statuses(include_rejected=include_rejected)
    counts = dict(
        deliveries.order_by()
        .values_list("status")
        .annotate(n=models.Count("id"))
        .values_list("status", "n")
    )
    sent = sum(n for status, n in counts.items() if status in statuses)
    others = [
        (status, n, NOT_REPLAYABLE_REASONS.get(DeliveryStatus(status), "not replayable"))
        for status, n in sorted(counts.items())
        if status not in statuses
    ]
    return sent, others


@transaction.atomic
def deliveries_replay_chosen(
    *,
    destination: Destination,
    deliveries: "QuerySet[EventDelivery]",
    actor: Actor,
    include_rejected: bool = False,
    described: dict[str, str] | None = None,
) -> int:
    """Send the replayable rows among `deliveries` (of `destination`) again through the
    instance's current version, with a fresh attempt budget; one audit event."""
    chosen = deliveries.filter(destination=destination)
    count = _reset(chosen, replayable_statuses(include_rejected=include_rejected))
    audit_destination(
        destination,
        actor,
        "Event Deliveries Replayed",
        {**(described or {}), "count": count, "rejectedToo": include_rejected},
    )
    return count


def _reset(deliveries: "QuerySet[EventDelivery]", statuses: list[str] | None = None) -> int:
    now = timezone.now()
    chosen = deliveries.filter(status__in=statuses or [DeliveryStatus.FAILED])
    hours_dirtied(chosen)
    return chosen.update(
        status=DeliveryStatus.RETRYING,
        error_type="",
        error_message="",
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
