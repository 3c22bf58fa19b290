"""A sample event of every type, offered by the Test tab when a source has no recent events."""

from typing import Any

_CONTEXT = {"ip": "203.0.113.7", "library": {"name": "analytics.js", "version": "5.2.0"}}
_COMMON = {
    "anonymousId": "8d3c7a5e-32b1-4f6a-9a0e-7b4c1f2d9e11",
    "userId": "user-1234",
    "context": _CONTEXT,
    "integrations": {},
    "timestamp": "2024-05-01T12:00:00.000Z",
    "receivedAt": "2024-05-01T12:00:00.120Z",
    "sentAt": "2024-05-01T12:00:00.050Z",
}

_BY_TYPE: dict[str, dict[str, Any]] = {
    "track": {
        "event": "Product Added",
        "properties": {"product_id": "507f1f77", "name": "Monopoly", "price": 18.99},
    },
    "identify": {"traits": {"name": "Peter Gibbons", "email": "peter@example.com"}},
    "page": {"name": "Home", "properties": {"title": "Home", "url": "https://example.com/"}},
    "screen": {"name": "Home", "properties": {"variation": "blue"}},
    "group": {"groupId": "group-42", "traits": {"name": "Initech", "industry": "Software"}},
    "alias": {"previousId": "old-id-99"},
    "delete": {},
}


def sample_events() -> dict[str, dict[str, Any]]:
    """{type: event} with a distinct messageId each."""
    return {
        kind: {"type": kind, "messageId": f"sample-{kind}-1", **_COMMON, **fields}
        for kind, fields in _BY_TYPE.items()
    }
