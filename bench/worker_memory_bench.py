"""Worker RSS over a long run, with and without recycling: WORKER_BENCH_EVENTS events (batches
of 20 through gunicorn, an insert function in V8, a webhook receiver) through one real
worker (`-c 2`, with beat), once without recycling flags and once with
`--max-memory-per-child WORKER_BENCH_MAX_MEMORY_KB --max-tasks-per-child WORKER_BENCH_MAX_TASKS`.
Each pool child's RSS is read from /proc every 2 s; a child pid not seen before is a recycle.
Prints ONE JSON object per configuration: first, peak and end RSS (MB, the largest child),
recycles, and whether every event has exactly one ledger row, final, and reached the
receiver exactly once (so no batch was lost or sent twice across recycles).

`make bench` runs the short variant (20,000 events, a child recycled every 200 tasks, so
recycles do happen); the README's figures are the long run:
WORKER_BENCH_EVENTS=250000 WORKER_BENCH_MAX_TASKS=5000 (the `make serve` flags)."""

import json
import os
import time

import psycopg
from longrun import children_rss_mb, ingest_in_background, receiver_counts, stack
from pipeline_bench import bench_env

EVENTS = int(os.environ.get("WORKER_BENCH_EVENTS", "20000")) // 20 * 20
MAX_MEMORY_KB = os.environ.get("WORKER_BENCH_MAX_MEMORY_KB", "400000")
MAX_TASKS = os.environ.get("WORKER_BENCH_MAX_TASKS", "200")
CONFIGS = {
    "no_recycling": [],
    "recycling": ["--max-memory-per-child", MAX_MEMORY_KB, "--max-tasks-per-child", MAX_TASKS],
}


def _final(db: psycopg.Connection) -> int:
    return int(
        db.execute(  # type: ignore[index]
            "SELECT count(*) FROM delivery_eventdelivery WHERE status <> 'retrying'"
        ).fetchone()[0]
    )


def run(args: list[str]) -> dict[str, object]:
    env = dict(bench_env(), DJANGO_SECRET_KEY="bench-only-secret-key")
    timeline: list[tuple[float, float, int]] = []
    seen: set[int] = set()
    peak = 0.0
    with stack(env, args) as running:
        worker = running["worker"].pid  # type: ignore[attr-defined]
        first: dict[int, float] = {}
        up_by = time.monotonic() + 60
        while not first and time.monotonic() < up_by:  # the pool's children are up
            first = children_rss_mb(worker)
            time.sleep(0.2)
        seen.update(first)
        began = time.monotonic()
        done, result = ingest_in_background(running, events=EVENTS, per_second=None, prefix="w")
        deadline = time.monotonic() + 3600
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            final = 0
            tick = 0
            while time.monotonic() < deadline:
                rss = children_rss_mb(worker)
                seen.update(rss)
                if rss:
                    peak = max(peak, max(rss.values()))
                if tick % 5 == 0:
                    final = _final(db)
                    timeline.append(
                        (round(time.monotonic() - began), max(rss.values(), default=0), final)
                    )
                tick += 1
                if done.is_set() and final >= EVENTS:
                    break
                time.sleep(2)
            elapsed = time.monotonic() - began
            end = children_rss_mb(worker)
            rows, ids, delivered = db.execute(  # type: ignore[misc]
                "SELECT count(*), count(DISTINCT message_id), "
                "count(*) FILTER (WHERE status = 'delivered') FROM delivery_eventdelivery"
            ).fetchone()
        counts = receiver_counts(str(running["receiver"]))
    return {
        "worker_args": " ".join(args) or "(none)",
        "events": EVENTS,
        "events_per_s": round(EVENTS / elapsed, 1),
        "ingest": result,
        "rss_mb_first": max(first.values(), default=0),
        "rss_mb_peak": peak,
        "rss_mb_end": max(end.values(), default=0),
        "recycles": max(0, len(seen) - 2),
        "ledger": {"rows": rows, "distinct_ids": ids, "delivered": delivered},
        "receiver": counts,
        "no_loss_no_duplicate": rows == ids == delivered == EVENTS
        and counts["unique"] == counts["posts"] == EVENTS,
        "timeline_t_rss_final": timeline[:: max(1, len(timeline) // 20)],
    }


def main() -> None:
    print(json.dumps({name: run(args) for name, args in CONFIGS.items()}))


if __name__ == "__main__":
    main()
