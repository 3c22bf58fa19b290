"""PostgreSQL restarted under the pipeline, on an instance this module starts itself (initdb
and pg_ctl into a temporary directory on a free port, as the postgres user when the tests
run as root): never the shared one. A runserver and a real worker use it; Redis is the
run's own database on the shared server (nothing here stops Redis)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.delivery.conftest import (
    ROOT,
    free_port,
    port_open,
    service_env,
    unavailable,
    wait_for,
)
from tests.delivery.helpers import basic, track

pytestmark = [pytest.mark.services, pytest.mark.slow]

BIN = Path("/usr/lib/postgresql/15/bin")


class OwnPostgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="functions-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/functions"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "functions"
        )

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(BIN / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.dir,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """As a crash: no shutdown checkpoint, unflushed WAL of asynchronous commits lost."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    if not (BIN / "initdb").exists():
        unavailable(f"PostgreSQL 15's server binaries are missing in {BIN}")
    server = OwnPostgres()
    try:
        env = dict(os.environ, DATABASE_URL=server.url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        yield server
    finally:
        server.remove()


SEED = """
import json, uuid
from tests.factories import WorkspaceFactory, source_factory, webhook_factory
source = source_factory(WorkspaceFactory(slug="pg-" + uuid.uuid4().hex[:12]))
hook = webhook_factory(source, {url!r})
print(json.dumps({{"write_key": source.write_key, "destination": hook.pk}}))
"""


def _seed(server: OwnPostgres, url: str) -> dict[str, str]:
    """A workspace, source and webhook in the instance's database."""
    env = service_env(DATABASE_URL=server.url)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED.format(url=url)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture
def own_web(own_postgres, pipeline_settings, tmp_path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=service_env(DATABASE_URL=own_postgres.url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: port_open("127.0.0.1", port), 20, "runserver")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def _deliveries(server: OwnPostgres, destination: str) -> dict[str, str]:
    rows = server.query(
        "SELECT message_id, status FROM delivery_eventdelivery WHERE destination_id = %s",
        destination,
    )
    return dict(rows)


def _wait_delivered(server: OwnPostgres, destination: str, ids: set[str], timeout: float) -> None:
    def done() -> bool:
        statuses = _deliveries(server, destination)
        return all(statuses.get(m) == "delivered" for m in ids)

    wait_for(done, timeout, "every accepted event delivered")


def _posts(receiver: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for body in receiver.bodies("/ok"):
        counts[body["messageId"]] = counts.get(body["messageId"], 0) + 1
    return counts


def _arrivals_kept(receiver: Any, pause: float = 0.0) -> dict[str, list[float]]:
    arrivals: dict[str, list[float]] = {}

    def kept(handler, body: bytes) -> bool:
        arrivals.setdefault(json.loads(body)["messageId"], []).append(time.monotonic())
        time.sleep(pause)
        return False

    receiver.on_request = kept
    return arrivals


def _in_doubt(arrivals: dict[str, list[float]], stopped: float, restarted: float) -> set[str]:
    """Requests on the wire when PostgreSQL went away, or answered while it was away (their
    outcome could not be recorded), or recorded by a commit it lost."""
    return {m for m, times in arrivals.items() if stopped - 1.0 <= times[0] <= restarted}


def test_postgres_restart_during_ingest_answers_503_json_and_stores_nothing_half(
    own_postgres, own_web, start_worker, receiver
):
    seeded = _seed(own_postgres, f"{receiver.url}/ok")
    start_worker(DATABASE_URL=own_postgres.url)
    arrivals = _arrivals_kept(receiver)
    auth = {"Authorization": basic(seeded["write_key"])["HTTP_AUTHORIZATION"]}
    answers: dict[str, tuple[int, str, Any]] = {}
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                message_id = str(uuid.uuid4())
                event = track(1, messageId=message_id)[0]
                try:
                    response = http.post(f"{own_web}/v1/track", json=event, headers=auth)
                    body = response.json() if "json" in response.headers["content-type"] else None
                    answers[message_id] = (
                        response.status_code,
                        response.headers["content-type"],
                        body,
                    )
                except httpx.HTTPError as error:
                    answers[message_id] = (0, "", str(error))
                time.sleep(0.02)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        time.sleep(1.5)
        stopped = time.monotonic()
        own_postgres.stop()
        time.sleep(3)
        own_postgres.start()
        restarted = time.monotonic()
        time.sleep(3)
    finally:
        stop.set()
        sender.join(30)
    codes = [code for code, _, _ in answers.values()]
    assert set(codes) <= {200, 503}, sorted(set(codes))
    refused = {m for m, (code, _, _) in answers.items() if code == 503}
    accepted = {m for m, (code, _, _) in answers.items() if code == 200}
    assert refused, "the outage was not seen by ingest"
    assert accepted
    for code, content_type, body in answers.values():
        if code == 503:
            assert content_type == "application/json"
            assert body["code"] == "unavailable"
            assert body["errors"][0]["type"] == "unavailable"
    _wait_delivered(own_postgres, seeded["destination"], accepted, timeout=60)
    stored = set(_deliveries(own_postgres, seeded["destination"]))
    # A 503 may answer a commit that PostgreSQL made just before it went away (in doubt):
    # then its event is stored and delivered whole; nothing is ever stored in part.
    in_doubt = stored - accepted
    assert len(in_doubt) <= 1, in_doubt
    assert accepted <= stored
    [(entries,)] = own_postgres.query("SELECT count(*) FROM delivery_outboxentry")
    assert entries == len(stored)
    _wait_delivered(own_postgres, seeded["destination"], stored, timeout=10)
    posts = _posts(receiver)
    assert set(posts) == stored
    # Delivery went on meanwhile: only its requests in doubt may have been sent twice.
    duplicated = {m for m, n in posts.items() if n > 1}
    assert duplicated <= _in_doubt(arrivals, stopped, restarted)
    assert all(n <= 2 for n in posts.values())
    print(
        f"postgres restart at ingest: {len(accepted)} accepted, {len(refused)} refused "
        f"with the 503 JSON, {len(in_doubt)} stored in doubt, {len(duplicated)} duplicates"
    )


def test_postgres_restart_during_delivery_duplicates_only_the_in_doubt_requests(
    own_postgres, own_web, start_worker, receiver
):
    seeded = _seed(own_postgres, f"{receiver.url}/ok")
    start_worker(
        DATABASE_URL=own_postgres.url,
        DELIVERY_WEBHOOK_CONCURRENCY="2",
        DELIVERY_RECORD_EVERY_SECONDS="0",
    )
    arrivals = _arrivals_kept(receiver, pause=0.05)
    auth = {"Authorization": basic(seeded["write_key"])["HTTP_AUTHORIZATION"]}
    events = [dict(e, messageId=f"db-{i}") for i, e in enumerate(track(300))]
    for start in range(0, 300, 100):
        response = httpx.post(
            f"{own_web}/v1/batch", json={"batch": events[start : start + 100]}, headers=auth
        )
        assert response.status_code == 200
    wait_for(lambda: len(arrivals) >= 60, 30, "delivery under way")
    stopped = time.monotonic()
    own_postgres.stop()
    time.sleep(3)
    own_postgres.start()
    restarted = time.monotonic()
    ids = {e["messageId"] for e in events}
    _wait_delivered(own_postgres, seeded["destination"], ids, timeout=90)
    recovered = time.monotonic() - restarted
    posts = _posts(receiver)
    assert set(posts) == ids
    duplicated = {m for m, n in posts.items() if n > 1}
    in_doubt = _in_doubt(arrivals, stopped, restarted)
    assert duplicated <= in_doubt, sorted(duplicated - in_doubt)
    assert all(n <= 2 for n in posts.values())
    print(
        f"postgres restart at delivery: all delivered {recovered:.1f} s after the restart; "
        f"{len(duplicated)} duplicates, {len(in_doubt)} requests in doubt"
    )
