"""The tracking API: authentication, validation, stamping, durable acceptance."""

import json

import pytest

from delivery.models import OutboxEntry
from tests.delivery.helpers import basic, post_batch, track
from tests.factories import source_factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(workspace):
    return source_factory(workspace)


@pytest.fixture
def published(monkeypatch):
    """The broker, mocked: what the tracking API handed to Celery."""
    sent: list[str] = []
    monkeypatch.setattr("delivery.outbox.outbox_publish", lambda entry_id: sent.append(entry_id))
    return sent


def test_track_is_accepted_stamped_and_handed_to_celery(client, source, published):
    body = {"event": "Signed Up", "userId": "u1", "writeKey": "ignored-in-event"}
    response = client.post(
        "/v1/track", body, content_type="application/json", **basic(source.write_key)
    )
    assert response.status_code == 200
    assert response.json() == {"success": True}
    entry = OutboxEntry.objects.get()
    [event] = entry.events
    assert event["type"] == "track"
    assert event["messageId"].startswith("api-")
    assert event["receivedAt"].endswith("Z")
    assert "writeKey" not in event
    assert published == [entry.id]


def test_write_key_in_the_body_works_too(client, source, published):
    body = {"writeKey": source.write_key, "userId": "u1", "traits": {"a": 1}}
    assert client.post("/v1/identify", body, content_type="application/json").status_code == 200


def test_unknown_write_key_is_401(client, source, published):
    response = client.post(
        "/v1/track", {"event": "x", "userId": "u"}, content_type="application/json", **basic("nope")
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"]


def test_malformed_json_is_400_with_a_message(client, source, published):
    response = client.post(
        "/v1/track", "{not json", content_type="application/json", **basic(source.write_key)
    )
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/track", {"userId": "u"}, "event is required"),
        ("/v1/track", {"event": "x"}, "userId or an anonymousId"),
        ("/v1/group", {"userId": "u"}, "groupId is required"),
        ("/v1/alias", {"userId": "u"}, "previousId is required"),
        ("/v1/track", {"event": "x", "userId": "u", "properties": []}, "properties must be"),
        ("/v1/batch", {"batch": []}, "non-empty list"),
        ("/v1/batch", {"batch": [{"type": "bogus", "userId": "u"}]}, "batch[0].type"),
        (
            "/v1/track",
            {"event": "x", "userId": "u", "properties": {"p": "x" * 33_000}},
            "larger than 32 KB",
        ),
    ],
)
def test_invalid_events_are_400_and_nothing_is_accepted(
    client, source, published, path, body, message
):
    response = client.post(path, body, content_type="application/json", **basic(source.write_key))
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]
    assert not OutboxEntry.objects.exists()
    assert published == []


def test_request_over_500_kb_is_refused(client, source, published):
    events = track(20, properties={"blob": "x" * 30_000})
    response = post_batch(client, source.write_key, events)
    assert response.status_code == 413
    assert not OutboxEntry.objects.exists()


def test_batch_events_inherit_context_and_keep_their_message_ids(client, source, published):
    body = {
        "batch": [dict(e, messageId=f"m{i}") for i, e in enumerate(track(2))],
        "context": {"library": {"name": "test"}},
    }
    response = client.post(
        "/v1/batch", json.dumps(body), content_type="application/json", **basic(source.write_key)
    )
    assert response.status_code == 200
    events = OutboxEntry.objects.get().events
    assert [e["messageId"] for e in events] == ["m0", "m1"]
    assert events[0]["context"] == {"library": {"name": "test"}}


def test_broker_down_is_503_and_nothing_half_accepted(client, source, monkeypatch):
    from delivery.outbox import BrokerUnavailable

    def refuse(entry_id):
        raise BrokerUnavailable("connection refused")

    monkeypatch.setattr("delivery.outbox.outbox_publish", refuse)
    response = post_batch(client, source.write_key, track(3))
    assert response.status_code == 503
    assert response.json()["errors"][0]["type"] == "unavailable"
    assert not OutboxEntry.objects.exists()
