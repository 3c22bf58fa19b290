"""The skew step of the tracking API: a device clock that is off moves `timestamp`, so the
platform corrects it with the time the device says it sent the request:
timestamp = receivedAt - (sentAt - originalTimestamp), keeping what the device said in
`originalTimestamp`."""

from datetime import UTC, datetime
from typing import Any


def instant(value: Any) -> datetime | None:
    """An ISO-8601 string as an aware datetime (naive ones are UTC), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamps_corrected(
    event: dict[str, Any], *, sent_at: Any, received_at: datetime, received_iso: str | None = None
) -> None:
    """Set `event`'s timestamp, originalTimestamp and sentAt as the platform documents.
    `received_iso` is `iso(received_at)` when the caller made it already (once per request
    rather than once per event: it was a tenth of ingest's Python)."""
    sent_at = event.get("sentAt", sent_at)
    if sent_at is not None:
        event["sentAt"] = sent_at
    if event.get("timestamp") is None:
        event["timestamp"] = received_iso or iso(received_at)
        return
    event.setdefault("originalTimestamp", event["timestamp"])
    original, sent = instant(event["timestamp"]), instant(sent_at)
    if original is None or sent is None:
        return
    try:
        event["timestamp"] = iso(received_at - (sent - original))
    except OverflowError:  # dates near year 1 or 9999: keep the device's timestamp
        return
