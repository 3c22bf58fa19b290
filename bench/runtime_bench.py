"""Function runtime figures: batch throughput vs plain Node.js, overlapped fetches,
cold start, memory per warm context. Prints one JSON object on stdout."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from functions.runtime import run_function
from functions.runtime.config import load_config

HANDLER = "async function onTrack(event, settings) { event.properties.seen = true; return event }"
BATCH_SIZES = (1, 20, 100, 1000)

# Plain Node.js fed over a pipe, one batch per line: what a Node process behind a pipe
# does, process boundary and all. Kept for continuity; not the in-process anchor.
NODE_PIPED = (
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

# The same handler in plain Node.js, in-process: a loop over JSON.parse'd events,
# awaiting the handler, JSON.stringify of each result. The batch's JSON text is read
# once; each round parses it again. Rounds run for at least `seconds` after as long a
# warm-up; prints events/s.
NODE_IN_PROCESS = (
    HANDLER
    + """
const [batch, seconds] = [require('fs').readFileSync(0, 'utf8'), Number(process.argv[1])];
async function round() {
  const events = JSON.parse(batch);
  const out = [];
  for (const event of events) {
    const value = await onTrack(event, {});
    out.push(value == null ? null : JSON.stringify(value));
  }
  return out;
}
async function timed() {
  let events = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    events += (await round()).length;
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return events / elapsed;
}
timed().then(timed).then((rate) => console.log(rate));
"""
)

# The engine's floor: one mini-racer call per batch, its JSON text in and one JSON text
# out, the same loop inside V8, no driver, no isolation between events, no Python JSON.
ENGINE_FLOOR = (
    HANDLER
    + """
async function __floor(batch) {
  const events = JSON.parse(batch);
  const out = [];
  for (const event of events) {
    const value = await onTrack(event, {});
    out.push(value == null ? 'null' : JSON.stringify(value));
  }
  return '[' + out.join(',') + ']';
}
"""
)

# Each figure: calls for at least this long, after one warm-up call.
MIN_SECONDS = 0.25


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


def _rate(size: int, call: Callable[[], object]) -> float:
    """events/s of `call` (one batch of `size` events), over at least MIN_SECONDS."""
    call()
    calls = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < MIN_SECONDS or calls < 3:
        call()
        calls += 1
    return calls * size / elapsed


def runtime_throughput(size: int) -> float:
    events = _events(size)
    return _rate(
        size,
        lambda: run_function(
            code=HANDLER, kind="insert", events=events, settings={}, batch=True, cache_key="bench"
        ),
    )


def runtime_outputs_read_throughput(size: int) -> float:
    """The same, then every returned event read as a Python dict (the contract before
    returned events stayed JSON text)."""
    events = _events(size)

    def one() -> None:
        result = run_function(
            code=HANDLER, kind="insert", events=events, settings={}, batch=True, cache_key="bench"
        )
        for event in result.results:
            assert event.output is not None

    return _rate(size, one)


def node_in_process_throughput(size: int) -> float:
    done = subprocess.run(
        ["node", "-e", NODE_IN_PROCESS, str(MIN_SECONDS)],
        input=json.dumps(_events(size)),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


@functools.cache
def _floor_function() -> Any:
    from py_mini_racer import MiniRacer

    from functions.runtime.sandbox import _start_v8

    _start_v8()  # V8 started with the runtime's flags, whichever comes first
    context = MiniRacer()
    context.eval(ENGINE_FLOOR)
    return context, context.eval("__floor")


def engine_floor_throughput(size: int) -> float:
    _, floor = _floor_function()
    batch = json.dumps(_events(size))
    return _rate(size, lambda: floor(batch).get())


def engine_floor_with_python_json_throughput(size: int) -> float:
    """The floor plus the JSON run_function cannot avoid: the events (dicts) in, the
    returned events (dicts) out, with the runtime's JSON library."""
    _, floor = _floor_function()
    events = _events(size)
    return _rate(size, lambda: orjson.loads(floor(orjson.dumps(events).decode()).get()))


def node_piped_throughput(size: int) -> float:
    events = json.dumps(_events(size))
    node = subprocess.Popen(
        ["node", "-e", NODE_PIPED], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert node.stdin and node.stdout

    def one() -> None:
        assert node.stdin and node.stdout
        node.stdin.write(events + "\n")
        node.stdin.flush()
        json.loads(node.stdout.readline())

    try:
        return _rate(size, one)
    finally:
        node.kill()
        node.wait()


# A remote API with 50 ms latency, in its own process (as a real server would be, so it
# does not share this process's GIL): asyncio, HTTP/1.1 keep-alive, and it reports the
# most requests it had in flight at once (GET /stats).
SLOW_SERVER = r"""
import asyncio, json, sys
latency = float(sys.argv[1])
stats = {"served": 0, "active": 0, "max_active": 0}
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if head.split(b" ", 2)[1] == b"/stats":
                body = json.dumps(stats).encode()
            else:
                stats["active"] += 1
                stats["max_active"] = max(stats["max_active"], stats["active"])
                await asyncio.sleep(latency)
                stats["active"] -= 1
                stats["served"] += 1
                body = b'{"ok": true}'
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""
FETCH_HANDLER = (
    "async function onTrack(e, s) { const r = await fetch(s.url); await r.json(); return e }"
)


def _server_stats(base: str) -> dict:
    with urllib.request.urlopen(f"{base}stats") as response:
        return json.loads(response.read())


def fetch_overlap(count: int = 100, latency_ms: int = 50) -> dict[str, object]:
    os.environ["FUNCTIONS_ALLOW_PRIVATE_FETCH"] = "1"
    config = load_config()
    # A warm context runs one event at a time (as one of the product's containers): a
    # batch overlaps its fetches only across the contexts of its version.
    concurrency = min(config.contexts_per_version, config.fetch_concurrency)
    server = subprocess.Popen(
        [sys.executable, "-c", SLOW_SERVER, str(latency_ms / 1000)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout
        base = f"http://127.0.0.1:{int(server.stdout.readline())}/"
        settings = {"url": base}

        def batch() -> float:
            started = time.perf_counter()
            result = run_function(
                code=FETCH_HANDLER,
                kind="insert",
                events=_events(count),
                settings=settings,
                batch=True,
                cache_key="fetch",
            )
            assert all(r.status == "success" for r in result.results)
            return time.perf_counter() - started

        run_function(
            code=FETCH_HANDLER,
            kind="insert",
            events=_events(1),
            settings=settings,
            cache_key="fetch",
        )
        started = time.perf_counter()
        for event in _events(count):
            run_function(
                code=FETCH_HANDLER,
                kind="insert",
                events=[event],
                settings=settings,
                cache_key="fetch",
            )
        one_run_per_event = time.perf_counter() - started
        os.environ["FUNCTIONS_CONTEXTS_PER_VERSION"] = "1"
        try:
            serial_batch = batch()
        finally:
            os.environ["FUNCTIONS_CONTEXTS_PER_VERSION"] = str(config.contexts_per_version)
        before = _server_stats(base)["max_active"]
        overlapped = statistics.median(batch() for _ in range(3))
        stats = _server_stats(base)
    finally:
        server.kill()
        server.wait()
    waves = math.ceil(count / concurrency)
    return {
        "what": (
            f"{count} events, each fetching from a server with {latency_ms} ms latency in "
            "another process. one_at_a_time: one run_function per event, in sequence. "
            "overlapped: one batch run; each warm context runs one event at a time, so the "
            "fetches overlap across the version's contexts, up to concurrency = "
            "min(FUNCTIONS_CONTEXTS_PER_VERSION, FUNCTIONS_FETCH_CONCURRENCY) (median of 3). "
            "speedup = one_at_a_time time / overlapped time; the latency-bound ceiling is "
            "events / ceil(events / concurrency). speedup_vs_serial_batch compares with the "
            "same batch in one context (FUNCTIONS_CONTEXTS_PER_VERSION=1). What overlap is "
            "left: one event in flight per warm context (as one of the product's containers "
            "runs one invocation at a time), and the runtime's one thread does each fetch's "
            "Python and V8 work, which bounds it further on a busy machine."
        ),
        "events": count,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "server_max_in_flight": max(stats["max_active"], before),
        "one_at_a_time_events_per_s": round(count / one_run_per_event, 1),
        "serial_batch_events_per_s": round(count / serial_batch, 1),
        "overlapped_events_per_s": round(count / overlapped, 1),
        "speedup": round(one_run_per_event / overlapped, 1),
        "speedup_vs_serial_batch": round(serial_batch / overlapped, 1),
        "ceiling": round(count / waves, 1),
    }


LIBRARY_HANDLER = (
    "async function onTrack(event, settings) { event.properties.at = moment.utc(0).format(); "
    "event.properties.host = new URL('https://api.example.com/x').host; "
    "return _.set(event, 'properties.seen', true) }"
)


def _cold_start(tag: str, samples: int, gap_s: float, handler: str = HANDLER) -> list[float]:
    times = []
    for i in range(samples):
        time.sleep(gap_s)
        code = f"// version {tag}{i} {time.time()}\n{handler}"
        started = time.perf_counter()
        run_function(
            code=code, kind="insert", events=_events(1), settings={}, cache_key=f"{tag}{i}"
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median": round(statistics.median(ordered), 2),
        "p90": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 2),
    }


def cold_start(samples: int = 15, gap_s: float = 0.2) -> dict[str, object]:
    """First run of a new function version (new code): context, prelude, code, one event."""
    prewarmed = os.environ.get("FUNCTIONS_PREWARMED_CONTEXTS")
    spaced = _cold_start("cold", samples, gap_s)
    burst = _cold_start("burst", samples, 0)
    libraries = _cold_start("libs", samples, gap_s, LIBRARY_HANDLER)
    os.environ["FUNCTIONS_PREWARMED_CONTEXTS"] = "0"
    try:
        _cold_start("drain", 1, 0)
        unpooled = _cold_start("unpooled", samples, gap_s)
    finally:
        if prewarmed is None:
            os.environ.pop("FUNCTIONS_PREWARMED_CONTEXTS", None)
        else:
            os.environ["FUNCTIONS_PREWARMED_CONTEXTS"] = prewarmed
    return {
        "what": (
            f"ms from run_function to result for the first event of a new function version; "
            f"median and p90 of {samples}. spaced: versions arrive {gap_s * 1000:.0f} ms apart "
            "and take a pre-warmed blank context (the production path). burst: versions "
            "back to back, so the pre-warmed pool runs dry and most runs wait for a context "
            "being built. no_prewarm: FUNCTIONS_PREWARMED_CONTEXTS=0, every run builds its "
            "context and evaluates the prelude itself. spaced_with_libraries: like spaced, for "
            "a handler that names _, moment and URL (their bundles are loaded on demand; the "
            "last two sets of libraries used get a pre-warmed context of their own, so only "
            "the first version, shown as first, pays for loading them)."
        ),
        "spaced": _summary(spaced),
        "burst": _summary(burst),
        "no_prewarm": _summary(unpooled),
        "spaced_with_libraries": {**_summary(libraries), "first": round(libraries[0], 2)},
    }


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory_in_this_process(count: int) -> float:
    # Every context is built on the spot (no pre-warmed pool filling in the background
    # while RSS is read); one run first, so V8's start-up is not counted.
    os.environ["FUNCTIONS_PREWARMED_CONTEXTS"] = "0"
    os.environ["FUNCTIONS_WARM_CONTEXTS"] = str(count + 10)
    run_function(code=HANDLER, kind="insert", events=_events(1), settings={}, cache_key="mem")
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


def memory_per_context_mb(count: int = 20) -> float:
    """RSS growth per warm context, measured in a fresh process: in this one, memory freed
    by the contexts earlier phases evicted is reused and hides part of the growth."""
    done = subprocess.run(
        [sys.executable, __file__, "--memory", str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


HOSTILE = {
    "wasm_memory_1gib": (
        "async function onTrack(e) { const m = new WebAssembly.Memory({initial: 16384}); "
        "new Uint8Array(m.buffer).fill(1); return e }"
    ),
    "typed_arrays_16x64mib": (
        "const keep = []; async function onTrack(e) { for (let i = 0; i < 16; i++) "
        "keep.push(new Uint8Array(64 * 1024 * 1024).fill(1)); return e }"
    ),
    "gzip_bombs_40_concurrent": (
        "async function onTrack(e) { await Promise.allSettled(Array.from({length: 40}, "
        "() => fetch(e.url).then(r => r.text()))); return e }"
    ),
}


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _bomb_server() -> str:
    """A local server answering every GET with 1 GiB of zeros gzipped (~1 MB sent)."""
    import threading
    import zlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    # After a full flush every MiB of zeros compresses the same: repeat one.
    first = packer.compress(bytes(2**20)) + packer.flush(zlib.Z_FULL_FLUSH)
    body = first + (packer.compress(bytes(2**20)) + packer.flush(zlib.Z_FULL_FLUSH)) * 1023

    class Bomb(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-encoding", "gzip")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the runtime hangs up at its size cap
                self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        request_queue_size = 128
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Bomb)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/bomb"


def _hostile_in_this_process() -> dict[str, object]:
    os.environ["FUNCTIONS_ALLOW_PRIVATE_FETCH"] = "1"
    url = _bomb_server()
    run_function(code=HANDLER, kind="insert", events=_events(1), settings={}, cache_key="idle")
    idle = _rss_bytes() / 2**20
    peaks, rises, statuses = {}, {}, {}
    for name, code in HOSTILE.items():
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM back to the current RSS
        before = _rss_bytes() / 2**20
        result = run_function(
            code=code,
            kind="insert",
            events=[{"type": "track", "url": url}],
            settings={},
            cache_key=name,
            timeout_ms=30000,
        ).results[0]
        peaks[name] = round(_peak_rss_mb() - idle, 1)
        # Freed memory the allocator kept from earlier cases counts in `peaks`, not here.
        rises[name] = round(_peak_rss_mb() - before, 1)
        statuses[name] = f"{result.status}: {(result.error or {}).get('message', '')}"[:120]
    return {
        "idle_rss_mb": round(idle, 1),
        "peak_over_idle_mb": peaks,
        "peak_over_rss_before_case_mb": rises,
        "statuses": statuses,
    }


def hostile_memory() -> dict[str, object]:
    """Peak RSS of a fresh runtime process under memory-hostile functions, over its idle
    size after one ordinary run."""
    done = subprocess.run(
        [sys.executable, __file__, "--hostile"], capture_output=True, text=True, check=True
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    limit = load_config().memory_mb
    return {
        "what": (
            "peak RSS over idle (MB) of the process running V8, per hostile function: a "
            "1 GiB WebAssembly.Memory, 16 x 64 MiB Uint8Arrays kept in a global, 40 "
            "concurrent fetches of a gzip bomb (1 GiB of zeros, ~1 MB sent) from a local "
            f"server; goal: under 2 x FUNCTIONS_MEMORY_MB ({2 * limit} MB)"
        ),
        "memory_limit_mb": limit,
        **figures,
        "within_goal": all(v < 2 * limit for v in figures["peak_over_idle_mb"].values()),
    }


def _one_core(name: str, size: int) -> float:
    """`name`'s rate in a fresh process whose threads all run on one core. On this machine
    (a Firecracker VM whose idle vCPU halts at once: guest_halt_poll_ns=0) a thread woken
    on the other, idle core costs ~40 us of CPU and more of latency; the engine floor's few
    hand-offs per call (Python to mini-racer's thread and back, the promise's result) were
    most of its time, so the floor ran at ~460,000 events/s unpinned and ~770,000 on one
    core, and at the latter whenever anything kept the other core busy (the unsteady floor
    of earlier runs)."""
    done = subprocess.run(
        [sys.executable, __file__, "--one-core", name, str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _one_core_in_this_process(name: str, size: int) -> float:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before any thread starts
    measure = {"runtime": runtime_throughput, "engine_floor": engine_floor_throughput}[name]
    # A fresh process: the first round warms V8 up (and lets the pre-warmed contexts, built
    # in the background on the same core, finish); the second is the figure.
    measure(size)
    return measure(size)


ONE_CORE_SIZE = 1000


def throughput(repeats: int = 5) -> dict[str, object]:
    """The runtime and its anchors, measured in turn, `repeats` rounds; medians."""
    measures: dict[str, Callable[[int], float]] = {
        "runtime": runtime_throughput,
        "runtime_outputs_read": runtime_outputs_read_throughput,
        "node_in_process": node_in_process_throughput,
        "engine_floor": engine_floor_throughput,
        "engine_floor_with_python_json": engine_floor_with_python_json_throughput,
        "node_piped": node_piped_throughput,
    }
    rates: dict[str, dict[int, float]] = {name: {} for name in measures}
    for size in BATCH_SIZES:
        samples: dict[str, list[float]] = {name: [] for name in measures}
        for _ in range(repeats):
            for name, measure in measures.items():
                samples[name].append(measure(size))
        for name in measures:
            rates[name][size] = statistics.median(samples[name])
    one_core = {
        name: statistics.median(_one_core(name, ONE_CORE_SIZE) for _ in range(repeats))
        for name in ("runtime", "engine_floor")
    }

    def ratio(anchor: str, measure: str = "runtime") -> dict[str, float]:
        return {str(k): round(rates[measure][k] / rates[anchor][k], 3) for k in BATCH_SIZES}

    return {
        "what": (
            "events/s of a trivial insert handler, one batch per call at each batch size. "
            "runtime: run_function (per-event isolation, logs, limits; each returned event "
            "comes back as the JSON text JSON.stringify wrote, as node_in_process's do). "
            "runtime_outputs_read: the same, then every returned event read as a Python dict. "
            "node_in_process: "
            "the same handler in plain Node.js, in one process: a loop over JSON.parse'd "
            "events, awaiting the handler, JSON.stringify of each result. engine_floor: one "
            "mini-racer call per batch, the batch as one JSON text in and one out, the same "
            "loop inside V8 (no isolation, no Python JSON), through mini-racer's synchronous "
            "API (the call, then the promise's result: a few thread hand-offs per call, which "
            "dominate at small batches; the floor is meant for large ones). "
            "engine_floor_with_python_json: "
            "the same plus orjson of the events (dicts) in and the results (dicts) out, "
            "which run_function's contract needs. node_piped: plain Node.js fed one batch "
            f"per line over a pipe. Each figure runs for at least {MIN_SECONDS} s; the six "
            f"are measured in turn, {repeats} rounds, medians. one_core: the runtime and the "
            "engine floor at batch 1000 in a process pinned to one core (no thread woken on "
            "the other, idle core)."
        ),
        "runtime_events_per_s": {str(k): round(v) for k, v in rates["runtime"].items()},
        **{
            f"{name}_events_per_s": {str(k): round(v) for k, v in rates[name].items()}
            for name in measures
            if name != "runtime"
        },
        "runtime_vs_node_in_process_ratio": ratio("node_in_process"),
        "runtime_vs_engine_floor_ratio": ratio("engine_floor"),
        "runtime_vs_engine_floor_with_python_json_ratio": ratio("engine_floor_with_python_json"),
        # Every thread of the process on one core (see _one_core), batch 1000.
        "one_core_events_per_s": {name: round(rate) for name, rate in one_core.items()},
        "runtime_one_core_vs_engine_floor_one_core_ratio": round(
            one_core["runtime"] / one_core["engine_floor"], 3
        ),
        "runtime_one_core_vs_node_in_process_ratio": round(
            one_core["runtime"] / rates["node_in_process"][ONE_CORE_SIZE], 3
        ),
        "runtime_vs_node_piped_ratio": ratio("node_piped"),
        "runtime_outputs_read_vs_node_in_process_ratio": ratio(
            "node_in_process", "runtime_outputs_read"
        ),
        "runtime_outputs_read_vs_engine_floor_with_python_json_ratio": ratio(
            "engine_floor_with_python_json", "runtime_outputs_read"
        ),
    }


def main() -> None:
    figures = {
        **throughput(),
        "fetch_overlap": fetch_overlap(),
        "cold_start_ms": cold_start(),
        "memory_per_warm_context_mb": memory_per_context_mb(),
        "hostile_memory": hostile_memory(),
        "memory_note": (
            "RSS growth per warm context (prelude + code), in a fresh process. "
            "FUNCTIONS_PREWARMED_CONTEXTS blank contexts (default 2) are kept on top."
        ),
    }
    print(json.dumps({"runtime": figures}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        print(_memory_in_this_process(int(sys.argv[2])))
    elif sys.argv[1:2] == ["--one-core"]:
        print(_one_core_in_this_process(sys.argv[2], int(sys.argv[3])))
    elif sys.argv[1:2] == ["--hostile"]:
        print(json.dumps(_hostile_in_this_process()))
    else:
        main()
