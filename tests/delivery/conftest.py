"""Real services for the pipeline tests: PostgreSQL, Redis, `celery -A workspace worker`
subprocesses on the test database, and a local webhook receiver."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.db import connection

from workspace.infra import secrets

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = Fernet.generate_key().decode()
FAST_PIPELINE = {
    "DELIVERY_RETRY_BASE_SECONDS": "1",
    "DELIVERY_LEASE_SECONDS": "4",
    "DELIVERY_OUTBOX_REDISPATCH_SECONDS": "3",
    "DELIVERY_SWEEP_SECONDS": "0.5",
    "DELIVERY_BATCH_WAIT_SECONDS": "2",
}


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_services() -> None:
    """Skip (fail in CI) unless PostgreSQL and Redis are what this run uses."""
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if not os.environ.get("REDIS_URL") or not port_open("127.0.0.1", 6379):
        missing.append("Redis (set REDIS_URL)")
    if missing:
        unavailable("pipeline tests need " + " and ".join(missing))


def unavailable(message: str) -> NoReturn:
    """What a test needs (a service, a tool) is missing: a skip on a developer's machine, a
    failure in CI (CI=true), where all of it must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def service_env(**extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        FUNCTIONS_ENCRYPTION_KEYS=TEST_KEY,
        FUNCTIONS_ALLOW_PRIVATE_FETCH="1",
        PYTHONUNBUFFERED="1",
        **FAST_PIPELINE,
    )
    env.update(extra)
    return env


class Worker:
    """`celery -A workspace worker -B` on the test database, in its own process group."""

    def __init__(self, tmp: Path, *, hostname: str = "", beat: bool = True, **env: str) -> None:
        self.log = tmp / f"worker-{time.monotonic_ns()}.log"
        name = ["-n", hostname] if hostname else []
        embedded_beat = ["-B", "-s", str(tmp / f"beat-{time.monotonic_ns()}")] if beat else []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workspace",
                "worker",
                *embedded_beat,
                *name,
                "-l",
                "info",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=service_env(**env),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while "ready." not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """kill -9 of the worker and its pool children, mid-task."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def pipeline_settings(settings):
    """The test process talks to the same database, broker and keys as its workers."""
    require_services()
    settings.FUNCTIONS_ENCRYPTION_KEYS = [TEST_KEY]
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    for name, value in FAST_PIPELINE.items():
        setattr(settings, name, float(value) if "." in value else int(value))
    secrets.reset_keys()
    return settings


@pytest.fixture
def start_worker(pipeline_settings, tmp_path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(*, hostname: str = "", beat: bool = True, **env: str) -> Worker:
        workers.append(Worker(tmp_path, hostname=hostname, beat=beat, **env))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def worker(start_worker) -> Worker:
    return start_worker()


class Receiver:
    """A webhook receiver: `/ok` answers 200, `/status/<code>` that code, `/slow` 200 after
    50 ms, `/redirect` a 307 to `/ok`; every request is kept."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        # Called first with (handler, body); answering True ends the request unanswered.
        self.on_request: Callable[[Any, bytes], bool] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.on_request is not None and receiver.on_request(self, body):
                    return
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "json": json.loads(body or b"null"),
                        }
                    )
                if self.path == "/slow":
                    time.sleep(0.05)
                code = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/status/") else 200
                if self.path == "/redirect":
                    code = 307
                self.send_response(code)
                if code == 307:
                    self.send_header("Location", "/ok")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[Any]:
        with self.lock:
            return [r["json"] for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


@pytest.fixture
def postgres_fan_out():
    """The fan-out's PostgreSQL paths (the routing stamp, one-round-trip writes, one write
    per event), with the worker's routing cache empty."""
    from delivery.ingest import outbox

    if connection.vendor != "postgresql":
        pytest.skip("the fan-out's routing stamp and one-write path are PostgreSQL's")
    outbox._ROUTING.clear()


__all__ = ["Receiver", "Worker", "django_settings", "free_port", "wait_for"]
