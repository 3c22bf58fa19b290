"""Pieces of the long-run benches (retention_bench, worker_memory_bench): a webhook receiver,
gunicorn, a real Celery worker (with beat), paced ingest through /v1/batch, and the RSS of a
process's children read from /proc (Linux; no dependency)."""

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from pipeline_bench import ROOT, free_port, wait_port

# Requests as analytics libraries send them: small batches.
EVENTS_PER_REQUEST = 20


@contextmanager
def stack(
    env: dict[str, str], worker_args: list[str], *, beat: bool = True
) -> Iterator[dict[str, object]]:
    """Receiver, gunicorn and one worker (`-c 2` plus `worker_args`) on `env`'s database."""
    from pipeline_bench import setup

    procs: list[subprocess.Popen[bytes]] = []
    quiet = subprocess.DEVNULL
    try:
        hook_port, web_port = free_port(), free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "bench/webhook_receiver.py", str(hook_port)], cwd=ROOT
            )
        )
        key = setup(env, f"http://127.0.0.1:{hook_port}/hook")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "deploy/gunicorn.conf.py",
                    "workspace.wsgi",
                ],
                cwd=ROOT,
                env=dict(env, BIND=f"127.0.0.1:{web_port}", WEB_CONCURRENCY="2"),
                stdout=quiet,
                stderr=quiet,
            )
        )
        argv = [sys.executable, "-m", "celery", "-A", "workspace", "worker", "-c", "2"]
        argv += ["-l", "warning", "-n", f"bench{web_port}@%h", *worker_args]
        if beat:  # its own process, as `make serve` runs it: the worker's children are its pool
            beat_argv = [sys.executable, "-m", "celery", "-A", "workspace", "beat", "-l", "warning"]
            beat_argv += ["-s", f"/tmp/longrun-beat-{web_port}"]
            procs.append(subprocess.Popen(beat_argv, cwd=ROOT, env=env, stdout=quiet, stderr=quiet))
        log = open(f"/tmp/longrun-worker-{web_port}.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
        procs.append(worker)
        wait_port(web_port, 60)
        time.sleep(4)  # the worker's pool
        yield {
            "key": key,
            "url": f"http://127.0.0.1:{web_port}/v1/batch",
            "receiver": f"http://127.0.0.1:{hook_port}/count",
            "worker": worker,
        }
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _body(first: int, prefix: str) -> bytes:
    batch = [
        {
            "type": "track",
            "event": "Bench",
            "userId": f"u{i % 1000}",
            "messageId": f"{prefix}-{i}",
            "properties": {"i": i, "plan": "pro", "page": f"/docs/{i % 50}"},
        }
        for i in range(first, first + EVENTS_PER_REQUEST)
    ]
    return json.dumps({"batch": batch}).encode()


def ingest(
    url: str, key: str, *, events: int, per_second: float | None, prefix: str, clients: int = 4
) -> dict[str, float]:
    """Posts `events` events (batches of 20) from `clients` threads, paced at `per_second`
    overall when given; returns how long it took and how many requests were refused."""
    requests = events // EVENTS_PER_REQUEST
    began = time.monotonic()
    refused = [0]
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(auth=(key, ""), timeout=60) as http:
            for r in range(n, requests, clients):
                if per_second:
                    due = began + r * EVENTS_PER_REQUEST / per_second
                    time.sleep(max(0.0, due - time.monotonic()))
                body = _body(r * EVENTS_PER_REQUEST, prefix)
                for _ in range(5):
                    answer = http.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    if answer.status_code == 200:
                        break
                    time.sleep(0.5)
                else:
                    with lock:
                        refused[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": round(time.monotonic() - began, 1), "refused_requests": refused[0]}


def ingest_in_background(
    running: dict[str, object], *, events: int, per_second: float | None, prefix: str
) -> tuple[threading.Event, dict[str, float]]:
    """`ingest` into the running stack from a thread: the event is set when it is done, and
    the dict then holds its figures."""
    done = threading.Event()
    result: dict[str, float] = {}

    def load() -> None:
        result.update(
            ingest(
                str(running["url"]),
                str(running["key"]),
                events=events,
                per_second=per_second,
                prefix=prefix,
            )
        )
        done.set()

    threading.Thread(target=load, daemon=True).start()
    return done, result


def children_rss_mb(pid: int) -> dict[int, float]:
    """RSS (MB) of each child of `pid` (the pool processes of a Celery worker)."""
    out: dict[int, float] = {}
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for kid in kids:
        try:
            for line in Path(f"/proc/{kid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[int(kid)] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
    return out


def receiver_counts(url: str) -> dict[str, int]:
    return httpx.get(url, timeout=10).json()  # type: ignore[no-any-return]
