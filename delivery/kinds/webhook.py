"""The webhook sender: one POST of JSON per event, with the destination's headers and an
idempotency header; 2xx delivered, 429/5xx/network retried, other 4xx rejected.

DNS pinning: a batch resolves the URL's name once, checks every address with the fetch
rule, and pins every connection of the batch to the checked address (libcurl's RESOLVE), so
a name cannot rebind to a private address between the check and the connect; the Host
header and TLS SNI/certificate name stay the URL's name. Redirects are not followed: a
webhook answers where it was configured and a 3xx is its answer (message_rejected, request
kept), so no redirect can lead a POST to an address that was never checked. Proxies from
the environment are ignored for the same reason.

Measured here against a local receiver: libcurl's multi interface (pycurl) sends ~30,000
requests/s from one process with 8 connections; aiohttp on one event loop ~5,000/s;
httpx's sync client on 8 threads ~1,500/s, its async client ~190/s."""

import json
import os
import re
from collections import deque
from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import orjson
import pycurl  # type: ignore[import-untyped, unused-ignore]
from django.conf import settings

from delivery.kinds.url_masking import masked_url
from delivery.ledger.outcomes import DELIVERED, Outcome, deferred_outcome, error_outcome
from delivery.ledger.retry import RETRY_AFTER_CODES, http_retryable
from delivery.models import DeliveryStatus
from workspace.infra.addresses import BlockedAddress, resolve_blocking
from workspace.operations.metrics import WEBHOOK_SECONDS, observed_together

USER_AGENT = "functions-webhook/1.0"
# Told of each event's outcome as soon as its answer arrives.
Settled = Callable[[int, Outcome], None]


class _Reindexed:
    """`target(positions[index], outcome)`: a settled callback seen through a list of
    positions (the events a layer passed on, among those it was given)."""

    __slots__ = ("positions", "target")

    def __init__(self, target: Settled, positions: list[int]) -> None:
        self.target, self.positions = target, positions

    def __call__(self, index: int, outcome: Outcome) -> None:
        self.target(self.positions[index], outcome)


def reindexed(settled: Settled | None, positions: list[int]) -> Settled | None:
    """`settled`, told by index into `positions`. Layers compose into one mapping, so an
    answer reaches the recorder in one call whatever the number of layers (a call per
    layer and per request was measurable in the webhook's send loop)."""
    if settled is None:
        return None
    if isinstance(settled, _Reindexed):
        outer = settled.positions
        return _Reindexed(settled.target, [outer[position] for position in positions])
    return _Reindexed(settled, positions)


_WEB = pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS
# RFC 9110 field names are tokens; a value may not break the line (CR, LF) or end the C
# string libcurl is handed (NUL). Whatever the origin (configured header or event field), a
# header that fails this is never sent: a line break would start a header of the sender's.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_LINE_BREAK = re.compile(r"[\r\n\x00]")


def header_problem(name: str, value: str) -> str | None:
    """Why `name: value` cannot be sent as a header, or None when it can."""
    if not _HEADER_NAME.fullmatch(name):
        return f"header name {name[:60]!r} is not a valid HTTP header name"
    if _LINE_BREAK.search(value):
        return f"header {name} may not contain line breaks (CR, LF) or NUL"
    return None


class _Slot:
    """One libcurl easy handle and what the send loop keeps with it. Kept here as plain
    attributes, not on the pycurl object: its attributes are looked up through pycurl's own
    getattr, methods first (about eight lookups a request, 3.5% of a sending worker's CPU
    by py-spy)."""

    __slots__ = ("body", "curl", "index", "mark", "masked", "target")

    def __init__(self) -> None:
        self.curl = curl = pycurl.Curl()
        # The answers' bodies, kept for an error message: one buffer per handle, the
        # current answer's from `mark` on; emptied once it holds 64 kB (emptying it before
        # every request, or a new buffer and a WRITEDATA per request, cost more).
        self.body = BytesIO()
        self.mark = 0
        self.index = 0
        self.target: tuple[str, list[str]] | None = None
        self.masked = ""
        curl.setopt(pycurl.WRITEDATA, self.body)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.TIMEOUT_MS, int(settings.DELIVERY_WEBHOOK_TIMEOUT_SECONDS * 1000))
        curl.setopt(pycurl.PROTOCOLS, _WEB)
        curl.setopt(pycurl.FOLLOWLOCATION, 0)
        curl.setopt(pycurl.PROXY, "")
        curl.setopt(pycurl.USERAGENT, USER_AGENT)


class _Sender:
    """One libcurl multi handle (its keep-alive connection pool) and a fixed set of easy
    handles per worker process, made on first use (after the fork)."""

    def __init__(self) -> None:
        self.multi = pycurl.CurlMulti()
        self.slots = [_Slot() for _ in range(settings.DELIVERY_WEBHOOK_CONCURRENCY)]
        self.slot_of = {slot.curl: slot for slot in self.slots}

    def send(
        self,
        jobs: list[tuple[str, list[str], bytes]],
        pin: list[str],
        settled: Settled | None,
        stop_on_timeout: bool = False,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = [Outcome(DeliveryStatus.BAD_REQUEST)] * len(jobs)
        waiting, idle, running = deque(enumerate(jobs)), list(self.slots), 0
        slot_of, multi = self.slot_of, self.multi
        # Request latencies by outcome class, into the histogram once the batch is sent.
        latencies: dict[str, list[float]] = {"2xx": []}
        try:
            while waiting or running:
                while waiting and idle:
                    # A request started (inline: a call a request was measurable here).
                    slot = idle.pop()
                    slot.index, (url, headers, body) = waiting.popleft()
                    curl = slot.curl
                    mark = slot.mark = slot.body.tell()
                    if mark > 65536:
                        slot.body.seek(0)
                        slot.body.truncate()
                        slot.mark = 0
                    # The address and URL are the batch's: set again only when they change
                    # (libcurl keeps both on the handle, and RESOLVE entries in the multi
                    # handle's DNS cache).
                    if slot.target != (url, pin):
                        curl.setopt(pycurl.URL, url)
                        curl.setopt(pycurl.RESOLVE, pin)
                        slot.target = (url, pin)
                        # Kept with each delivery (which every member of the workspace
                        # reads): masked, once per URL rather than once per request.
                        slot.masked = masked_url(url)
                    curl.setopt(pycurl.HTTPHEADER, headers)
                    curl.setopt(pycurl.POSTFIELDS, body)
                    multi.add_handle(curl)
                    running += 1
                while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
                    pass
                queued = 1
                while queued:
                    queued, done, failed = multi.info_read()
                    finished = []
                    for curl in done:
                        slot = slot_of[curl]
                        outcomes[slot.index] = _answered(slot, latencies)
                        finished.append(slot)
                    for curl, errno, message in failed:
                        slot = slot_of[curl]
                        outcome = outcomes[slot.index] = _network_error(slot, message, latencies)
                        finished.append(slot)
                        if errno == pycurl.E_OPERATION_TIMEDOUT:
                            outcome.timed_out = True
                            while stop_on_timeout and waiting:
                                # The receiver hangs: the batch stops at one time limit and
                                # hands its unsent events back (delivery/lanes.py).
                                index, _ = waiting.popleft()
                                outcomes[index] = deferred_outcome("an earlier request timed out")
                    for slot in finished:
                        multi.remove_handle(slot.curl)
                        idle.append(slot)
                        running -= 1
                        if settled is not None:
                            settled(slot.index, outcomes[slot.index])
                if running and not (waiting and idle):
                    multi.select(1.0)
        finally:
            for outcome_class, seconds in latencies.items():
                observed_together(_latency(outcome_class), seconds)
        return outcomes


_LATENCY: dict[str, Any] = {}


def _latency(outcome: str) -> Any:
    """The latency histogram of one outcome class. Its child, looked up once: `labels()`
    (validation, a lock, a dict) was a tenth of a sending worker's CPU, once per request."""
    child = _LATENCY.get(outcome)
    if child is None:
        child = _LATENCY[outcome] = WEBHOOK_SECONDS.labels(outcome)
    return child


def _answered(slot: _Slot, latencies: dict[str, list[float]]) -> Outcome:
    curl = slot.curl
    code = curl.getinfo(pycurl.RESPONSE_CODE)
    if 200 <= code < 300:
        latencies["2xx"].append(curl.getinfo(pycurl.TOTAL_TIME))
        return DELIVERED
    latencies.setdefault(f"{code // 100}xx", []).append(curl.getinfo(pycurl.TOTAL_TIME))
    request = {"url": slot.masked, "method": "POST", "status": code}
    answer = slot.body.getvalue()[slot.mark : slot.mark + 500]
    message = f"HTTP {code}: {answer.decode(errors='replace')}"
    if http_retryable(code):
        wait = _retry_after(curl) if code in RETRY_AFTER_CODES else None
        return error_outcome("retry", "RetryError", message, requests=[request], retry_after=wait)
    return error_outcome(
        DeliveryStatus.MESSAGE_REJECTED, "WebhookRejected", message, requests=[request]
    )


def _retry_after(handle: pycurl.Curl) -> float | None:
    """The seconds a 429/503 asks to wait (its Retry-After header: delay-seconds or an
    HTTP date, read by libcurl), else None. No header, an unreadable one and a date in the
    past all ask for no wait (libcurl's 0). Reading it from libcurl spares a Python call per
    header line of every answer (a header callback) to find a header only 429/503 use."""
    return float(handle.getinfo(pycurl.RETRY_AFTER)) or None


def _network_error(slot: _Slot, message: str, latencies: dict[str, list[float]]) -> Outcome:
    latencies.setdefault("network_error", []).append(slot.curl.getinfo(pycurl.TOTAL_TIME))
    request = {"url": slot.masked, "method": "POST"}
    return error_outcome("retry", "RetryError", f"network error: {message}", requests=[request])


_sender: tuple[int, _Sender] | None = None


def _current_sender() -> _Sender:
    global _sender
    if _sender is None or _sender[0] != os.getpid():
        _sender = (os.getpid(), _Sender())
    return _sender[1]


def _pinned(url: str) -> list[str]:
    """libcurl RESOLVE entries pinning the URL's host and port to its checked address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"only http(s) URLs may be called: {masked_url(url)}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_blocking(
        parts.hostname, port, allow_private=settings.FUNCTIONS_ALLOW_PRIVATE_FETCH
    )
    host = parts.hostname
    shown = f"[{address}]" if ":" in address else address
    # The removal first: an entry left by an earlier batch is replaced, never kept.
    return [f"-{host}:{port}", f"{host}:{port}:{shown}"]


def _body(event: dict[str, Any]) -> bytes:
    """The event as compact JSON: orjson, or json for what orjson refuses (an integer beyond
    64 bits, a lone surrogate)."""
    try:
        return orjson.dumps(event)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(event, separators=(",", ":")).encode()


def webhook_send(
    *,
    url: str,
    headers: dict[str, str],
    events: list[dict[str, Any]],
    settled: Settled | None = None,
    stop_on_timeout: bool = False,
) -> list[Outcome]:
    """One outcome per event, in order; at most DELIVERY_WEBHOOK_CONCURRENCY at a time.
    `settled(index, outcome)` is called as each answer arrives. `stop_on_timeout`: once a
    request timed out, the events not yet sent are answered `deferred`, unsent."""
    try:
        pin = _pinned(url)
    except BlockedAddress as error:
        return [
            error_outcome(DeliveryStatus.BAD_REQUEST, "BlockedAddress", str(error)) for _ in events
        ]
    except (OSError, ValueError) as error:
        return [error_outcome("retry", "RetryError", str(error)) for _ in events]
    problem = next(filter(None, (header_problem(k, v) for k, v in headers.items())), None)
    if problem is not None:
        return [error_outcome(DeliveryStatus.BAD_REQUEST, "InvalidHeader", problem) for _ in events]
    fixed = [f"{name}: {value}" for name, value in headers.items()]
    fixed.append("Content-Type: application/json")
    outcomes: list[Outcome | None] = []
    jobs, positions = [], []
    for position, event in enumerate(events):
        key = str(event.get("messageId", ""))
        # The name is valid: only the event's value is checked (a regex search, not two).
        problem = header_problem("Idempotency-Key", key) if _LINE_BREAK.search(key) else None
        outcomes.append(
            error_outcome(DeliveryStatus.BAD_REQUEST, "InvalidHeader", problem) if problem else None
        )
        if problem is None:
            try:
                body = orjson.dumps(event)
            except TypeError:  # what orjson refuses: `_body`
                body = _body(event)
            jobs.append((url, [*fixed, f"Idempotency-Key: {key}"], body))
            positions.append(position)
    told = reindexed(settled, positions)
    sender = _current_sender()
    sent = iter(sender.send(jobs, pin, told, stop_on_timeout) if jobs else [])
    return [outcome or next(sent) for outcome in outcomes]
