"""What happened to one event at one step of its delivery."""

from dataclasses import dataclass, field
from typing import Any

# The runtime's statuses that end a delivery, as EventDelivery statuses.
FINAL_STATUSES = {
    "filtered": "filtered",
    "dropped": "dropped",
    "message_rejected": "message_rejected",
    "unsupported_event_type": "unsupported_event_type",
    "invalid_settings": "invalid_settings",
    "bad_request": "bad_request",
}
RETRYABLE = {"retry", "timeout"}


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


def error_outcome(status: str, error_type: str, message: str, **extra: Any) -> Outcome:
    return Outcome(status, {"type": error_type, "message": message[:2000]}, **extra)
