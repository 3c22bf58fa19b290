"""The webhook sender on its own: DNS pinning, address checks, redirects, outcomes."""

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.kinds.webhook import reindexed, webhook_send
from delivery.ledger.outcomes import Outcome


@pytest.fixture
def dns(monkeypatch) -> Iterator[dict[str, list[str]]]:
    """Names of `*.test` answer the addresses queued for them, one per lookup (the last one
    repeats); every lookup is recorded under "lookups"."""
    answers: dict[str, list[str]] = {"lookups": []}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if not str(host).endswith(".test"):
            return real(host, port, *args, **kwargs)
        answers["lookups"].append(host)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield answers


def _send(url: str, n: int = 2) -> list:
    events = [{"type": "track", "messageId": f"m{i}", "userId": "u"} for i in range(n)]
    return webhook_send(url=url, headers={}, events=events)


def test_webhook_to_a_name_resolving_to_a_private_address_is_refused(settings, dns, receiver):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = False
    dns["inside.test"] = ["10.1.2.3"]
    outcomes = _send(f"http://inside.test:{receiver.url.rsplit(':', 1)[1]}/ok")
    assert {o.status for o in outcomes} == {"bad_request"}
    assert {o.error["type"] for o in outcomes} == {"BlockedAddress"}
    assert "10.1.2.3" in outcomes[0].error["message"]
    assert receiver.requests == []


def test_webhook_to_loopback_is_refused_unless_private_fetch_is_allowed(settings, receiver):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = False
    assert {o.status for o in _send(f"{receiver.url}/ok")} == {"bad_request"}
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    assert {o.status for o in _send(f"{receiver.url}/ok")} == {"delivered"}
    assert len(receiver.bodies("/ok")) == 2


def test_webhook_connects_to_the_checked_address_with_the_name_as_host(settings, dns, receiver):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    port = receiver.url.rsplit(":", 1)[1]
    # Loopback for the check; a later lookup would answer an address nothing listens on.
    dns["hook.test"] = ["127.0.0.1", "10.255.255.1"]
    outcomes = _send(f"http://hook.test:{port}/ok", n=12)
    assert {o.status for o in outcomes} == {"delivered"}
    assert {r["headers"]["Host"] for r in receiver.requests} == {f"hook.test:{port}"}
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert keys == {f"m{i}" for i in range(12)}
    # One lookup, checked, for the whole batch and all its connections.
    assert dns["lookups"] == ["hook.test"]


def test_webhook_redirect_is_not_followed_and_is_rejected(settings, receiver):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    [outcome] = _send(f"{receiver.url}/redirect", n=1)
    assert outcome.status == "message_rejected"
    assert outcome.error["message"].startswith("HTTP 307")
    assert outcome.requests[0]["status"] == 307
    assert receiver.bodies("/ok") == []


def test_webhook_network_error_is_retried(settings):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    [outcome] = _send("http://127.0.0.1:9/none", n=1)
    assert outcome.status == "retry"
    assert outcome.error["type"] == "RetryError"


def test_webhook_header_with_a_line_break_is_refused(settings, receiver):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    outcomes = webhook_send(
        url=f"{receiver.url}/ok",
        headers={"X-A": "1\r\nX-Injected: 1"},
        events=[{"messageId": "m"}],
    )
    assert [o.status for o in outcomes] == ["bad_request"]
    assert receiver.requests == []


def test_webhook_url_that_is_not_http_is_refused(settings):
    [outcome] = _send("ftp://example.com/x", n=1)
    assert outcome.status == "bad_request"
    assert outcome.error["type"] == "BlockedAddress"


def test_webhook_message_id_with_a_line_break_is_refused_for_that_event_only(settings, receiver):
    # Rows accepted before ingest refused control characters (or replayed) still get here.
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    events = [
        {"type": "track", "messageId": "m0"},
        {"type": "track", "messageId": "abc\r\nX-Injected: yes"},
        {"type": "track", "messageId": "abc\nX-Injected: yes"},
        {"type": "track", "messageId": "m3"},
    ]
    outcomes = webhook_send(url=f"{receiver.url}/ok", headers={}, events=events)
    assert [o.status for o in outcomes] == ["delivered", "bad_request", "bad_request", "delivered"]
    assert outcomes[1].error == {
        "type": "InvalidHeader",
        "message": "header Idempotency-Key may not contain line breaks (CR, LF) or NUL",
    }
    assert sorted(r["headers"]["Idempotency-Key"] for r in receiver.requests) == ["m0", "m3"]
    assert not any("X-Injected" in r["headers"] for r in receiver.requests)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "1\r\nX-Injected: 1"},
        {"X-A": "1\nX-Injected: 1"},
        {"X-A": "1\x00"},
        {"X-A\r\nX-Injected": "1"},
        {"X A": "1"},
        {"": "1"},
    ],
)
def test_webhook_configured_header_that_cannot_be_sent_is_refused(settings, receiver, headers):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    outcomes = webhook_send(url=f"{receiver.url}/ok", headers=headers, events=[{"messageId": "m"}])
    assert [o.status for o in outcomes] == ["bad_request"]
    assert outcomes[0].error["type"] == "InvalidHeader"
    assert receiver.requests == []


@pytest.mark.parametrize("code", [429, 503])
def test_webhook_retry_after_of_a_429_or_503_is_kept_on_the_outcome(settings, receiver, code):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True

    def answer(handler, body: bytes) -> bool:
        handler.send_response(code)
        handler.send_header("Retry-After", "3")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = answer
    outcomes = _send(f"{receiver.url}/ok")
    assert {o.status for o in outcomes} == {"retry"}
    assert {o.retry_after for o in outcomes} == {3.0}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("in a while", None),  # neither delay-seconds nor a date: no wait asked
        ("0", None),
        ("Wed, 31 Dec 2025 00:00:00 GMT", None),  # a date gone by asks for no wait
        ("{future}", 120.0),
    ],
)
def test_webhook_retry_after_reads_seconds_and_http_dates(settings, receiver, value, expected):
    from email.utils import format_datetime

    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    future = format_datetime(timezone.now() + timedelta(seconds=120), usegmt=True)

    def answer(handler, body: bytes) -> bool:
        handler.send_response(429)
        handler.send_header("Retry-After", value.format(future=future))
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = answer
    (outcome,) = webhook_send(url=f"{receiver.url}/ok", headers={}, events=[{"messageId": "m"}])
    assert outcome.status == "retry"
    if expected is None:
        assert outcome.retry_after is None
    else:  # the date is whole seconds: the wait is what is left of them
        assert expected - 2 <= outcome.retry_after <= expected


def test_webhook_retry_after_of_a_500_is_ignored(settings, receiver):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True

    def answer(handler, body: bytes) -> bool:
        handler.send_response(500)
        handler.send_header("Retry-After", "3")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = answer
    assert {o.retry_after for o in _send(f"{receiver.url}/ok")} == {None}


def test_webhook_batch_stops_at_its_first_timeout_when_asked(settings, receiver, monkeypatch):
    """The ordinary lane's bound (delivery/lanes.py): one time limit, then the events not
    yet sent are answered `deferred`, unsent."""
    import threading
    import time

    from delivery.kinds import webhook

    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    settings.DELIVERY_WEBHOOK_TIMEOUT_SECONDS, settings.DELIVERY_WEBHOOK_CONCURRENCY = 0.5, 2
    monkeypatch.setattr(webhook, "_sender", None)  # made again with these settings
    released = threading.Event()
    hung: list[str] = []

    def hang(handler, body: bytes) -> bool:
        hung.append(handler.path)
        released.wait(5)
        return True

    receiver.on_request = hang
    events = [{"type": "track", "messageId": f"m{i}"} for i in range(20)]
    started = time.monotonic()
    try:
        outcomes = webhook_send(
            url=f"{receiver.url}/ok", headers={}, events=events, stop_on_timeout=True
        )
    finally:
        released.set()
    assert time.monotonic() - started < 2
    assert [o.status for o in outcomes] == ["retry"] * 2 + ["deferred"] * 18
    assert [o.timed_out for o in outcomes[:2]] == [True, True]
    assert {o.error["type"] for o in outcomes[2:]} == {"Deferred"}
    assert len(hung) == 2


def test_settled_callbacks_compose_into_one_mapping() -> None:
    """The pipeline passes on the events its insert function kept, the webhook the events
    with a valid Idempotency-Key: an answer reaches the recorder at the batch's position in
    one call, whatever the number of layers."""
    told: list[tuple[int, str]] = []
    outer = reindexed(lambda index, outcome: told.append((index, outcome.status)), [1, 3, 4])
    inner = reindexed(outer, [0, 2])
    assert inner is not None and inner.target is not outer  # type: ignore[attr-defined]
    inner(1, Outcome("delivered"))
    inner(0, Outcome("retry"))
    assert told == [(4, "delivered"), (1, "retry")]
    assert reindexed(None, [0]) is None
