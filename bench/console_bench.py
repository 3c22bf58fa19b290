"""Event Delivery at scale: 1,000,000 ledger rows in PostgreSQL (a week of one busy
destination plus others), then the time of the delivery-metrics query per window, the
failure breakdown, the filtered list, and the whole Event Delivery page rendered for a
signed-in owner. Prints ONE JSON object with p50/p99 in ms."""

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
from pipeline_bench import ROOT, bench_env

ROWS = int(os.environ.get("CONSOLE_BENCH_ROWS", "1000000"))
RUNS = int(os.environ.get("CONSOLE_BENCH_RUNS", "15"))

SETUP = """
from delivery.services import source_create, destination_create
from workspace.audit import SYSTEM
from workspace.models import Workspace, Role
from workspace.services import membership_grant
from django.contrib.auth.models import User
ws = Workspace.objects.create(slug="bench", name="Bench")
src = source_create(workspace=ws, actor=SYSTEM, name="bench")
busy = destination_create(kind="webhook", workspace=ws, actor=SYSTEM, source=src, name="busy",
    settings={"url": "https://example.com/in"})
quiet = destination_create(kind="webhook", workspace=ws, actor=SYSTEM, source=src, name="quiet",
    settings={"url": "https://example.com/other"})
user = User.objects.create_user("bench@example.com", "bench@example.com", "pw")
membership_grant(workspace=ws, user=user, role=Role.OWNER, actor=SYSTEM)
print(busy.pk, quiet.pk)
"""


def _fill(url: str, busy: str, quiet: str) -> None:
    """ROWS rows over the last 7 days: 90% on the busy destination, 10% on the quiet one;
    statuses as a real ledger has them (mostly delivered, some failures with messages)."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "INSERT INTO delivery_eventdelivery (workspace_id, destination_id, message_id, "
            "event_type, event, user_id, status, error_type, error_message, attempts, logs, "
            "requests, received_at, lease_token, created_at, updated_at) "
            "SELECT d.workspace_id, CASE WHEN g %% 10 = 0 THEN %s ELSE %s END, 'm-' || g, "
            "(ARRAY['track','identify','page'])[1 + g %% 3], "
            "jsonb_build_object('type','track','userId','u' || (g %% 5000),'event','Order')::text, "
            "'u' || (g %% 5000), "
            "CASE WHEN g %% 50 = 0 THEN 'failed' WHEN g %% 77 = 0 THEN 'message_rejected' "
            "WHEN g %% 13 = 0 THEN 'filtered' ELSE 'delivered' END, "
            "CASE WHEN g %% 50 = 0 THEN 'RetryError' WHEN g %% 77 = 0 THEN 'WebhookRejected' "
            "ELSE '' END, "
            "CASE WHEN g %% 50 = 0 THEN 'HTTP 503: unavailable' WHEN g %% 77 = 0 THEN "
            "'HTTP 400: bad payload ' || (g %% 7) ELSE '' END, 1, '[]'::jsonb, '[]'::jsonb, "
            "now() - (g * interval '604800 seconds' / %s), '', "
            "now() - (g * interval '604800 seconds' / %s), "
            "now() - (g * interval '604800 seconds' / %s) "
            "FROM delivery_destination d, generate_series(1, %s) g WHERE d.id = %s",
            [quiet, busy, ROWS, ROWS, ROWS, ROWS, busy],
        )
        db.execute("ANALYZE delivery_eventdelivery")


def _timed(run: Callable[[], Any]) -> dict[str, float]:
    run()  # warm
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p99_ms": round(times[-1], 1)}


def _measure(busy: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from delivery.console.deliveries_view import WINDOWS
    from delivery.ledger.rollups import rollups_advance
    from delivery.models import Destination
    from delivery.queries import delivery_metrics, event_deliveries, failure_breakdown

    destination = Destination.objects.get(pk=busy)
    now = timezone.now()
    figures: dict[str, Any] = {}
    began = time.perf_counter()
    # What beat does every 5 minutes, here for the whole week at once.
    rollups_advance(now=now, max_hours=24 * 8)
    figures["rollup_week_seconds"] = round(time.perf_counter() - began, 1)
    for name, (span, granularity) in WINDOWS.items():
        figures[f"metrics_{name}"] = _timed(
            lambda s=span, g=granularity: delivery_metrics(
                destination=destination, start=now - s, end=now, granularity=g
            )
        )
    figures["failures_week"] = _timed(
        lambda: failure_breakdown(destination=destination, start=now - WINDOWS["week"][0], end=now)
    )
    figures["list_failed_page"] = _timed(
        lambda: list(event_deliveries(destination=destination, status="failed")[:51])
    )
    figures["list_search_user"] = _timed(
        lambda: list(event_deliveries(destination=destination, search="u4242")[:51])
    )
    client = Client()
    client.force_login(User.objects.get(username="bench@example.com"))
    for name in WINDOWS:
        url = f"/admin/w/bench/destinations/{busy}/event-delivery/?window={name}"
        assert client.get(url).status_code == 200
        figures[f"page_{name}"] = _timed(lambda u=url: client.get(u))
    return figures


def main() -> None:
    env = dict(bench_env(), DJANGO_SECRET_KEY="bench-only-secret-key")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    # The page is rendered with the production static storage (hashed names).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    busy, quiet = done.stdout.strip().splitlines()[-1].split()
    began = time.perf_counter()
    _fill(env["DATABASE_URL"], busy, quiet)
    filled = time.perf_counter() - began
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    sys.path.insert(0, str(ROOT))
    figures = {"ledger_rows": ROWS, "fill_seconds": round(filled, 1), **_measure(busy)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
