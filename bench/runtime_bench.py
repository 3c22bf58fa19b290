"""Function runtime figures: batch throughput vs plain Node.js, overlapped fetches,
cold start, memory per warm context. Prints one JSON object on stdout."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from functions.runtime import run_function

HANDLER = "async function onTrack(event, settings) { event.properties.seen = true; return event }"
BATCH_SIZES = (1, 20, 100, 1000)
EVENTS_PER_SIZE = 4000

NODE_LOOP = (
    HANDLER
    + """
const rl = require('readline').createInterface({input: process.stdin});
rl.on('line', async (line) => {
  const events = JSON.parse(line);
  const out = [];
  for (const event of events) {
    const value = await onTrack(event, {});
    out.push(value == null ? null : JSON.stringify(value));
  }
  process.stdout.write(JSON.stringify(out.map(v => v && JSON.parse(v))) + '\\n');
});
"""
)


def _events(n: int) -> list[dict]:
    return [
        {
            "type": "track",
            "event": "Song Played",
            "messageId": f"m{i}",
            "userId": f"u{i}",
            "properties": {"name": "Fallin for You", "n": i},
        }
        for i in range(n)
    ]


def runtime_throughput(size: int) -> float:
    events = _events(size)
    run_function(
        code=HANDLER, kind="insert", events=events, settings={}, batch=True, cache_key="bench"
    )
    rounds = max(EVENTS_PER_SIZE // size, 3)
    started = time.perf_counter()
    for _ in range(rounds):
        run_function(
            code=HANDLER, kind="insert", events=events, settings={}, batch=True, cache_key="bench"
        )
    return rounds * size / (time.perf_counter() - started)


def node_throughput(size: int) -> float:
    events = json.dumps(_events(size))
    node = subprocess.Popen(
        ["node", "-e", NODE_LOOP], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert node.stdin and node.stdout
    try:
        rounds = max(EVENTS_PER_SIZE // size, 3)
        node.stdin.write(events + "\n")
        node.stdin.flush()
        json.loads(node.stdout.readline())
        started = time.perf_counter()
        for _ in range(rounds):
            node.stdin.write(events + "\n")
            node.stdin.flush()
            json.loads(node.stdout.readline())
        return rounds * size / (time.perf_counter() - started)
    finally:
        node.kill()
        node.wait()


class _Slow(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(0.05)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.served += 1  # type: ignore[attr-defined]
        if self.server.served >= self.server.limit:  # type: ignore[attr-defined]
            threading.Thread(target=self.server.shutdown, daemon=True).start()


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


def fetch_overlap(count: int = 40) -> dict[str, float]:
    os.environ["FUNCTIONS_ALLOW_PRIVATE_FETCH"] = "1"
    server = _Server(("127.0.0.1", 0), _Slow)
    server.served, server.limit = 0, 2 * count + 1  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    code = "async function onTrack(e, s) { const r = await fetch(s.url); await r.json(); return e }"
    settings = {"url": f"http://127.0.0.1:{server.server_address[1]}/"}
    run_function(code=code, kind="insert", events=_events(1), settings=settings, cache_key="fetch")
    started = time.perf_counter()
    for event in _events(count):
        run_function(code=code, kind="insert", events=[event], settings=settings, cache_key="fetch")
    sequential = time.perf_counter() - started
    started = time.perf_counter()
    result = run_function(
        code=code,
        kind="insert",
        events=_events(count),
        settings=settings,
        batch=True,
        cache_key="fetch",
    )
    overlapped = time.perf_counter() - started
    assert all(r.status == "success" for r in result.results)
    server.shutdown()
    server.server_close()
    return {
        "events": count,
        "latency_ms": 50,
        "sequential_events_per_s": round(count / sequential, 1),
        "overlapped_events_per_s": round(count / overlapped, 1),
        "speedup": round(sequential / overlapped, 1),
    }


def cold_start_ms(samples: int = 15) -> float:
    times = []
    for i in range(samples):
        code = f"// version {i} {time.time()}\n{HANDLER}"
        started = time.perf_counter()
        run_function(code=code, kind="insert", events=_events(1), settings={}, cache_key=f"cold{i}")
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_per_context_mb(count: int = 20) -> float:
    os.environ["FUNCTIONS_WARM_CONTEXTS"] = str(count + 40)
    before = _rss_bytes()
    for i in range(count):
        run_function(
            code=f"// m{i}\n{HANDLER}",
            kind="insert",
            events=_events(1),
            settings={},
            cache_key=f"mem{i}",
        )
    return round((_rss_bytes() - before) / count / 2**20, 2)


def main() -> None:
    runtime = {size: runtime_throughput(size) for size in BATCH_SIZES}
    node = {size: node_throughput(size) for size in BATCH_SIZES}
    figures = {
        "runtime_events_per_s": {str(k): round(v) for k, v in runtime.items()},
        "node_events_per_s": {str(k): round(v) for k, v in node.items()},
        "runtime_vs_node_ratio": {str(k): round(runtime[k] / node[k], 3) for k in BATCH_SIZES},
        "fetch_overlap": fetch_overlap(),
        "cold_start_ms": cold_start_ms(),
        "memory_per_warm_context_mb": memory_per_context_mb(),
    }
    print(json.dumps({"runtime": figures}))


if __name__ == "__main__":
    main()
