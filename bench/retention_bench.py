"""Ledger and outbox size over a long run under retention: events flow continuously (batches
of 20 through gunicorn, an insert function and a webhook, one worker with beat) while
retention keeps final rows RETENTION_BENCH_KEEP seconds instead of days (the beat prunes
every 5 s, the sweeper drops processed outbox entries as old). `pg_total_relation_size` of
the ledger and the outbox is sampled every 5 s. Prints ONE JSON object: the samples, the
maximum of the first half against min/max of the second half (a plateau: the second half
does not keep growing), and whether every event reached the receiver exactly once.
On a server with autovacuum off, the bench runs VACUUM on both tables every 30 s in its
place (and says so): without any vacuum the space of deleted rows is never reused."""

import json
import os
import time

import psycopg
from longrun import ingest_in_background, receiver_counts, stack
from pipeline_bench import bench_env

SECONDS = float(os.environ.get("RETENTION_BENCH_SECONDS", "180"))
RATE = float(os.environ.get("RETENTION_BENCH_EVENTS_PER_S", "200"))
KEEP = float(os.environ.get("RETENTION_BENCH_KEEP", "20"))
EVERY = 5.0
# When the server runs without autovacuum, the bench vacuums both tables this often.
VACUUM_EVERY = 30.0

SIZES = (
    "SELECT pg_total_relation_size('delivery_eventdelivery'), "
    "pg_total_relation_size('delivery_outboxentry'), "
    "(SELECT count(*) FROM delivery_eventdelivery), (SELECT count(*) FROM delivery_outboxentry)"
)


def main() -> None:
    env = dict(
        bench_env(),
        DJANGO_SECRET_KEY="bench-only-secret-key",
        DELIVERY_RETENTION_DAYS=str(KEEP / 86400),
        DELIVERY_RETENTION_FAILED_DAYS=str(KEEP / 86400),
        DELIVERY_RETENTION_EVERY_SECONDS=str(EVERY),
        # A quarter of each interval, as the defaults (15 s of every 60 s).
        DELIVERY_RETENTION_BUDGET_SECONDS=str(EVERY / 4),
        DELIVERY_OUTBOX_KEEP_SECONDS=str(KEEP),
    )
    events = int(SECONDS * RATE) // 20 * 20
    samples: list[dict[str, float]] = []
    with stack(env, []) as running:
        began = time.monotonic()
        done, result = ingest_in_background(running, events=events, per_second=RATE, prefix="r")
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            autovacuum = str(db.execute("SHOW autovacuum").fetchone()[0])  # type: ignore[index]
            vacuumed = time.monotonic()
            while not done.is_set():
                if autovacuum != "on" and time.monotonic() - vacuumed >= VACUUM_EVERY:
                    # What autovacuum would do (it is off on this server): mark the space of
                    # deleted rows free for new ones.
                    db.execute("VACUUM delivery_eventdelivery, delivery_outboxentry")
                    vacuumed = time.monotonic()
                ledger, outbox, rows, entries = db.execute(SIZES).fetchone()  # type: ignore[misc]
                samples.append(
                    {
                        "t": round(time.monotonic() - began),
                        "ledger_mb": round(ledger / 2**20, 2),
                        "outbox_mb": round(outbox / 2**20, 2),
                        "ledger_rows": rows,
                        "outbox_rows": entries,
                    }
                )
                done.wait(EVERY)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                counts = receiver_counts(str(running["receiver"]))
                pending = db.execute(  # type: ignore[index]
                    "SELECT count(*) FROM delivery_eventdelivery WHERE status = 'retrying'"
                ).fetchone()[0]
                if counts["unique"] >= events and not pending:
                    break
                time.sleep(1)
    half = len(samples) // 2

    def span(key: str) -> dict[str, float]:
        first, last = [s[key] for s in samples[:half]], [s[key] for s in samples[half:]]
        return {
            "first_half_max": max(first),
            "last_half_min": min(last),
            "last_half_max": max(last),
        }

    print(
        json.dumps(
            {
                "seconds": SECONDS,
                "events": events,
                "events_per_s_offered": RATE,
                "retention_seconds": KEEP,
                "autovacuum": autovacuum,
                "bench_vacuums_every_s": VACUUM_EVERY if autovacuum != "on" else None,
                "ingest": result,
                "ledger_mb": span("ledger_mb"),
                "outbox_mb": span("outbox_mb"),
                "ledger_rows": span("ledger_rows"),
                "samples": samples,
                "receiver": counts,
                "every_event_delivered_once": counts["unique"] == events == counts["posts"]
                and not pending,
            }
        )
    )


if __name__ == "__main__":
    main()
