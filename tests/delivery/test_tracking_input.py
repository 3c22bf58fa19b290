"""Bad input to the tracking API: each case answers its documented error body
(`{"errors": [{"type", "message"}]}`, 400/401/413/503), never a 500, and stores nothing."""

import base64
import json

import pytest
from django.db import InterfaceError, OperationalError

from delivery.ingest import outbox
from delivery.models import OutboxEntry
from tests.delivery.helpers import basic
from tests.factories import source_factory
from workspace.json_input import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(workspace):
    return source_factory(workspace)


@pytest.fixture
def published(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(
        "delivery.ingest.outbox.outbox_publish", lambda entry_id: sent.append(entry_id)
    )
    return sent


def _post(client, source, raw: bytes, path: str = "/v1/track", **extra):
    return client.post(
        path, raw, content_type="application/json", **basic(source.write_key), **extra
    )


def _refused(response, status: int, kind: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"} and body["code"] == kind
    [error] = body["errors"]
    assert set(error) == {"type", "message"} and error["type"] == kind
    assert not OutboxEntry.objects.exists()
    return str(error["message"])


def _with_properties(raw_properties: bytes) -> bytes:
    return b'{"event": "x", "userId": "u", "properties": ' + raw_properties + b"}"


def test_body_nested_1000_deep_is_400(client, source, published):
    deep = b'{"a": ' * 1000 + b"1" + b"}" * 1000
    message = _refused(_post(client, source, _with_properties(deep)), 400, "bad-request")
    assert message == f"the body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels"


def test_body_nested_to_the_limit_is_accepted(client, source, published):
    # The body is level 1 and properties level 2.
    deep = b"[" * (MAX_JSON_DEPTH - 2) + b"]" * (MAX_JSON_DEPTH - 2)
    assert _post(client, source, _with_properties(b'{"a": ' + deep + b"}")).status_code == 200
    assert OutboxEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"NaN", "NaN is not valid JSON"),
        (b"Infinity", "Infinity is not valid JSON"),
        (b"-Infinity", "-Infinity is not valid JSON"),
        (b"1e400", "the number 1e400 is out of range"),
        (b'"a\\u0000b"', "the body contains a NUL character (\\u0000)"),
    ],
)
def test_unstorable_number_or_nul_is_400(client, source, published, value, message):
    response = _post(client, source, _with_properties(b'{"v": ' + value + b"}"))
    assert _refused(response, 400, "bad-request") == message


def test_huge_integer_is_kept_exact(client, source, published):
    response = _post(client, source, _with_properties(b'{"v": ' + b"9" * 40 + b"}"))
    assert response.status_code == 200
    [event] = OutboxEntry.objects.get().events
    assert event["properties"]["v"] == int("9" * 40)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event": "x", "userId": "s\\ud800"}',
        b'{"event": "x", "userId": "u", "properties": {"k\\udc00": 1}}',
        b'{"event": "x", "userId": "u", "properties": {"v": ["\\ud83d"]}}',
    ],
)
def test_lone_surrogate_anywhere_is_refused_not_replaced(client, source, published, raw):
    message = _refused(_post(client, source, raw), 400, "bad-request")
    assert message.startswith("the body contains a lone UTF-16 surrogate")


def test_surrogate_pair_is_kept(client, source, published):
    response = _post(client, source, b'{"event": "x \\ud83d\\ude80", "userId": "u"}')
    assert response.status_code == 200
    assert OutboxEntry.objects.get().events[0]["event"] == "x \U0001f680"


def test_invalid_utf8_is_400(client, source, published):
    message = _refused(
        _post(client, source, b'{"event": "\xed\xa0\x80", "userId": "u"}'), 400, "bad-request"
    )
    assert message.startswith("the body is not valid UTF-8")


@pytest.mark.parametrize("declared", ["abc", "1e3", "30, 5", "-1", "\u0661"])
def test_content_length_that_is_not_a_number_is_400(client, source, published, declared):
    response = _post(client, source, b'{"event": "x", "userId": "u"}', CONTENT_LENGTH=declared)
    assert _refused(response, 400, "bad-request") == "Content-Length must be a number of bytes"


@pytest.mark.parametrize("field", ["messageId", "userId", "anonymousId", "event", "groupId"])
@pytest.mark.parametrize("char", ["\r\n", "\n", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"])
def test_control_character_in_an_identifier_is_400(client, source, published, field, char):
    event = {"type": "group", "event": "x", "userId": "u", "groupId": "g", field: f"a{char}b"}
    response = _post(client, source, json.dumps(event).encode(), path="/v1/group")
    message = _refused(response, 400, "bad-request")
    if char != "\x00":  # NUL is refused anywhere in the body, before the fields are looked at
        assert message == f"the event.{field} may not contain control characters or line breaks"


def test_control_character_in_a_batch_type_is_400(client, source, published):
    body = {"batch": [{"type": "track\r\n", "event": "x", "userId": "u"}]}
    message = _refused(
        _post(client, source, json.dumps(body).encode(), "/v1/batch"), 400, "bad-request"
    )
    assert message.startswith("batch[0].type must be one of")


def test_header_injection_in_message_id_is_400(client, source, published):
    body = {"event": "x", "userId": "u", "messageId": "abc\r\nX-Injected: yes"}
    message = _refused(_post(client, source, json.dumps(body).encode()), 400, "bad-request")
    assert message == "the event.messageId may not contain control characters or line breaks"
    assert published == []


def test_control_characters_elsewhere_are_kept(client, source, published):
    body = {"event": "x", "userId": "u", "properties": {"note": "line one\nline two\t\x1b"}}
    assert _post(client, source, json.dumps(body).encode()).status_code == 200
    assert OutboxEntry.objects.get().events[0]["properties"]["note"] == "line one\nline two\t\x1b"


def test_write_key_with_a_nul_is_401(client, source, published):
    token = base64.b64encode(b"key\x00:").decode()
    response = client.post(
        "/v1/track",
        {"event": "x", "userId": "u"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {token}",
    )
    assert _refused(response, 401, "unauthorized")


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_outage_at_ingest_is_503(client, source, published, monkeypatch, error):
    def unreachable(*args):
        raise error("connection to server at 127.0.0.1 failed")

    # The write of the accepted events (with its source's lookup), inside its transaction.
    monkeypatch.setattr(outbox, "_entry_insert", unreachable)
    response = _post(client, source, b'{"event": "x", "userId": "u"}')
    assert response.status_code == 503
    message = "events cannot be accepted right now; retry later"
    assert response.json() == {
        "code": "unavailable",
        "message": message,
        "errors": [{"type": "unavailable", "message": message}],
    }
    assert published == []
