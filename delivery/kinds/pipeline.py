"""One destination's handling of a batch of events: the insert function, then the
destination's kind (a webhook, a destination function). Destination filters ran before, when
the events were fanned out."""

from typing import Any

from delivery.kinds.function import run_instance
from delivery.kinds.registry import kind_of
from delivery.kinds.webhook import Settled, reindexed
from delivery.lanes import kill_budget
from delivery.ledger.outcomes import Outcome
from delivery.models import DeliveryStatus, Destination
from functions.models import FunctionInstance


def insert_instance_of(destination: Destination) -> FunctionInstance | None:
    """The insert function instance in front of `destination`, if it runs (enabled)."""
    instance = destination.insert_instance
    return instance if instance is not None and instance.enabled else None


def _send(
    destination: Destination, events: list[dict[str, Any]], settled: Settled | None
) -> list[Outcome]:
    if not events:
        return []
    return kind_of(destination).send(destination, events, settled)


def deliver_events(
    destination: Destination, events: list[dict[str, Any]], settled: Settled | None = None
) -> list[Outcome]:
    """One outcome per event, in order: `delivered`, or why not. A webhook also tells
    `settled(index, outcome)` of each event as its answer arrives."""
    outcomes: list[Outcome | None] = [None] * len(events)
    current = list(events)
    insert = insert_instance_of(destination)
    if insert is not None:
        for index, outcome in enumerate(
            run_instance(instance=insert, kind="insert", events=events, kill_budget=kill_budget())
        ):
            if outcome.status == "success" and isinstance(outcome.output, dict):
                current[index] = outcome.output
            elif outcome.status == "success":
                outcomes[index] = Outcome(DeliveryStatus.FILTERED, logs=outcome.logs)
            else:
                outcomes[index] = outcome
    pending = [index for index, outcome in enumerate(outcomes) if outcome is None]
    told = reindexed(settled, pending)
    for index, outcome in zip(
        pending, _send(destination, [current[i] for i in pending], told), strict=True
    ):
        outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]
