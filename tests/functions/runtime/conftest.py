"""Fixtures for the runtime tests: a local HTTP server and a short-hand for runs.

These tests need no database; they run the runtime in this process.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from functions.runtime import RunResult, run_function


def run(code: str, events: list[dict[str, Any]] | dict[str, Any], **kwargs: Any) -> RunResult:
    kwargs.setdefault("kind", "insert")
    kwargs.setdefault("settings", {})
    if isinstance(events, dict):
        events = [events]
    return run_function(code=code, events=events, **kwargs)


class _HTTPServer(ThreadingHTTPServer):
    # The default backlog (5) drops SYNs under a burst of concurrent fetches.
    request_queue_size = 128
    daemon_threads = True


class Server:
    def __init__(self) -> None:
        self.hits: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        self.httpd = _HTTPServer(("127.0.0.1", 0), _handler(self))
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@functools.cache
def _compressed(encoding: str, size: int) -> bytes:
    """`size` zero bytes compressed; from 1 MiB up, a bomb built from one compressed
    MiB repeated (after a full flush every MiB compresses the same), without the end
    of the stream: compressing the real thing takes seconds."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else -15)
    mib = 1024 * 1024
    if size < mib:
        return packer.compress(bytes(size)) + packer.flush()
    first = packer.compress(bytes(mib)) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(bytes(mib)) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + again * (size // mib - 1)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            if status in (204, 304):
                body = b""  # a 204 or 304 has no body (a client would read it as garbage)
            self.send_response(status)
            for name, value in (headers or {"content-type": "application/json"}).items():
                # Non-ASCII header values (a Location) go out as their UTF-8 bytes.
                self.send_header(name, value.encode("utf-8").decode("latin-1"))
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            with server.lock:
                server.hits.append(
                    {
                        "method": self.command,
                        "path": url.path,
                        # The request target exactly as on the request line (self.path
                        # has "//" collapsed).
                        "target": self.requestline.split(" ")[1],
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                server.active += 1
                server.max_active = max(server.max_active, server.active)
            try:
                self._route(url.path, query, body)
            finally:
                with server.lock:
                    server.active -= 1

        def _route(self, path: str, query: dict[str, str], body: bytes) -> None:
            if path == "/slow":
                time.sleep(int(query.get("ms", "50")) / 1000)
            if path == "/status":
                return self._reply(int(query["code"]), json.dumps({"code": query["code"]}).encode())
            if path == "/redirect":
                return self._reply(302, b"", {"location": query["to"]})
            if path == "/big":
                return self._reply(200, b"x" * int(query["bytes"]), {"content-type": "text/plain"})
            if path in ("/gzip", "/deflate"):
                # Zeros compress about 1000:1: a small response that inflates to `bytes`.
                body = _compressed(path[1:], int(query["bytes"]))
                return self._reply(200, body, {"content-encoding": path[1:]})
            if path == "/utf8":
                return self._reply(200, "héllo wörld ✓".encode(), {"content-type": "text/plain"})
            if path == "/token":
                return self._reply(200, json.dumps({"token": f"tok-{len(server.hits)}"}).encode())
            echo = {
                "method": self.command,
                "path": path,
                "query": query,
                "body": body.decode("utf-8", "replace"),
                "contentType": self.headers.get("content-type"),
            }
            return self._reply(
                200,
                json.dumps(echo).encode(),
                {"content-type": "application/json", "x-test": "yes"},
            )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A local HTTP server; private fetches are allowed while it runs."""
    monkeypatch.setenv("FUNCTIONS_ALLOW_PRIVATE_FETCH", "1")
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def private_fetch_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUNCTIONS_ALLOW_PRIVATE_FETCH", raising=False)
