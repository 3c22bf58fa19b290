"""The tracking spec: which events the tracking API accepts, and what it stamps on them."""

import json
import re
import uuid
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from delivery.ingest.clock import iso, timestamps_corrected

EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")
MAX_EVENT_BYTES = 32 * 1024
MAX_REQUEST_BYTES = 500 * 1024
# Batch-level fields that every event of a /v1/batch request inherits.
_BATCH_DEFAULTS = ("context", "integrations")
# Fields that end up in headers (messageId is the webhook's Idempotency-Key) and in URLs
# that functions build: a line break there would let a public write key inject headers.
IDENTIFIER_FIELDS = ("messageId", "userId", "anonymousId", "type", "event", "groupId", "previousId")
# C0 controls, DEL, C1 controls (U+0085 NEL among them) and the Unicode line separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class InvalidEvent(ValueError):
    pass


def _check_event(event: Any, where: str) -> None:
    if not isinstance(event, dict):
        raise InvalidEvent(f"{where} must be a JSON object")
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        raise InvalidEvent(f"{where}.type must be one of {', '.join(EVENT_TYPES)}")
    if not _present(event.get("userId")) and not _present(event.get("anonymousId")):
        raise InvalidEvent(f"{where} needs a userId or an anonymousId")
    if kind == "track" and not (isinstance(event.get("event"), str) and event["event"]):
        raise InvalidEvent(f"{where}.event is required for a track call")
    if kind == "group" and not _present(event.get("groupId")):
        raise InvalidEvent(f"{where}.groupId is required for a group call")
    if kind == "alias" and not _present(event.get("previousId")):
        raise InvalidEvent(f"{where}.previousId is required for an alias call")
    for name in ("properties", "traits", "context", "integrations"):
        if event.get(name) is not None and not isinstance(event[name], dict):
            raise InvalidEvent(f"{where}.{name} must be an object")
    message_id = event.get("messageId")
    if message_id is not None and not (isinstance(message_id, str) and 0 < len(message_id) <= 200):
        raise InvalidEvent(f"{where}.messageId must be a string of at most 200 characters")
    # One search over the fields together (a character class matches within one of them),
    # then, only for an event refused, the field to name.
    if _CONTROL.search("".join(v for n in IDENTIFIER_FIELDS if isinstance(v := event.get(n), str))):
        for name in IDENTIFIER_FIELDS:
            if has_control_characters(event.get(name)):
                raise InvalidEvent(
                    f"{where}.{name} may not contain control characters or line breaks"
                )
    if event_size(event) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"{where} is larger than 32 KB")


def event_size(event: dict[str, Any]) -> int:
    """UTF-8 bytes of the event's compact JSON, what the tracking libraries measure (not
    JSON with non-ASCII escaped, where CJK text counts double and emoji triple). orjson
    writes that UTF-8 directly (json's encoder was a tenth of the tracking API's CPU on a
    500-event batch); what it refuses (a lone surrogate, an integer beyond 64 bits, nesting
    deeper than 254) is measured by json as before."""
    try:
        return len(orjson.dumps(event))
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        return len(text.encode("utf-8", "surrogatepass"))


def has_control_characters(value: Any) -> bool:
    return isinstance(value, str) and _CONTROL.search(value) is not None


def _present(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or (
        isinstance(value, int | float) and not isinstance(value, bool)
    )


class _Receipt(NamedTuple):
    """When a request was received, and its two texts, made once per request."""

    at: datetime
    iso: str  # milliseconds: an event's default timestamp
    text: str  # as received: receivedAt

    @classmethod
    def of(cls, at: datetime) -> "_Receipt":
        return cls(at, iso(at), at.isoformat().replace("+00:00", "Z"))


def _stamp(event: dict[str, Any], receipt: _Receipt, sent_at: Any) -> dict[str, Any]:
    event.pop("writeKey", None)
    if not event.get("messageId"):
        event["messageId"] = f"api-{uuid.uuid4()}"
    timestamps_corrected(event, sent_at=sent_at, received_at=receipt.at, received_iso=receipt.iso)
    event["receivedAt"] = receipt.text
    return event


class Refusal(NamedTuple):
    position: int
    message: str


class TrackedEvents(NamedTuple):
    events: list[dict[str, Any]]
    # Events of a batch refused one by one (too large, invalid): the others are accepted.
    refused: list[Refusal]


def events_from_body(body: Any, *, kind: str, received_at: datetime) -> TrackedEvents:
    """The events of one tracking API request, validated and stamped, or InvalidEvent when
    the request itself, or every event of it, is unusable."""
    if not isinstance(body, dict):
        raise InvalidEvent("the body must be a JSON object")
    sent_at = body.get("sentAt")
    # Every event of a request is received at the same instant: its texts are made once.
    receipt = _Receipt.of(received_at)
    if kind != "batch":
        event = dict(body, type=kind)
        _check_event(event, "the event")
        return TrackedEvents([_stamp(event, receipt, sent_at)], [])
    items = body.get("batch")
    if not isinstance(items, list) or not items:
        raise InvalidEvent("batch must be a non-empty list of events")
    events, refused = [], []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            defaults = {k: body[k] for k in _BATCH_DEFAULTS if isinstance(body.get(k), dict)}
            item = {**defaults, **item}
        try:
            _check_event(item, f"batch[{index}]")
        except InvalidEvent as error:
            refused.append(Refusal(index, str(error)))
            continue
        events.append(_stamp(item, receipt, sent_at))
    if not events:
        raise InvalidEvent(refused[0].message)
    return TrackedEvents(events, refused)
