"""Ingest under 16 concurrent clients: the production server (gunicorn, deploy/gunicorn.conf.py)
against Django's runserver, on the same PostgreSQL and Redis; then gunicorn alone, while the
unthrottled pruner deletes old rows and while the throttled one (the defaults) does,
alternated SERVER_BENCH_ROUNDS times (the machine is shared), with the rows deleted per
second. Prints ONE JSON object.

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
from typing import Any

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
        "from delivery.services import destination_create\n"
        "src = source_create(workspace=ws, actor=SYSTEM, name='bench')\n"
        "hook = destination_create(kind='webhook', workspace=ws, actor=SYSTEM, source=src,"
        " name='old', enabled=False, settings={'url': 'https://example.com/in'})\n"
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


def _load(
    url: str, write_key: str, window: Callable[[], tuple[float, float]] | None = None
) -> dict[str, Any]:
    """CLIENTS threads post for SECONDS. With `window` (called once the load is over), the
    figures count only requests that ended within the (wall-clock) span it answers: the time
    a pruner was actually deleting."""
    stop = time.monotonic() + SECONDS
    done: list[tuple[float, float]] = []  # (wall-clock end, latency)
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
                        done.append((time.time(), took))
                    else:
                        errors[0] += 1

    began = time.time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    ended = time.time()
    if window:
        start, end = window()
        began, ended = max(began, start), min(ended, end)
    latencies = sorted(took for at, took in done if began <= at <= ended)
    elapsed = max(ended - began, 1e-9)
    return {
        "seconds": round(elapsed, 1),
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


def _old_rows(env: dict[str, str], destination: str) -> int:
    """Tops the ledger up to OLD_ROWS delivered rows from 30 days ago (retention deletes
    them during the load); returns how many it added. Vacuumed before the clock starts."""
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        have = int(
            db.execute(  # type: ignore[index]
                "SELECT count(*) FROM delivery_eventdelivery WHERE message_id LIKE 'old-%'"
            ).fetchone()[0]
        )
        missing = OLD_ROWS - have
        if missing > 0:
            db.execute(
                "INSERT INTO delivery_eventdelivery (workspace_id, destination_id, message_id, "
                "event_type, event, user_id, status, error_type, error_message, attempts, "
                "logs, requests, received_at, lease_token, created_at, updated_at) "
                "SELECT d.workspace_id, d.id, 'old-' || gen_random_uuid(), 'track', "
                "'{}', '', 'delivered', '', '', 1, '[]'::jsonb, '[]'::jsonb, "
                "now() - interval '30 days', '', now() - interval '30 days', "
                "now() - interval '30 days' "
                "FROM delivery_destination d, generate_series(1, %s) g WHERE d.id = %s",
                [missing, destination],
            )
        db.execute("VACUUM ANALYZE delivery_eventdelivery")
        db.execute("CHECKPOINT")  # the insert's WAL is written out before the clock starts
        return max(missing, 0)


# Runs in a Django shell next to the server: each line "BATCH DUTY SECONDS" on stdin prunes
# for SECONDS (or until no old row is left) with those settings and answers the rows deleted
# and the wall-clock span it spent.
PRUNER = """
import sys, time
from django.conf import settings
from delivery.ledger.retention import ledger_prune
print("ready", flush=True)
for line in sys.stdin:
    batch, duty, seconds = line.split()
    settings.DELIVERY_RETENTION_BATCH, settings.DELIVERY_RETENTION_DUTY = int(batch), float(duty)
    began, stop, deleted = time.time(), time.monotonic() + float(seconds), 0
    while time.monotonic() < stop:
        pruned = ledger_prune(budget_seconds=stop - time.monotonic())
        deleted += pruned.routine
        if not pruned.routine:
            break
    print(deleted, began, time.time(), flush=True)
"""

# The A/B of retention during ingest: no retention, the unthrottled pruner (2,000-row
# batches back to back, as before), the throttled one (the defaults: 500-row batches,
# deleting a quarter of the time). Alternated ROUNDS times against the same server.
RETENTION_MODES = {"alone": None, "unthrottled": (2000, 1.0), "throttled": (500, 0.25)}
ROUNDS = int(os.environ.get("SERVER_BENCH_ROUNDS", "3"))


def _summary(runs: list[dict[str, float]]) -> dict[str, object]:
    keys = ["events_per_s", "p50_ms", "p99_ms", "rows_deleted_per_s", "seconds"]
    out: dict[str, object] = {
        k: round(statistics.median([r[k] for r in runs]), 1) for k in keys if k in runs[0]
    }
    out["events_per_s_runs"] = [r["events_per_s"] for r in runs]
    out["errors"] = sum(int(r["errors"]) for r in runs)
    return out


def _retention_ab(env: dict[str, str], key: str, destination: str, gunicorn: object) -> object:
    port = free_port()
    server = gunicorn(port)  # type: ignore[operator]
    pruner = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", PRUNER],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in RETENTION_MODES}
    try:
        assert pruner.stdout is not None and pruner.stdin is not None
        while pruner.stdout.readline().strip() != "ready":  # after Django's shell banner
            pass
        url = f"http://127.0.0.1:{port}/v1/batch"
        _load(url, key, lambda: (0.0, 0.0))  # warm-up, not counted
        modes = list(RETENTION_MODES.items())
        for round_ in range(ROUNDS):
            # Each round starts with the next mode: none always runs right after another.
            for mode, knobs in modes[round_ % len(modes) :] + modes[: round_ % len(modes)]:
                if knobs is None:
                    runs[mode].append(_load(url, key))
                    continue
                _old_rows(env, destination)
                pruner.stdin.write(f"{knobs[0]} {knobs[1]} {SECONDS}\n")
                pruner.stdin.flush()
                answer: list[str] = []

                def pruning(answer: list[str] = answer) -> tuple[float, float]:
                    answer.extend(pruner.stdout.readline().split())  # type: ignore[union-attr]
                    return float(answer[1]), float(answer[2])

                figures = _load(url, key, pruning)
                figures["rows_deleted_per_s"] = round(int(answer[0]) / figures["seconds"], 1)
                runs[mode].append(figures)
    finally:
        if pruner.stdin:
            pruner.stdin.close()
        pruner.wait(60)
        server.terminate()
        server.wait(30)
    return {mode: _summary(r) for mode, r in runs.items()}


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
    figures["gunicorn_retention_ab"] = {
        "rounds": ROUNDS,
        "seconds_each": SECONDS,
        "old_rows_before_each": OLD_ROWS,
        **_retention_ab(env, key, destination, gunicorn),  # type: ignore[dict-item]
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
