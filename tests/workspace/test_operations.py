"""Health, readiness, metrics and structured logs."""

import base64
import json
import logging
import shutil
import subprocess

import pytest
from django.http import HttpResponse
from django.utils import timezone

from tests.delivery.conftest import free_port, port_open, unavailable
from workspace.operations import health
from workspace.operations.heartbeat import heartbeat_record
from workspace.operations.logs import RequestLogMiddleware

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_recent_worker_heartbeat(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    heartbeat_record(hostname="worker1@host")
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["worker"]["workers"] == ["worker1@host"]
    assert {"database", "broker", "worker"} <= set(body["checks"])


def test_readyz_is_503_without_a_recent_worker(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    from workspace.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(
        hostname="old@host", seen_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_readyz_goes_503_when_redis_stops(client, settings):
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if port_open("127.0.0.1", port):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
        heartbeat_record(hostname="worker1@host")
        assert client.get("/readyz").status_code == 200
        server.kill()
        server.wait(10)
        health.redis_client.cache_clear()
        response = client.get("/readyz")
        assert response.status_code == 503
        broker = response.json()["checks"]["broker"]
        assert broker["ok"] is False and "Connection" in broker["error"]
    finally:
        server.kill()
        health.redis_client.cache_clear()


def test_metrics_is_refused_to_other_hosts_without_the_token(client, settings):
    settings.FUNCTIONS_METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_metrics_with_a_token_needs_it(client, settings):
    settings.FUNCTIONS_METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-metrics"
    )
    assert response.status_code == 200
    text = response.content.decode()
    for name in (
        "functions_events_ingested_total",
        "functions_ledger_pending_rows",
        "functions_retries_due",
        "functions_outbox_backlog",
        "functions_outbox_oldest_age_seconds",
        "functions_live_workers",
        "functions_handler_run_seconds",
        "functions_webhook_request_seconds",
    ):
        assert name in text


def test_metrics_count_ingested_events(client, settings, workspace):
    from delivery.services import source_create
    from workspace.audit import SYSTEM
    from workspace.operations.metrics import EVENTS_INGESTED

    settings.CELERY_TASK_ALWAYS_EAGER = False
    source = source_create(workspace=workspace, actor=SYSTEM, name="web")
    before = EVENTS_INGESTED.labels("refused")._value.get()
    response = client.post(
        "/v1/track",
        data=json.dumps({"userId": "u1"}),  # no `event`: refused
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{source.write_key}:".encode()).decode(),
    )
    assert response.status_code == 400
    assert EVENTS_INGESTED.labels("refused")._value.get() == before + 1


def test_request_log_is_one_json_line_without_query_or_payload(rf, settings):
    from pythonjsonlogger.json import JsonFormatter

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("functions.requests")
    logger.addHandler(handler)
    try:
        middleware = RequestLogMiddleware(lambda request: HttpResponse(status=201))
        middleware(rf.post("/v1/track?writeKey=wk_secret", data={"password": "hunter2"}))
    finally:
        logger.removeHandler(handler)
    assert len(records) == 1
    line = JsonFormatter("%(message)s").format(records[0])
    data = json.loads(line)
    assert data["path"] == "/v1/track" and data["status"] == 201 and data["method"] == "POST"
    assert "wk_secret" not in line and "hunter2" not in line


def test_metrics_sum_the_counters_of_several_processes(tmp_path):
    """Multiprocess mode (what `make serve` sets): each process writes its own file and a
    scrape from any process sums them."""
    import os
    import subprocess
    import sys

    from django.db import connection

    from tests.delivery.conftest import database_url

    if connection.vendor != "postgresql":
        pytest.skip("the scraping process reads the test database through DATABASE_URL")
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path), DATABASE_URL=database_url())
    bump = (
        "import django; django.setup()\n"
        "from workspace.operations.metrics import events_counted\n"
        "events_counted(accepted=5, refused=1)\n"
    )
    for _ in range(3):
        subprocess.run([sys.executable, "-c", bump], env=env, check=True)
    scrape = (
        "import django; django.setup()\n"
        "from prometheus_client import generate_latest\n"
        "from workspace.operations.metrics_view import _registry\n"
        "text = generate_latest(_registry()).decode()\n"
        "print([l for l in text.splitlines() if l.startswith('functions_events_ingested_total')])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True
    )
    lines = done.stdout
    assert 'functions_events_ingested_total{result="accepted"} 15.0' in lines
    assert 'functions_events_ingested_total{result="refused"} 3.0' in lines


def test_observations_recorded_together_are_those_observe_records():
    """The webhook sender adds a batch's request latencies to the histogram at once
    (`observed_together`, reading the Histogram's own fields): the samples are the ones
    observe() gives, bounds included (an amount equal to a bound is in that bucket)."""
    from prometheus_client import CollectorRegistry, Histogram

    from workspace.operations.metrics import observed_together

    amounts = [0.0, 0.004, 0.01, 0.0100001, 0.3, 2.5, 7.0, 11.0, 1e9]
    buckets = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
    one, together = (
        Histogram("h", "h", ["outcome"], buckets=buckets, registry=CollectorRegistry())
        for _ in range(2)
    )
    for amount in amounts:
        one.labels("2xx").observe(amount)
    observed_together(together.labels("2xx"), amounts)
    observed_together(together.labels("2xx"), [])

    def samples(histogram):
        return [
            (s.name, s.labels, s.value)
            for metric in histogram.collect()
            for s in metric.samples
            if not s.name.endswith("_created")
        ]

    assert samples(together) == samples(one)
