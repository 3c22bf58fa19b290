"""PostgreSQL's work per event on the ledger's write path, measured in its own database without
timing anything: EVENTS events (ENTRY_SIZE per outbox entry, as the tracking API's batches)
go through the worker's real statements (`outbox_process` fans each entry out to a webhook
destination, probing which events already have a row there; `deliveries_record` writes
each row once, delivered: the one-write path of delivery/ingest/outbox.py) on one
connection. Prints ONE JSON object:

- per event, what PostgreSQL reported for every statement through `auto_explain` (ANALYZE,
  BUFFERS, WAL) at NOTICE level: WAL records, WAL bytes, full page images, buffers dirtied,
  by phase (the outbox entry's insert, the fan-out, the outcome record) and in all;
- the backend's CPU (utime + stime of its /proc/<pid>/stat) per event, in a second pass
  without auto_explain, whose instrumentation costs CPU of its own, and this process's
  (the worker's side of the same statements: building rows and documents, the ORM).

A CHECKPOINT starts each pass, so the full page images are counted from the same state.
WAL and buffer counts are deterministic; the CPU figure varies a little with the machine's
load. Needs DATABASE_URL (PostgreSQL); FUNCTIONS_BENCH_DB names the bench's database."""

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("LEDGER_BENCH_EVENTS", "20000"))
ENTRY_SIZE = 500
BENCH_DB = os.environ.get("FUNCTIONS_BENCH_DB", "functions_bench") + "_ledger"
AUTO_EXPLAIN = [
    "LOAD 'auto_explain'",
    "SET auto_explain.log_min_duration = 0",
    "SET auto_explain.log_analyze = on",
    "SET auto_explain.log_timing = off",
    "SET auto_explain.log_buffers = on",
    "SET auto_explain.log_wal = on",
    "SET auto_explain.log_format = 'json'",
    "SET auto_explain.log_level = 'notice'",
]
COUNTERS = {
    "wal_records": "WAL Records",
    "wal_bytes": "WAL Bytes",
    "wal_fpi": "WAL FPI",
    "buffers_dirtied": "Shared Dirtied Blocks",
    "buffers_hit": "Shared Hit Blocks",
}


def database_prepare() -> None:
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        raise SystemExit("ledger write bench needs DATABASE_URL (PostgreSQL)")
    admin = urlsplit(database)
    with psycopg.connect(urlunsplit(admin._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(admin._replace(path=f"/{BENCH_DB}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    sys.path.insert(0, str(ROOT))


def events_of(prefix: str, first: int) -> list[dict[str, Any]]:
    """One entry's events, shaped as the tracking API stores them."""
    return [
        {
            "type": "track",
            "event": "Bench",
            "userId": f"u{i}",
            "messageId": f"{prefix}-{i}",
            "properties": {"i": i, "plan": "pro"},
            "context": {"library": {"name": "bench", "version": "1.0"}},
            "timestamp": "2026-12-02T10:00:00.000Z",
            "receivedAt": "2026-12-02T10:00:00.000Z",
        }
        for i in range(first, first + ENTRY_SIZE)
    ]


class Plans:
    """Adds up the counters of the plans auto_explain sends as notices, by phase."""

    def __init__(self) -> None:
        self.phase = ""
        self.totals: dict[str, dict[str, int]] = {}

    def notice(self, diagnostic: psycopg.errors.Diagnostic) -> None:
        text = diagnostic.message_primary or ""
        start = text.find("{")
        if not self.phase or start < 0:
            return
        plan = json.loads(text[start:])["Plan"]
        totals = self.totals.setdefault(self.phase, dict.fromkeys(COUNTERS, 0))
        for name, key in COUNTERS.items():
            totals[name] += int(plan.get(key, 0))


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def destination_create() -> Any:
    from delivery.services import destination_create, source_create
    from workspace.audit import SYSTEM
    from workspace.models import Workspace

    workspace = Workspace.objects.create(slug="bench", name="Bench")
    source = source_create(workspace=workspace, actor=SYSTEM, name="bench")
    return destination_create(
        kind="webhook",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        name="receiver",
        settings={"url": "http://127.0.0.1:9/hook"},
    )


def events_push(destination: Any, prefix: str, plans: Plans | None) -> None:
    """EVENTS events through the outbox, the fan-out and the outcome record."""
    from django.utils import timezone

    from delivery.ingest.outbox import outbox_process
    from delivery.ledger.outcomes import Outcome
    from delivery.ledger.rows import deliveries_record
    from delivery.models import OutboxEntry

    def phase(name: str) -> None:
        if plans is not None:
            plans.phase = name

    for first in range(0, EVENTS, ENTRY_SIZE):
        phase("outbox_insert")
        now = timezone.now()
        entry = OutboxEntry.objects.create(
            id=uuid.uuid4(),
            source_id=destination.source_id,
            events=events_of(prefix, first),
            created_at=now,
            dispatched_at=now,
        )
        phase("fan_out")
        fanned = outbox_process(entry_id=entry.id)
        rows = fanned.claimed[destination.pk] if fanned.claimed else []
        phase("outcome_record")
        outcomes = [Outcome("delivered") for _ in rows]
        deliveries_record(destination=destination, rows=rows, outcomes=outcomes, token=fanned.token)
    phase("")


def per_event(value: float) -> float:
    return round(value / EVENTS, 4)


def main() -> None:
    database_prepare()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    destination = destination_create()
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    before = backend_cpu_seconds(pid)
    client_before = sum(os.times()[:2])
    events_push(destination, "cpu", None)
    cpu = backend_cpu_seconds(pid) - before
    client_cpu = sum(os.times()[:2]) - client_before

    plans = Plans()
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        for statement in AUTO_EXPLAIN:
            cursor.execute(statement)
    connection.connection.add_notice_handler(plans.notice)
    events_push(destination, "wal", plans)

    everything = dict.fromkeys(COUNTERS, 0)
    for totals in plans.totals.values():
        for name in COUNTERS:
            everything[name] += totals[name]
    print(
        json.dumps(
            {
                "events": EVENTS,
                "events_per_entry": ENTRY_SIZE,
                "backend_cpu_ms_per_event": round(cpu * 1000 / EVENTS, 4),
                "client_cpu_ms_per_event": round(client_cpu * 1000 / EVENTS, 4),
                **{f"{name}_per_event": per_event(n) for name, n in everything.items()},
                "by_phase_per_event": {
                    phase: {name: per_event(n) for name, n in totals.items()}
                    for phase, totals in plans.totals.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
