"""Ingest under 16 concurrent clients: the production server (gunicorn, deploy/gunicorn.conf.py)
against Django's runserver, on the same PostgreSQL and Redis; then gunicorn again while ledger
retention deletes old rows, to show ingest is not held up by it. Prints ONE JSON object.

Clients are threads of this process sharing the machine's cores with the server, so the
figures are lower bounds of what the server can take; both servers get the same clients."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
from pipeline_bench import ROOT, bench_env, free_port, wait_port

CLIENTS = 16
SECONDS = float(os.environ.get("SERVER_BENCH_SECONDS", "8"))
EVENTS_PER_REQUEST = 20
OLD_ROWS = int(os.environ.get("SERVER_BENCH_OLD_ROWS", "200000"))


def _setup(env: dict[str, str]) -> tuple[str, str]:
    """The bench source's write key, and a disabled webhook destination for old rows."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from delivery.services import source_create\n"
        "from workspace.audit import SYSTEM\n"
        "from workspace.models import Workspace\n"
        "ws = Workspace.objects.create(slug='bench', name='Bench')\n"
        "from delivery.services import destination_create_webhook\n"
        "src = source_create(workspace=ws, actor=SYSTEM, name='bench')\n"
        "hook = destination_create_webhook(workspace=ws, actor=SYSTEM, source=src, name='old',"
        " enabled=False, settings={'url': 'https://example.com/in'})\n"
        "print(src.write_key, hook.pk)\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key, destination = done.stdout.strip().splitlines()[-1].split()
    return key, destination


def _body(n: int) -> bytes:
    batch = [
        {"type": "track", "event": "Bench", "userId": f"u{n}-{i}", "properties": {"i": i}}
        for i in range(EVENTS_PER_REQUEST)
    ]
    return json.dumps({"batch": batch}).encode()


def _load(url: str, write_key: str) -> dict[str, float]:
    stop = time.monotonic() + SECONDS
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(n: int) -> None:
        body = _body(n)
        with httpx.Client(auth=(write_key, ""), timeout=30) as http:
            while time.monotonic() < stop:
                began = time.perf_counter()
                response = http.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                took = time.perf_counter() - began
                with lock:
                    if response.status_code == 200:
                        latencies.append(took)
                    else:
                        errors[0] += 1

    began = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "events_per_s": round(len(latencies) * EVENTS_PER_REQUEST / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1)
        if latencies
        else None,
        "errors": errors[0],
    }


def _serve(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_port(port, 60)
    time.sleep(2)
    return process


def _measure(start: Callable[[int], subprocess.Popen[bytes]], key: str) -> dict[str, float]:
    port = free_port()
    process = start(port)
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        return _load(f"http://127.0.0.1:{port}/v1/batch", key)
    finally:
        process.terminate()
        process.wait(30)


def _old_rows(env: dict[str, str], destination: str) -> None:
    """OLD_ROWS delivered rows from 30 days ago, for retention to delete during the load."""
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        db.execute(
            "INSERT INTO delivery_eventdelivery (workspace_id, destination_id, message_id, "
            "event_type, event, status, error_type, error_message, attempts, logs, requests, "
            "received_at, lease_token, created_at, updated_at) "
            "SELECT d.workspace_id, d.id, 'old-' || g, 'track', '{}'::jsonb, 'delivered', '',"
            " '', 1, '[]'::jsonb, '[]'::jsonb, now() - interval '30 days', '', "
            "now() - interval '30 days', now() - interval '30 days' "
            "FROM delivery_destination d, generate_series(1, %s) g WHERE d.id = %s",
            [OLD_ROWS, destination],
        )


def _ledger_rows(env: dict[str, str]) -> int:
    with psycopg.connect(env["DATABASE_URL"]) as db:
        return int(db.execute("SELECT count(*) FROM delivery_eventdelivery").fetchone()[0])  # type: ignore[index]


def main() -> None:
    env = dict(bench_env(), LOG_LEVEL="WARNING", DJANGO_SECRET_KEY="bench-only-secret-key")
    key, destination = _setup(env)
    py = sys.executable

    def runserver(port: int) -> subprocess.Popen[bytes]:
        return _serve([py, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env, port)

    def gunicorn(port: int) -> subprocess.Popen[bytes]:
        argv = [py, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "workspace.wsgi"]
        return _serve(argv, dict(env, BIND=f"127.0.0.1:{port}"), port)

    figures: dict[str, object] = {"clients": CLIENTS, "events_per_request": EVENTS_PER_REQUEST}
    figures["runserver"] = _measure(runserver, key)
    figures["gunicorn"] = _measure(gunicorn, key)
    _old_rows(env, destination)
    before = _ledger_rows(env)
    pruner = subprocess.Popen(
        [
            py,
            "manage.py",
            "shell",
            "-c",
            "from delivery.ledger.retention import ledger_prune\n"
            "while ledger_prune(budget_seconds=5).routine: pass",
        ],
        cwd=ROOT,
        env=env,
    )
    figures["gunicorn_while_retention_deletes"] = _measure(gunicorn, key)
    pruner.wait(600)
    figures["retention"] = {"ledger_rows_before": before, "ledger_rows_after": _ledger_rows(env)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
