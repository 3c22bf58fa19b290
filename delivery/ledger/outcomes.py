"""What happened to one event at one step of its delivery."""

from dataclasses import dataclass, field
from typing import Any

from delivery.models import DeliveryStatus

# The runtime's statuses (functions.runtime.results.STATUSES) that end a delivery, as
# EventDelivery statuses; the ones that ask for another attempt are the retry policy's
# (delivery.ledger.retry.RETRYABLE).
FINAL_STATUSES = {
    "filtered": DeliveryStatus.FILTERED,
    "dropped": DeliveryStatus.DROPPED,
    "message_rejected": DeliveryStatus.MESSAGE_REJECTED,
    "unsupported_event_type": DeliveryStatus.UNSUPPORTED_EVENT_TYPE,
    "invalid_settings": DeliveryStatus.INVALID_SETTINGS,
    "bad_request": DeliveryStatus.BAD_REQUEST,
}
# Not attempted after all (its batch stopped at a time limit): the attempt counted when the
# row was claimed is given back and the row is due again at once (delivery/lanes.py).
DEFERRED = "deferred"


@dataclass
class Outcome:
    """`status` is the runtime's vocabulary plus `delivered`; `output` is the transformed
    event of an insert function."""

    status: str
    error: dict[str, str] | None = None
    output: Any = None
    logs: list[Any] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)
    # Seconds the receiver asked to wait before the next attempt (its Retry-After).
    retry_after: float | None = None
    # A time limit stopped it: the webhook's request timed out, or its function run was
    # stopped by the runtime's limit (the event itself or others of its run).
    timed_out: bool = False


# Delivered, with nothing to keep (a delivered row keeps no logs or requests): one outcome
# shared by every such answer, never changed (delivery/ledger/rows.py writes its rows
# without looking further).
DELIVERED = Outcome(DeliveryStatus.DELIVERED)


def error_outcome(status: str, error_type: str, message: str, **extra: Any) -> Outcome:
    return Outcome(status, {"type": error_type, "message": message[:2000]}, **extra)


def deferred_outcome(reason: str) -> Outcome:
    return error_outcome(DEFERRED, "Deferred", f"not attempted: {reason}")
