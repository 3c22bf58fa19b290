"""End to end pipeline figures: events posted to /v1/batch, through an insert function, to a
webhook receiver on localhost, with PostgreSQL, Redis and one worker. Needs DATABASE_URL
(PostgreSQL) and REDIS_URL; uses its own database and Redis db. Prints ONE JSON object.

Two runs on the same processes:

- **max**: N events posted as fast as 4 client threads go (500 per request); the figure is
  `end_to_end_events_per_s` (N over first post to last final status), with p50/p99 from
  ingest (`received_at`) to final status (`updated_at`) and the CPU each process used.
  Run MAX_RUNS times (3) after WARMUP_RUNS (1) runs that are not counted: the figures are
  the median counted run's, every run's rate listed, the warm-up's as `cold_run_events_per_s`.
  The first 20,000 events after the processes start run 15-30% slower than the next ones
  (measured here: 15,375 then 19,727, 21,791, 21,997, 21,497 events/s): V8 tiering the
  runtime's code up, each process's first statements and connections, the ledger's first
  pages. A deployment runs warm; the start-up is reported apart, not mixed into the median.
- **steady**: an open-loop client offers STEADY_RATE events/s (STEADY_PER_REQUEST per
  request) for STEADY_SECONDS: each request has a scheduled time and is sent then whatever
  the earlier ones are doing, so a slow server does not slow the offer down. Latency of an
  event: its final status (`updated_at` in the ledger) minus its request's *scheduled* send
  time (so waiting to be accepted counts too): `steady_5k_p50_ms` / `steady_5k_p99_ms`.
  Reported with the offered, accepted and delivered rates.

Both check that every event has exactly one final status and that the receiver got each
exactly once, with its Idempotency-Key.
"""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("PIPELINE_BENCH_EVENTS", "20000"))
PER_REQUEST = 500
# The max run, repeated: its figure is the median run's.
MAX_RUNS = int(os.environ.get("PIPELINE_BENCH_MAX_RUNS", "3"))
# Runs before those, on the same processes, not counted in the median (reported apart).
WARMUP_RUNS = int(os.environ.get("PIPELINE_BENCH_WARMUP_RUNS", "1"))
# Worker processes: one per core of this 2-core machine.
CONCURRENCY = int(os.environ.get("PIPELINE_BENCH_CONCURRENCY", "2"))
# Benches running side by side (several checkouts on one machine) name their own database
# and Redis db.
BENCH_DB = os.environ.get("FUNCTIONS_BENCH_DB", "functions_bench")
BENCH_REDIS_DB = int(os.environ.get("FUNCTIONS_BENCH_REDIS_DB", "13"))
# The steady run: an open-loop client offering STEADY_RATE events/s for STEADY_SECONDS.
STEADY_RATE = int(os.environ.get("PIPELINE_BENCH_STEADY_RATE", "5000"))
STEADY_SECONDS = int(os.environ.get("PIPELINE_BENCH_STEADY_SECONDS", "20"))
STEADY_PER_REQUEST = int(os.environ.get("PIPELINE_BENCH_STEADY_PER_REQUEST", "100"))
STEADY_EVENTS = STEADY_RATE * STEADY_SECONDS
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


def bench_env(bench_db: str = BENCH_DB) -> dict[str, str]:
    """The environment of a bench's processes: its own database `bench_db`, made empty, and
    its own Redis db, emptied."""
    database, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database.startswith("postgres") or not redis:
        raise SystemExit("pipeline bench needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    admin = urlsplit(database)
    with psycopg.connect(urlunsplit(admin._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {bench_db} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {bench_db}")
    # Tasks a previous bench left queued (the server bench runs no worker) would hold up
    # this one's worker: the bench's Redis db starts empty too.
    bench_redis = redis.rsplit("/", 1)[0] + f"/{BENCH_REDIS_DB}"
    Redis.from_url(bench_redis).flushdb()
    return dict(
        os.environ,
        DATABASE_URL=urlunsplit(admin._replace(path=f"/{bench_db}")),
        REDIS_URL=bench_redis,
        FUNCTIONS_ALLOW_PRIVATE_FETCH="1",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
    )


def setup(env: dict[str, str], receiver_url: str) -> str:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = f"""
from delivery.services import source_create, destination_create
from delivery.services import insert_instance_create
from functions.services import function_create
from workspace.audit import SYSTEM
from workspace.models import Workspace
ws = Workspace.objects.create(slug="bench", name="Bench")
src = source_create(workspace=ws, actor=SYSTEM, name="bench")
hook = destination_create(kind="webhook", workspace=ws, actor=SYSTEM, source=src, name="receiver",
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


def request_bodies(prefix: str, count: int, per_request: int) -> list[bytes]:
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
                        "messageId": f"{prefix}-{i}",
                        "properties": {"i": i},
                    }
                    for i in range(start, min(start + per_request, count))
                ]
            }
        ).encode()
        for start in range(0, count, per_request)
    ]


def post_all(url: str, write_key: str, bodies: list[bytes]) -> float:
    headers = {"Content-Type": "application/json"}
    with httpx.Client(auth=(write_key, ""), timeout=60) as client:

        def post(body: bytes) -> None:
            client.post(url, content=body, headers=headers).raise_for_status()

        begin = time.time()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, bodies))
    return begin


class Offered(NamedTuple):
    scheduled: list[float]  # each request's scheduled send time (epoch seconds)
    accepted: list[float]  # when each request's 200 arrived
    late: float  # the most a request was sent after its scheduled time (seconds)


def post_steady(url: str, write_key: str, bodies: list[bytes]) -> Offered:
    """Open loop: request k is sent at begin + k * interval by a pool large enough that a
    slow answer never holds the next request back (the pool's own lag is reported)."""
    interval = STEADY_PER_REQUEST / STEADY_RATE
    headers = {"Content-Type": "application/json"}
    accepted = [0.0] * len(bodies)
    late = [0.0] * len(bodies)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    with httpx.Client(auth=(write_key, ""), timeout=60, limits=limits) as client:

        def post(index: int, at: float) -> None:
            late[index] = time.time() - at
            client.post(url, content=bodies[index], headers=headers).raise_for_status()
            accepted[index] = time.time()

        begin = time.time() + 0.5
        scheduled = [begin + k * interval for k in range(len(bodies))]
        with ThreadPoolExecutor(64) as pool:
            futures = []
            for index, at in enumerate(scheduled):
                pause = at - time.time()
                if pause > 0:
                    time.sleep(pause)
                futures.append(pool.submit(post, index, at))
            for future in futures:
                future.result()
    return Offered(scheduled, accepted, max(late))


def receiver_counts(hook_port: int, client: httpx.Client | None = None) -> dict[str, int]:
    """The receiver's counts so far: posts, unique messageIds, key mismatches, bad bodies."""
    url = f"http://127.0.0.1:{hook_port}/count"
    return (client or httpx).get(url, timeout=10).json()


def received_unique(hook_port: int, client: httpx.Client | None = None) -> int:
    """How many distinct messageIds the receiver has been sent so far."""
    return receiver_counts(hook_port, client)["unique"]


def wait_final(
    env: dict[str, str],
    prefix: str,
    count: int,
    hook_port: int,
    received_before: int,
    timeout: float = 600,
) -> list[tuple[str, str, float, float]]:
    """(message id, status, received_at, updated_at) of the run's rows once `count` are final;
    times as epoch seconds.

    The poll shares the cores and the bench database's CPU figure with the pipeline it
    measures, so it asks the receiver first (a GET answered from a counter) and counts the
    run's rows in the ledger (a scan of the table: 26 ms at 100,000 rows, which every 100 ms
    was a quarter of a core charged to PostgreSQL) only once the receiver has every event,
    or has stopped getting new ones for a second (events that are not delivered). The
    figures come from the rows' `updated_at`, not from when this poll notices the end."""
    deadline = time.monotonic() + timeout
    like = f"{prefix}-%"
    query = (
        "SELECT message_id, status, EXTRACT(EPOCH FROM received_at), "
        "EXTRACT(EPOCH FROM updated_at) FROM delivery_eventdelivery WHERE message_id LIKE %s"
    )
    seen, still_since = -1, time.monotonic()
    # One client for the whole poll: a new one per GET (its TLS context) was 0.1 core.
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db, httpx.Client() as client:
        while time.monotonic() < deadline:
            received = received_unique(hook_port, client) - received_before
            if received != seen:
                seen, still_since = received, time.monotonic()
            if received >= count or time.monotonic() - still_since > 1:
                final = db.execute(
                    "SELECT count(*) FROM delivery_eventdelivery "
                    "WHERE status <> 'retrying' AND message_id LIKE %s",
                    [like],
                ).fetchone()[0]  # type: ignore[index]
                if final >= count:
                    break
            time.sleep(0.1)
        rows = db.execute(query, [like]).fetchall()
        return [(m, s, float(r), float(u)) for m, s, r, u in rows]


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far, per group: each root's process tree (the
    web server, the worker and its pool, the receiver), this client, the PostgreSQL
    backends of the bench database, PostgreSQL's shared processes and Redis (both shared
    with whatever else runs on the machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        procs[int(entry.name)] = (int(fields[1]), args, (int(fields[11]) + int(fields[12])) / tick)
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    # Every core's busy time (all but idle and iowait), whatever runs: other work included.
    busy = sum(int(v) for v in cpu[:3] + cpu[5:8]) / tick
    group_of: dict[int, str] = {os.getpid(): "client"}
    group_of.update({pid: name for name, pid in roots.items()})
    found: dict[str, float] = {name: 0.0 for name in [*roots, "client"]}
    found.update({"postgres_bench_db": 0.0, "postgres_shared": 0.0, "redis": 0.0})
    for pid, (_parent, args, seconds) in procs.items():
        name, walk = None, pid
        for _ in range(8):
            if walk in group_of:
                name = group_of[walk]
                break
            walk = procs.get(walk, (0, "", 0.0))[0]
        if name is None and args.startswith("postgres:"):
            name = "postgres_bench_db" if f" {BENCH_DB} " in args else "postgres_shared"
        elif name is None and args.startswith("redis-server"):
            name = "redis"
        if name is not None:
            found[name] += seconds
    found["machine_busy"] = busy
    return found


def cores_used(
    before: dict[str, float], after: dict[str, float], seconds: float, events: int
) -> dict[str, float]:
    """Cores each group kept busy over `seconds` (1.0 is one core all the time), and the CPU
    milliseconds the bench's processes spent per event (steadier than rates on a shared
    machine: waiting for a core costs no CPU)."""
    used = {name: round((after[name] - before.get(name, 0.0)) / seconds, 2) for name in after}
    ours = [k for k in after if k not in ("machine_busy", "postgres_shared", "redis")]
    used["bench_total"] = round(sum(used[k] for k in ours), 2)
    spent = sum(after[k] - before.get(k, 0.0) for k in ours)
    used["bench_cpu_ms_per_event"] = round(spent * 1000 / events, 3)
    return used


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * fraction))] * 1000, 1)


def checked(rows: list[tuple[str, str, float, float]], count: int) -> dict[str, object]:
    ids = [m for m, _, _, _ in rows]
    final = [m for m, s, _, _ in rows if s != "retrying"]
    return {
        "statuses": {
            s: sum(1 for _, t, _, _ in rows if t == s) for s in {t for _, t, _, _ in rows}
        },
        "each_event_one_final_status": len(ids) == count == len(set(ids)) == len(final),
    }


def start_processes(env: dict[str, str]) -> tuple[dict[str, subprocess.Popen], int, int, str]:
    procs: dict[str, subprocess.Popen] = {}
    hook_port, web_port = free_port(), free_port()
    procs["receiver"] = subprocess.Popen(
        [sys.executable, "bench/webhook_receiver.py", str(hook_port)], cwd=ROOT
    )
    write_key = setup(env, f"http://127.0.0.1:{hook_port}/hook")
    procs["web"] = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = [sys.executable, "-m", "celery", "-A", "workspace", "worker", "-B"]
    worker += ["-c", str(CONCURRENCY), "-l", "warning", "-s", "/tmp/pipeline-bench-beat"]
    procs["worker"] = subprocess.Popen(
        worker, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_port(web_port)
    time.sleep(3)  # the worker's pool
    return procs, hook_port, web_port, write_key


def run_max_once(
    env: dict[str, str], ports: tuple[int, int], write_key: str, roots: dict[str, int], prefix: str
) -> dict:
    web_port, hook_port = ports
    received_before = received_unique(hook_port)
    # Encoded before the CPU is counted: this client's JSON is not the pipeline's work.
    bodies = request_bodies(prefix, N, PER_REQUEST)
    cpu_before = cpu_seconds(roots)
    begin = post_all(f"http://127.0.0.1:{web_port}/v1/batch", write_key, bodies)
    ingested = time.time() - begin
    rows = wait_final(env, prefix, N, hook_port, received_before)
    cpu_after = cpu_seconds(roots)
    end = max(u for _, _, _, u in rows)
    latencies = sorted(u - r for _, s, r, u in rows if s != "retrying")
    return {
        "events": N,
        "events_per_request": PER_REQUEST,
        "events_per_s": round(N / (end - begin), 1),
        "ingest_events_per_s": round(N / ingested, 1),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        **checked(rows, N),
        # Measured from the first post to the last final status (and the wait of this client's
        # poll): which process kept the cores busy at the peak.
        "cpu_cores_by_process": cores_used(cpu_before, cpu_after, time.time() - begin, N),
    }


def run_max(
    env: dict[str, str], ports: tuple[int, int], write_key: str, roots: dict[str, int]
) -> dict:
    """MAX_RUNS runs of N events on the same processes; the run of median rate is the
    figure (a 20,000-event run lasts about two seconds: one run alone moved by ±5-10% from
    run to run), the others' rates are listed with it."""
    cold = [run_max_once(env, ports, write_key, roots, f"warm{k}") for k in range(WARMUP_RUNS)]
    runs = [run_max_once(env, ports, write_key, roots, f"bench{k}") for k in range(MAX_RUNS)]
    ranked = sorted(runs, key=lambda run: run["events_per_s"])
    median = ranked[len(ranked) // 2]
    return {
        **median,
        "runs_events_per_s": [run["events_per_s"] for run in runs],
        "cold_runs_events_per_s": [run["events_per_s"] for run in cold],
        "each_event_one_final_status": all(
            run["each_event_one_final_status"] for run in [*cold, *runs]
        ),
    }


def run_steady(
    env: dict[str, str], ports: tuple[int, int], write_key: str, roots: dict[str, int]
) -> dict:
    web_port, hook_port = ports
    received_before = received_unique(hook_port)
    bodies = request_bodies("steady", STEADY_EVENTS, STEADY_PER_REQUEST)
    cpu_before = cpu_seconds(roots)
    offered = post_steady(f"http://127.0.0.1:{web_port}/v1/batch", write_key, bodies)
    rows = wait_final(env, "steady", STEADY_EVENTS, hook_port, received_before)
    cpu_after = cpu_seconds(roots)
    first, last = offered.scheduled[0], offered.scheduled[-1]
    interval = STEADY_PER_REQUEST / STEADY_RATE
    offer_seconds = last + interval - first
    sent_at = {
        f"steady-{i}": offered.scheduled[i // STEADY_PER_REQUEST] for i in range(STEADY_EVENTS)
    }
    final = [(m, u) for m, s, _, u in rows if s != "retrying"]
    latencies = sorted(u - sent_at[m] for m, u in final)
    from_ingest = sorted(u - r for _, s, r, u in rows if s != "retrying")
    end = max((u for _, u in final), default=last)
    return {
        "events": STEADY_EVENTS,
        "events_per_request": STEADY_PER_REQUEST,
        "seconds": STEADY_SECONDS,
        "offered_events_per_s": round(STEADY_EVENTS / offer_seconds, 1),
        "accepted_events_per_s": round(STEADY_EVENTS / (max(offered.accepted) - first), 1),
        "delivered_events_per_s": round(len(final) / (end - first), 1),
        "client_lag_max_ms": round(offered.late * 1000, 1),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": percentile(latencies, 1.0),
        "from_ingest_p50_ms": percentile(from_ingest, 0.5),
        **checked(rows, STEADY_EVENTS),
        "cpu_cores_by_process": cores_used(cpu_before, cpu_after, end - first, STEADY_EVENTS),
    }


def machine_speed_probe() -> float:
    """Seconds of one core for a fixed piece of Python (`sum(range(3 * 10**7))`). This
    machine's speed drifts by up to half within a day (0.34 s in its fast state, 0.6-0.7 s
    in its slow one), and every figure here moves with it: a run is read together with this
    probe, taken before and after the runs."""
    begin = time.process_time()
    sum(range(3 * 10**7))
    return round(time.process_time() - begin, 3)


def main() -> None:
    env = bench_env()
    probe_before = machine_speed_probe()
    procs: dict[str, subprocess.Popen] = {}
    try:
        procs, hook_port, web_port, write_key = start_processes(env)
        roots = {name: proc.pid for name, proc in procs.items()}
        peak = run_max(env, (web_port, hook_port), write_key, roots) if N else {}
        steady = run_steady(env, (web_port, hook_port), write_key, roots) if STEADY_SECONDS else {}
        received = receiver_counts(hook_port)
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(10)
    probe_after = machine_speed_probe()
    expected = (N * (WARMUP_RUNS + MAX_RUNS) if peak else 0) + (STEADY_EVENTS if steady else 0)
    # Named by the offered rate, so a run at another rate is never read as the 5k figure.
    rate = "5k" if STEADY_RATE == 5000 else f"{STEADY_RATE}_per_s"
    print(
        json.dumps(
            {
                "end_to_end_events_per_s": peak.get("events_per_s"),
                # The first run after the processes start (not in the median above).
                "cold_run_events_per_s": (peak.get("cold_runs_events_per_s") or [None])[0],
                f"steady_{rate}_p50_ms": steady.get("p50_ms"),
                f"steady_{rate}_p99_ms": steady.get("p99_ms"),
                "steady_offered_events_per_s": steady.get("offered_events_per_s"),
                "steady_delivered_events_per_s": steady.get("delivered_events_per_s"),
                "worker_processes": CONCURRENCY,
                "machine_speed_probe_s": [probe_before, probe_after],
                "max": peak,
                "steady": steady,
                "receiver": received,
                "receiver_each_event_exactly_once": received["posts"]
                == received["unique"]
                == expected
                and not received["key_mismatches"],
            }
        )
    )


if __name__ == "__main__":
    main()
