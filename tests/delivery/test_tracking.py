"""The tracking API: authentication, validation, stamping, durable acceptance."""

import gzip
import json
import zlib
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

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
    monkeypatch.setattr(
        "delivery.ingest.outbox.outbox_publish", lambda entry_id: sent.append(entry_id)
    )
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
    # analytics-python raises APIError(status, body["code"], body["message"]) from this.
    assert response.json()["code"] == "unauthorized"
    assert "write key" in response.json()["message"]


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
            "/v1/batch",
            {"batch": [{"type": "track", "userId": "u"}, {"type": "alias", "userId": "u"}]},
            "batch[0].event is required",
        ),
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
    from delivery.ingest.outbox import BrokerUnavailable

    def refuse(entry_id):
        raise BrokerUnavailable("connection refused")

    monkeypatch.setattr("delivery.ingest.outbox.outbox_publish", refuse)
    response = post_batch(client, source.write_key, track(3))
    assert response.status_code == 503
    assert response.json()["errors"][0]["type"] == "unavailable"
    assert not OutboxEntry.objects.exists()


def _post_raw(client, source, body: bytes, **headers):
    return client.post(
        "/v1/batch", body, content_type="application/json", **headers, **basic(source.write_key)
    )


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some send it
    ],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_compressed_bodies_are_accepted(client, source, published, encoding, compress):
    body = json.dumps({"batch": track(3)}).encode()
    response = _post_raw(client, source, compress(body), HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 200, response.json()
    assert len(OutboxEntry.objects.get().events) == 3


def test_zip_bomb_is_413_without_inflating_it_whole(client, source, published):
    bomb = gzip.compress(b"[" + b" " * 50_000_000 + b"]")
    assert len(bomb) < 100_000
    response = _post_raw(client, source, bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"
    assert not OutboxEntry.objects.exists()


@pytest.mark.parametrize(
    ("encoding", "body", "status"),
    [("gzip", b"not gzip at all", 400), ("br", b"{}", 415), ("gzip", b"\x1f\x8b\x08", 400)],
)
def test_undecodable_bodies_are_refused_clearly(client, source, published, encoding, body, status):
    response = _post_raw(client, source, body, HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == status
    assert response.json()["message"]


def test_event_size_counts_utf8_bytes_not_escaped_json(client, source, published):
    # 10,000 CJK characters are 30,000 UTF-8 bytes (under 32 KB) but 60,000 characters of
    # \\uXXXX escapes; 7,000 emoji are 28,000 bytes but 84,000 escaped.
    cjk = track(1, properties={"text": "漢" * 10_000})
    emoji = track(1, properties={"text": "😀" * 7_000})
    assert post_batch(client, source.write_key, cjk + emoji).status_code == 200
    [text_cjk, text_emoji] = [e["properties"]["text"] for e in OutboxEntry.objects.get().events]
    assert (text_cjk, text_emoji) == ("漢" * 10_000, "😀" * 7_000)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "track", "properties": {"t": "漢😀é", "n": 1.5, "ok": True, "none": None}},
        {"properties": {"lone": "\ud800x"}},  # orjson refuses: json measures it
        {"properties": {"big": 2**70}},  # beyond 64 bits: json measures it
    ],
)
def test_event_size_is_the_utf8_length_of_compact_json(event):
    import json

    from delivery.ingest.validation import event_size

    compact = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    assert event_size(event) == len(compact.encode("utf-8", "surrogatepass"))


def test_event_over_32_kb_in_utf8_is_refused(client, source, published):
    response = client.post(
        "/v1/track",
        {"event": "x", "userId": "u", "properties": {"t": "漢" * 11_000}},
        content_type="application/json",
        **basic(source.write_key),
    )
    assert response.status_code == 400
    assert "larger than 32 KB" in response.json()["message"]


def test_batch_refuses_only_its_oversized_event(client, source, published):
    events = track(3)
    events[1]["properties"] = {"blob": "x" * 33_000}
    response = post_batch(client, source.write_key, events)
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert response.json()["refused"] == [{"index": 1, "message": "batch[1] is larger than 32 KB"}]
    assert [e["userId"] for e in OutboxEntry.objects.get().events] == ["u0", "u2"]


def test_timestamp_is_corrected_by_sent_at_and_original_kept(client, source, published):
    # The device clock runs 1 hour fast: it stamped the event 10 s before sending.
    body = {
        "batch": track(1, timestamp="2030-01-01T13:00:00.000Z"),
        "sentAt": "2030-01-01T13:00:10.000Z",
    }
    before = timezone.now()
    response = client.post(
        "/v1/batch", json.dumps(body), content_type="application/json", **basic(source.write_key)
    )
    assert response.status_code == 200
    [event] = OutboxEntry.objects.get().events
    received = datetime.fromisoformat(event["receivedAt"])
    assert event["originalTimestamp"] == "2030-01-01T13:00:00.000Z"
    assert event["sentAt"] == "2030-01-01T13:00:10.000Z"
    corrected = datetime.fromisoformat(event["timestamp"])
    assert abs(corrected - (received - timedelta(seconds=10))) < timedelta(milliseconds=1)
    assert before - timedelta(seconds=11) < corrected < received


def test_timestamp_without_sent_at_is_kept_and_absent_one_is_received_at(client, source, published):
    events = [*track(1, timestamp="2020-05-05T05:05:05+02:00"), *track(1)]
    assert post_batch(client, source.write_key, events).status_code == 200
    kept, stamped = OutboxEntry.objects.get().events
    assert kept["timestamp"] == kept["originalTimestamp"] == "2020-05-05T05:05:05+02:00"
    stamped_at = datetime.fromisoformat(stamped["timestamp"])
    assert (
        timedelta(0)
        <= datetime.fromisoformat(stamped["receivedAt"]) - stamped_at
        < timedelta(milliseconds=1)
    )
    assert "originalTimestamp" not in stamped
