"""fetch() carried out in Python: SSRF checks, pinned connections, redirects, caps."""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib.util
import ssl
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from functions.runtime.config import RuntimeConfig
from workspace.infra.addresses import BlockedAddress, NameNotResolved, canonical_ipv4, resolve

REDIRECT_CODES = {301, 302, 303, 307, 308}
USER_AGENT = "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"
# Dropped when a redirect leaves the origin, as node-fetch does.
CREDENTIAL_HEADERS = {"authorization", "cookie", "www-authenticate"}


class FetchFailure(Exception):
    def __init__(self, message: str, kind: str = "system", code: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


@dataclass
class Hop:
    method: str
    url: httpx.URL
    headers: list[tuple[str, str]]
    body: bytes | None
    # The request target and Host header as Node's http module sends them for node-fetch
    # (computed by the JS side from node-fetch's own URL parsing); None after a redirect.
    target: bytes | None = None
    host: str | None = None


@functools.cache
def _remember_missing_sniffio() -> None:
    """httpcore runs `import sniffio` on every request and lock; when the package is not
    installed, each failed import searches sys.path again (~0.2 ms: ~200 ms of CPU for
    a batch of 100 fetches). Record the absence once, as the import system would for a
    module it found."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~20 ms: once per process, shared by every client.
    return httpx.create_ssl_context(trust_env=False)


# (scheme, host name, port, pinned address): what a kept-alive connection is reused for.
OriginKey = tuple[str, str, int, str]


class FetchSession:
    """The network side of one run: resolved addresses and keep-alive connections.

    Both live only as long as the run (one function version and its settings). A
    name is resolved and checked once per run (concurrent fetches share the lookup)
    and every connection is pinned to that checked address. Connections are pooled
    per (scheme, host name, port, address): one opened for host A never carries a
    request for host B that shares its address, and nothing outlives the run.
    """

    def __init__(self, config: RuntimeConfig) -> None:
        _remember_missing_sniffio()
        self.config = config
        self._addresses: dict[tuple[str, int], asyncio.Future[str]] = {}
        self._clients: list[httpx.AsyncClient] = []
        self._idle: dict[OriginKey, list[httpx.AsyncClient]] = {}

    async def address(self, host: str, port: int) -> str:
        lookup = self._addresses.get((host, port))
        if lookup is None:
            lookup = asyncio.ensure_future(
                resolve(host, port, allow_private=self.config.allow_private_fetch)
            )
            # Retrieved here so a lookup whose fetches were all cancelled logs nothing.
            lookup.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._addresses[(host, port)] = lookup
        # A fetch that times out must not cancel the lookup other fetches share.
        return await asyncio.shield(lookup)

    def checkout(self, key: OriginKey) -> httpx.AsyncClient:
        """A client holding at most one (kept-alive) connection to this origin.

        One connection per client, handed to one request at a time: httpx's own pool
        rescans every connection for every request, which costs more CPU than the
        requests themselves once a batch has 20 of them in flight.
        """
        idle = self._idle.get(key)
        if idle:
            return idle.pop()
        config = self.config
        timeout = httpx.Timeout(
            connect=config.connect_timeout_s, read=config.read_timeout_s, write=10.0, pool=10.0
        )
        client = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=False,
            trust_env=False,
            verify=_ssl_context(),
        )
        self._clients.append(client)
        return client

    def checkin(self, key: OriginKey, client: httpx.AsyncClient) -> None:
        """Give back a client whose response was read and closed."""
        self._idle.setdefault(key, []).append(client)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        self._idle.clear()
        self._addresses.clear()
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


# What the trace keeps of each request and response (the product's tester shows them).
TRACE_BODY_BYTES = 2048
TRACE_HEADER_CHARS = 1024
SECRET_HEADERS = frozenset({"x-api-key", "api-key", "x-auth-token", "set-cookie"})


def trace_url(url: httpx.URL) -> str:
    """The URL as recorded in the trace: never the user:password part."""
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


async def _send_pinned(
    session: FetchSession, hop: Hop
) -> tuple[httpx.Response, Callable[[], None]]:
    """The response (streamed) and a callback that frees its connection once closed."""
    if hop.url.scheme not in ("http", "https"):
        raise FetchFailure(f"Only http(s) URLs are supported, not {hop.url.scheme}:", "system")
    # The ASCII host as sent (punycode for an IDN host): httpx's `host` is its Unicode
    # form, which the resolver would re-encode under IDNA 2003 (`faß.de` as `fass.de`).
    host = hop.url.raw_host.decode("ascii")
    port = hop.url.port or (443 if hop.url.scheme == "https" else 80)
    address = await session.address(host, port)
    headers = [(k, v) for k, v in hop.headers if k.lower() != "host"]
    headers.append(("host", hop.host or hop.url.netloc.decode("ascii").rpartition("@")[2]))
    extensions: dict[str, Any] = {"sni_hostname": host} if hop.url.scheme == "https" else {}
    if hop.target is not None:
        # Sent byte for byte: httpx would re-quote some characters of its own URL's path.
        extensions["target"] = hop.target
    pinned = hop.url.copy_with(host=address, username=None, password=None)
    key = (hop.url.scheme, host, port, address)
    client = session.checkout(key)
    request = client.build_request(
        hop.method, pinned, headers=headers, content=hop.body, extensions=extensions
    )
    # A client whose request failed is not reused (it is closed with the session).
    response = await client.send(request, stream=True)
    return response, lambda: session.checkin(key, client)


# Decompressed bytes produced per step: what one fetch holds beyond its body so far.
INFLATE_STEP = 256 * 1024


class _Inflate:
    """One gzip or deflate stage."""

    def __init__(self, encoding: str) -> None:
        self.gzip = encoding in ("gzip", "x-gzip")
        self.first = True
        self.zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if self.gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        """At most INFLATE_STEP bytes of output, and the input left for the next step."""
        try:
            out = self.zlib.decompress(data, INFLATE_STEP)
        except zlib.error:
            if self.gzip or not self.first:
                raise
            # "deflate" is often sent raw, without the zlib header (httpx does the same).
            self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.zlib.decompress(data, INFLATE_STEP)
        self.first = False
        return out, self.zlib.unconsumed_tail


def _decoders(response: httpx.Response) -> list[_Inflate]:
    encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    if any(e not in ("gzip", "x-gzip", "deflate", "identity", "") for e in encodings):
        # An encoding we cannot decode (br, zstd) reaches the function as sent.
        return []
    return [_Inflate(e) for e in reversed(encodings) if e not in ("identity", "")]


def _inflated(decoders: list[_Inflate], data: bytes) -> Iterator[bytes]:
    """`data` decoded through every stage, lazily, in pieces of at most INFLATE_STEP."""
    if not decoders:
        yield data
        return
    while data:
        out, data = decoders[0].feed(data)
        yield from _inflated(decoders[1:], out)


async def _read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    """The decoded body; decoding stops as soon as it grows past `limit`, so a
    compression bomb never inflates beyond it."""
    decoders = _decoders(response)
    chunks: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            for piece in _inflated(decoders, raw):
                size += len(piece)
                if size > limit:
                    raise FetchFailure(f"content size at {url} over limit: {limit}", "max-size")
                chunks.append(piece)
    except zlib.error as exc:
        raise FetchFailure(
            f"invalid response body at: {url} reason: {exc}", "system", "Z_DATA_ERROR"
        ) from exc
    return b"".join(chunks)


# What Node's url.parse escapes wherever it appears in a path or query (its
# autoEscapeChars): node-fetch 2.7 parses a redirect's URL with it too.
_NODE_AUTO_ESCAPE = {c: f"%{ord(c):02X}" for c in "\t\n\v\f\r \"'<>\\^`{|}"}


def _node_target(url: httpx.URL) -> bytes:
    """The request target of a redirect hop, escaped as Node's url.parse would."""
    raw = url.raw_path.decode("ascii")
    return "".join(_NODE_AUTO_ESCAPE.get(c, c) for c in raw).encode("ascii")


def _location(response: httpx.Response) -> str:
    """The Location header as Node's http module reads it: bytes as latin-1 characters."""
    for name, value in response.headers.raw:
        if name.lower() == b"location":
            return value.decode("latin-1")
    return ""


def _next_hop(hop: Hop, response: httpx.Response) -> Hop:
    location = _location(response)
    # Before the query, a backslash is a slash in an http(s) URL (WHATWG and url.parse).
    end = min((i for i in (location.find("?"), location.find("#")) if i != -1), default=None)
    location = location[:end].replace("\\", "/") + (location[end:] if end is not None else "")
    target = hop.url.join(location)
    ipv4 = canonical_ipv4(target.host)
    if ipv4 is not None and ipv4 != target.host:
        target = target.copy_with(host=ipv4)
    method, body = hop.method, hop.body
    headers = hop.headers
    if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
        # node-fetch 2.x drops only the body and its Content-Length (Content-Type stays).
        method, body = "GET", None
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    if (target.scheme, target.host, target.port) != (hop.url.scheme, hop.url.host, hop.url.port):
        # Stricter than node-fetch 2.7, which keeps credentials for the same host on
        # another port and for its subdomains.
        headers = [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]
    return Hop(method, target, headers, body, _node_target(target))


def _initial_hop(spec: dict[str, Any]) -> Hop:
    headers = [(str(k), str(v)) for k, v in spec.get("headers") or []]
    if not any(k.lower() == "user-agent" for k, _ in headers):
        headers.append(("user-agent", USER_AGENT))
    if not any(k.lower() == "accept" for k, _ in headers):
        headers.append(("accept", "*/*"))
    body = base64.b64decode(spec["body"]) if spec.get("body") is not None else None
    try:
        url = httpx.URL(str(spec["url"]))
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchFailure(f"Invalid URL: {exc}", "system") from exc
    if url.scheme not in ("http", "https"):
        raise FetchFailure(f"Only http(s) URLs are supported, not {url.scheme}:", "system")
    if not url.host:
        raise FetchFailure("Only absolute URLs are supported", "system")
    target = _request_target(spec.get("target"))
    host = spec.get("host")
    host = host if isinstance(host, str) and host and _printable_ascii(host) else None
    return Hop(str(spec.get("method") or "GET").upper(), url, headers, body, target, host)


def _printable_ascii(text: str) -> bool:
    return all("\x21" <= c <= "\x7e" for c in text)


def _request_target(raw: Any) -> bytes | None:
    """The origin-form target the JS side computed: "/" and printable ASCII only (Node's
    http module refuses anything else), or None to let httpx derive it from the URL."""
    if not isinstance(raw, str) or not raw.startswith("/") or not _printable_ascii(raw):
        return None
    return raw.encode("ascii")


async def _follow(
    session: FetchSession, spec: dict[str, Any], redirected_to: list[str]
) -> dict[str, Any]:
    """Send the request and follow its redirects; `redirected_to` holds the URL of the
    latest redirect (node-fetch reports a later failure with that URL)."""
    config = session.config
    hop = _initial_hop(spec)
    limit = min(int(spec.get("size") or 0) or config.max_response_bytes, config.max_response_bytes)
    mode, hops_left = spec.get("redirect") or "follow", int(spec.get("follow", 20))
    redirected = False
    while True:
        response, release = await _send_pinned(session, hop)
        reusable = False
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_CODES and location and mode != "manual":
                if mode == "error":
                    message = (
                        "uri requested responds with a redirect, redirect mode is set to error"
                    )
                    raise FetchFailure(f"{message}: {hop.url}", "no-redirect")
                if hops_left <= 0:
                    raise FetchFailure(f"maximum redirect reached at: {hop.url}", "max-redirect")
                hops_left -= 1
                hop, redirected = _next_hop(hop, response), True
                redirected_to[:] = [str(hop.url)]
                reusable = True
                continue
            body = await _read_capped(response, limit, trace_url(hop.url))
            reusable = True
        finally:
            await response.aclose()
            # After a failure (size cap, timeout) the client is left to the session's
            # close, never handed to another request.
            if reusable:
                release()
        return {
            "status": response.status_code,
            "statusText": response.reason_phrase,
            "headers": [
                [k.decode("latin-1"), v.decode("latin-1")] for k, v in response.headers.raw
            ],
            "body": base64.b64encode(body).decode("ascii"),
            "url": str(hop.url),
            "redirected": redirected,
        }


def _failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, FetchFailure):
        return {"message": str(exc), "type": exc.kind, "code": exc.code}
    if isinstance(exc, BlockedAddress):
        return {"message": str(exc), "type": "system", "code": "EBLOCKED"}
    if isinstance(exc, NameNotResolved):
        return {"message": str(exc), "type": "system", "code": "ENOTFOUND"}
    if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError):
        return {"message": "network timeout", "type": "request-timeout", "code": "ETIMEDOUT"}
    if isinstance(exc, httpx.RemoteProtocolError) and "disconnected" in str(exc):
        # Node's wording for a connection closed before any response.
        return {"message": "socket hang up", "type": "system", "code": "ECONNRESET"}
    return {"message": str(exc) or type(exc).__name__, "type": "system", "code": "ECONNREFUSED"}


async def perform_fetch(
    session: FetchSession, spec: dict[str, Any], budget_s: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run one fetch; returns the resolution for JS and the trace entry."""
    started = time.perf_counter()
    redirected_to: list[str] = []
    try:
        timeout = _timeout_s(spec.get("timeout"), budget_s)
        result = await asyncio.wait_for(_follow(session, spec, redirected_to), max(timeout, 0.001))
        resolution: dict[str, Any] = {"id": spec["id"], **result}
        status: int | None = result["status"]
        error = None
    except Exception as exc:  # every failure becomes a FetchError in JS
        resolution = {"id": spec["id"], "error": _failure(exc)}
        if redirected_to:
            resolution["error"]["url"] = redirected_to[0]
        status, error = None, resolution["error"]["message"]
    trace: dict[str, Any] = {
        "method": str(spec.get("method") or "GET").upper(),
        "url": _safe_trace_url(spec.get("url")),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "request": _trace_message(spec.get("headers") or [], spec.get("body")),
    }
    if error:
        trace["error"] = error
    else:
        trace["response"] = _trace_message(resolution["headers"], resolution["body"])
    return resolution, trace


def _trace_message(headers: Any, body_b64: Any) -> dict[str, Any]:
    """Headers and the start of the body, for the test runner and Event Delivery: credential
    headers masked whatever they hold; secret settings are redacted from all of it after the
    run (`redaction.redact_run`)."""
    shown = []
    for pair in headers if isinstance(headers, list) else []:
        name, value = (str(pair[0]), str(pair[1])) if len(pair) == 2 else ("", "")
        masked = name.lower() in CREDENTIAL_HEADERS or name.lower() in SECRET_HEADERS
        shown.append([name, "[redacted]" if masked else value[:TRACE_HEADER_CHARS]])
    body = base64.b64decode(body_b64) if isinstance(body_b64, str) and body_b64 else b""
    text = body[: TRACE_BODY_BYTES + 4].decode("utf-8", "replace")
    message: dict[str, Any] = {"headers": shown, "body": text[:TRACE_BODY_BYTES]}
    if len(body) > TRACE_BODY_BYTES:
        message["bodyTruncated"] = len(body)
    return message


def _timeout_s(raw: Any, budget_s: float) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 < raw < float("inf"):
        return min(budget_s, raw / 1000)
    return budget_s


def _safe_trace_url(raw: Any) -> str:
    try:
        return trace_url(httpx.URL(str(raw)))
    except Exception:
        return "(invalid URL)"
