"""Fuzzing the tracking API with hostile bodies sent as raw bytes: never a 5xx, refusals in
the documented error body, and a refused request stores nothing."""

import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from delivery.models import OutboxEntry
from tests.delivery.helpers import basic
from tests.factories import source_factory
from tests.fuzz import FUZZ, any_text, assert_envelope, bodies, good, mostly, values

pytestmark = pytest.mark.django_db

identifier = st.one_of(good("u1"), any_text.map(json.dumps))
EVENT_FIELDS = {
    "userId": identifier,
    "anonymousId": identifier,
    "messageId": identifier,
    "event": identifier,
    "type": st.sampled_from(['"track"', '"identify"', '"bogus"']),
    "groupId": identifier,
    "previousId": identifier,
    "properties": mostly(good({"total": 42})),
    "traits": mostly(good({"plan": "pro"})),
    "context": mostly(good({"library": {"name": "fuzz"}})),
    "timestamp": good("2026-01-01T00:00:00Z"),
}
event_bodies = bodies(EVENT_FIELDS)
batch_bodies = st.lists(event_bodies, min_size=1, max_size=3).map(
    lambda items: b'{"batch": [' + b",".join(items) + b"]}"
)
KINDS = ["track", "identify", "page", "screen", "group", "alias"]


# The tracking API answers `code` and `message` too (what analytics-python reads).
TRACKING_ERROR_KEYS = frozenset({"errors", "code", "message"})


@pytest.fixture
def source(workspace, monkeypatch):
    monkeypatch.setattr("delivery.ingest.outbox.outbox_publish", lambda entry_id: None)
    return source_factory(workspace)


@FUZZ
@given(kind=st.sampled_from(KINDS), raw=event_bodies)
def test_tracking_fuzz_single_events(client, source, kind, raw):
    before = OutboxEntry.objects.count()
    response = client.post(
        f"/v1/{kind}", raw, content_type="application/json", **basic(source.write_key)
    )
    event(f"HTTP {response.status_code} {response.content[:60]!r}")
    assert_envelope(response, allowed={"type", "message"}, top=TRACKING_ERROR_KEYS)
    stored = OutboxEntry.objects.count() - before
    assert stored == (1 if response.status_code == 200 else 0)
    if stored:
        assert response.json()["success"] is True
        # What was accepted reads back (no value PostgreSQL kept but cannot give back).
        assert OutboxEntry.objects.order_by("-created_at").first().events


@FUZZ
@given(raw=batch_bodies | bodies({"batch": st.one_of(good([]), values)}))
def test_tracking_fuzz_batches(client, source, raw):
    before = OutboxEntry.objects.count()
    response = client.post(
        "/v1/batch", raw, content_type="application/json", **basic(source.write_key)
    )
    event(f"HTTP {response.status_code} {response.content[:60]!r}")
    assert_envelope(response, allowed={"type", "message"}, top=TRACKING_ERROR_KEYS)
    assert OutboxEntry.objects.count() - before == (1 if response.status_code == 200 else 0)
