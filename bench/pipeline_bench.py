"""End to end pipeline figure: N events posted to /v1/batch, through an insert function, to a
webhook receiver on localhost, with PostgreSQL, Redis and one worker. Prints ONE JSON object:
events/s, p50/p99 from ingest to final status, and whether every event has exactly one final
status. Needs DATABASE_URL (PostgreSQL) and REDIS_URL; uses its own database and Redis db."""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("PIPELINE_BENCH_EVENTS", "20000"))
PER_REQUEST = 500
# Worker processes: one per core of this 2-core machine.
CONCURRENCY = int(os.environ.get("PIPELINE_BENCH_CONCURRENCY", "2"))
# Benches running side by side (several checkouts on one machine) name their own database
# and Redis db.
BENCH_DB = os.environ.get("FUNCTIONS_BENCH_DB", "functions_bench")
BENCH_REDIS_DB = int(os.environ.get("FUNCTIONS_BENCH_REDIS_DB", "13"))
INSERT_CODE = "async function onTrack(event) { event.properties.seen = true; return event }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def bench_env() -> dict[str, str]:
    database, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database.startswith("postgres") or not redis:
        raise SystemExit("pipeline bench needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    admin = urlsplit(database)
    with psycopg.connect(urlunsplit(admin._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {BENCH_DB}")
    # Tasks a previous bench left queued (the server bench runs no worker) would hold up
    # this one's worker: the bench's Redis db starts empty too.
    bench_redis = redis.rsplit("/", 1)[0] + f"/{BENCH_REDIS_DB}"
    Redis.from_url(bench_redis).flushdb()
    return dict(
        os.environ,
        DATABASE_URL=urlunsplit(admin._replace(path=f"/{BENCH_DB}")),
        REDIS_URL=bench_redis,
        FUNCTIONS_ALLOW_PRIVATE_FETCH="1",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
    )


def setup(env: dict[str, str], receiver_url: str) -> str:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = f"""
from delivery.services import source_create, destination_create_webhook
from functions.instances import insert_instance_create
from functions.services import function_create
from workspace.audit import SYSTEM
from workspace.models import Workspace
ws = Workspace.objects.create(slug="bench", name="Bench")
src = source_create(workspace=ws, actor=SYSTEM, name="bench")
hook = destination_create_webhook(workspace=ws, actor=SYSTEM, source=src, name="receiver",
                                  settings={{"url": "{receiver_url}"}})
fn = function_create(workspace=ws, actor=SYSTEM, resource_type="INSERT_DESTINATION",
                     display_name="enrich", code={INSERT_CODE!r}, settings_schema=[])
insert_instance_create(function=fn, destination=hook, actor=SYSTEM, name="enrich", settings={{}})
print(src.write_key)
"""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def request_bodies() -> list[bytes]:
    """The /v1/batch bodies, encoded before the clock starts: the figure is the pipeline's,
    not this client's JSON encoding (which shares the machine's two cores)."""
    return [
        json.dumps(
            {
                "batch": [
                    {
                        "type": "track",
                        "event": "Bench",
                        "userId": f"u{i}",
                        "messageId": f"bench-{i}",
                        "properties": {"i": i},
                    }
                    for i in range(start, min(start + PER_REQUEST, N))
                ]
            }
        ).encode()
        for start in range(0, N, PER_REQUEST)
    ]


def post_all(url: str, write_key: str) -> float:
    bodies = request_bodies()
    headers = {"Content-Type": "application/json"}
    with httpx.Client(auth=(write_key, ""), timeout=60) as client:

        def post(body: bytes) -> None:
            client.post(url, content=body, headers=headers).raise_for_status()

        begin = time.time()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, bodies))
    return begin


def wait_final(env: dict[str, str], timeout: float = 600) -> list[tuple[str, str, float]]:
    deadline = time.monotonic() + timeout
    query = (
        "SELECT message_id, status, EXTRACT(EPOCH FROM updated_at - received_at) "
        "FROM delivery_eventdelivery"
    )
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        while True:
            final = db.execute(
                "SELECT count(*) FROM delivery_eventdelivery WHERE status <> 'retrying'"
            ).fetchone()[0]  # type: ignore[index]
            if final >= N or time.monotonic() > deadline:
                return [(m, s, float(d)) for m, s, d in db.execute(query).fetchall()]
            time.sleep(0.2)


def last_update(env: dict[str, str]) -> float:
    with psycopg.connect(env["DATABASE_URL"]) as db:
        row = db.execute(
            "SELECT EXTRACT(EPOCH FROM max(updated_at)) FROM delivery_eventdelivery"
        ).fetchone()
    return float(row[0])  # type: ignore[index]


def main() -> None:
    env = bench_env()
    procs = []
    try:
        hook_port, web_port = free_port(), free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "bench/webhook_receiver.py", str(hook_port)], cwd=ROOT
            )
        )
        write_key = setup(env, f"http://127.0.0.1:{hook_port}/hook")
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workspace",
                    "worker",
                    "-B",
                    "-c",
                    str(CONCURRENCY),
                    "-l",
                    "warning",
                    "-s",
                    "/tmp/pipeline-bench-beat",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_port(web_port)
        time.sleep(3)  # the worker's pool
        begin = post_all(f"http://127.0.0.1:{web_port}/v1/batch", write_key)
        ingested = time.time() - begin
        rows = wait_final(env)
        end = last_update(env)
        received = httpx.get(f"http://127.0.0.1:{hook_port}/count", timeout=10).json()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
    latencies = sorted(d for _, s, d in rows if s != "retrying")
    ids = [m for m, _, _ in rows]
    print(
        json.dumps(
            {
                "events": N,
                "events_per_request": PER_REQUEST,
                "worker_processes": CONCURRENCY,
                "events_per_s": round(N / (end - begin), 1),
                "ingest_events_per_s": round(N / ingested, 1),
                "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)
                if latencies
                else None,
                "statuses": {
                    s: sum(1 for _, t, _ in rows if t == s) for s in {t for _, t, _ in rows}
                },
                "each_event_one_final_status": len(ids) == N == len(set(ids)) == len(latencies),
                "receiver": received,
            }
        )
    )


if __name__ == "__main__":
    main()
