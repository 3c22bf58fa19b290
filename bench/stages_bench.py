"""CPU per event of each stage of the pipeline, measured one stage at a time in this process,
so that a step on one stage can be read without the end-to-end run's noise (on this machine
the same code moves by 10-20% from one pipeline run to the next). Prints ONE JSON object.

- **web**: the tracking API's WSGI application (middleware included, no HTTP server) takes
  `/v1/batch` requests of 500 and of 100 events: this process's CPU per event, and its
  PostgreSQL backend's (from /proc/<pid>/schedstat). The tasks it publishes go to the
  bench's own Redis db, emptied after.
- **worker**: the worker's task body (`outbox_entry_deliver`: the fan-out, the insert
  function in V8, one webhook POST per event to bench/webhook_receiver.py, each row written
  once with its outcome) on the entries the web stage accepted: this process's CPU per
  event, its backend's and the receiver's. Every event must reach the receiver once.

Each stage runs STAGES_BENCH_ROUNDS times (3); the figures are the median round's, every
round listed. Needs DATABASE_URL (PostgreSQL) and REDIS_URL; uses its own database."""

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from pipeline_bench import INSERT_CODE, bench_env, request_bodies, wait_port

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("STAGES_BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("STAGES_BENCH_REQUESTS", "40"))
BENCH_DB = os.environ.get("FUNCTIONS_BENCH_DB", "functions_bench") + "_stages"


def environment_prepare() -> None:
    os.environ.update(bench_env(BENCH_DB))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    sys.path.insert(0, str(ROOT))


def pipeline_create(receiver_url: str) -> str:
    """The bench's source, its webhook to the receiver behind an insert function; the
    source's write key."""
    from delivery.services import destination_create, insert_instance_create, source_create
    from functions.services import function_create
    from workspace.audit import SYSTEM
    from workspace.models import Workspace

    workspace = Workspace.objects.create(slug="bench", name="Bench")
    source = source_create(workspace=workspace, actor=SYSTEM, name="bench")
    hook = destination_create(
        kind="webhook",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        name="receiver",
        settings={"url": receiver_url},
    )
    function = function_create(
        workspace=workspace,
        actor=SYSTEM,
        resource_type="INSERT_DESTINATION",
        display_name="enrich",
        code=INSERT_CODE,
        settings_schema=[],
    )
    insert_instance_create(
        function=function, destination=hook, actor=SYSTEM, name="enrich", settings={}
    )
    return str(source.write_key)


def on_cpu_seconds(pid: int) -> float:
    """Time the process has spent on a CPU (nanoseconds in /proc/<pid>/schedstat)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def backend_pid() -> int:
    from django.db import connection

    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)


class Web:
    """The tracking API's WSGI application, called as a server would call it."""

    def __init__(self, write_key: str) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()
        self.auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()

    def post(self, body: bytes) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/v1/batch",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": self.auth,
        }
        status: list[str] = []
        b"".join(self.app(environ, lambda line, headers: status.append(line)))
        if not status[0].startswith("200"):
            raise RuntimeError(f"the tracking API answered {status[0]}")


def web_round(web: Web, tag: str, per_request: int) -> dict[str, float]:
    bodies = [request_bodies(f"{tag}-{r}", per_request, per_request)[0] for r in range(REQUESTS)]
    pid = backend_pid()
    own, backend = time.process_time(), on_cpu_seconds(pid)
    for body in bodies:
        web.post(body)
    events = REQUESTS * per_request
    return {
        "cpu_us_per_event": round((time.process_time() - own) * 1e6 / events, 2),
        "backend_us_per_event": round((on_cpu_seconds(pid) - backend) * 1e6 / events, 2),
    }


def worker_round(receiver: subprocess.Popen, hook_port: int) -> dict[str, float]:
    """Delivers every entry the web stage left unprocessed."""
    from delivery.attempts import outbox_entry_deliver
    from delivery.models import OutboxEntry

    entries = list(
        OutboxEntry.objects.filter(processed_at__isnull=True)
        .order_by("created_at")
        .values_list("id", flat=True)
    )
    before = received(hook_port)
    pid = backend_pid()
    own, backend = time.process_time(), on_cpu_seconds(pid)
    peer = on_cpu_seconds(receiver.pid)
    events = sum(outbox_entry_deliver(entry_id=entry) for entry in entries)
    figures = {
        "cpu_us_per_event": round((time.process_time() - own) * 1e6 / events, 2),
        "backend_us_per_event": round((on_cpu_seconds(pid) - backend) * 1e6 / events, 2),
        "receiver_us_per_event": round((on_cpu_seconds(receiver.pid) - peer) * 1e6 / events, 2),
    }
    if received(hook_port) - before != events:
        raise RuntimeError("the receiver did not get every event once")
    return figures


def received(hook_port: int) -> int:
    counts = httpx.get(f"http://127.0.0.1:{hook_port}/count", timeout=10).json()
    if counts["posts"] != counts["unique"] or counts["key_mismatches"]:
        raise RuntimeError(f"the receiver got an event twice or a wrong key: {counts}")
    return int(counts["unique"])


def median_round(rounds: list[dict[str, float]]) -> dict[str, Any]:
    ranked = sorted(rounds, key=lambda figures: figures["cpu_us_per_event"])
    return {**ranked[len(ranked) // 2], "rounds": rounds}


def main() -> None:
    environment_prepare()
    import django

    django.setup()
    from django.core.management import call_command
    from redis import Redis

    call_command("migrate", verbosity=0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        hook_port = int(sock.getsockname()[1])
    receiver = subprocess.Popen(
        [sys.executable, "bench/webhook_receiver.py", str(hook_port)], cwd=ROOT
    )
    broker = Redis.from_url(os.environ["REDIS_URL"])
    try:
        wait_port(hook_port)
        web = Web(pipeline_create(f"http://127.0.0.1:{hook_port}/hook"))
        web_round(web, "warm", 100)
        worker_round(receiver, hook_port)
        web_500, web_100, worker = [], [], []
        for round_ in range(ROUNDS):
            web_100.append(web_round(web, f"r{round_}-100", 100))
            worker_round(receiver, hook_port)  # not measured: 100-event entries
            web_500.append(web_round(web, f"r{round_}-500", 500))
            worker.append(worker_round(receiver, hook_port))
            broker.flushdb()
    finally:
        receiver.terminate()
        receiver.wait(10)
        broker.flushdb()
    print(
        json.dumps(
            {
                "web_500_per_request": median_round(web_500),
                "web_100_per_request": median_round(web_100),
                "worker_500_per_entry": median_round(worker),
                "rounds": ROUNDS,
                "requests_per_round": REQUESTS,
            }
        )
    )


if __name__ == "__main__":
    main()
