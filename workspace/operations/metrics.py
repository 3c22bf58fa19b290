"""Prometheus metrics: what an operator alerts on.

Counters and histograms are kept per process; with several processes (gunicorn workers,
Celery's prefork pool) `PROMETHEUS_MULTIPROC_DIR` must name an empty folder shared by all of
them (`make serve` sets it), and the scrape sums the processes' files. Backlogs are read
from the database and the broker at scrape time, so every web process answers the same."""

from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

EVENTS_INGESTED = Counter(
    "functions_events_ingested",
    "Events the tracking API accepted or refused",
    ["result"],
)
DELIVERIES = Counter(
    "functions_deliveries",
    "Delivery outcomes recorded, by status and destination kind",
    ["status", "kind"],
)
HANDLER_SECONDS = Histogram(
    "functions_handler_run_seconds",
    "Time of one runtime call (a batch of events) in V8",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HANDLER_TIMEOUTS = Counter("functions_handler_timeouts", "Handler invocations over their limit")
WEBHOOK_SECONDS = Histogram(
    "functions_webhook_request_seconds",
    "Webhook request latency, by outcome",
    ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
V8_CONTEXTS = Gauge("functions_v8_contexts", "Warm V8 contexts held", multiprocess_mode="livesum")
V8_HEAP_BYTES = Gauge(
    "functions_v8_heap_bytes", "V8 heap used by warm contexts", multiprocess_mode="livesum"
)


def observed_together(child: Any, amounts: list[float]) -> None:
    """`child.observe(amount)` for each of `amounts` (a labelled Histogram child), as one
    update per bucket: observe() takes a value's lock twice and walks the buckets in Python
    for every amount (1.4 us a webhook request, once per request). Reads the Histogram's
    own fields (`_upper_bounds`, `_buckets`, `_sum`), of the prometheus-client version
    pinned in pyproject.toml; a test checks the samples are those observe() gives."""
    if not amounts:
        return
    child._sum.inc(sum(amounts))
    buckets = child._buckets
    # observe() counts an amount in the first bucket whose bound is not below it.
    for index, count in Tally(map(partial(bisect_left, child._upper_bounds), amounts)).items():
        buckets[index].inc(count)


def events_counted(*, accepted: int = 0, refused: int = 0) -> None:
    if accepted:
        EVENTS_INGESTED.labels("accepted").inc(accepted)
    if refused:
        EVENTS_INGESTED.labels("refused").inc(refused)


def deliveries_counted(*, kind: str, statuses: Iterable[str]) -> None:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    for status, count in counts.items():
        DELIVERIES.labels(status, kind).inc(count)


def run_observed(*, seconds: float, statuses: Iterable[str], contexts: int) -> None:
    HANDLER_SECONDS.observe(seconds)
    timeouts = sum(1 for status in statuses if status == "timeout")
    if timeouts:
        HANDLER_TIMEOUTS.inc(timeouts)
    V8_CONTEXTS.set(contexts)


class BacklogCollector(Collector):
    """Gauges read at scrape time: retries due, pending ledger rows, the outbox backlog and its
    oldest age, broker queue lengths, live workers."""

    def describe(self) -> list[Any]:
        # Registering must not query the database (it happens at import, before migrations).
        return []

    def collect(self) -> Iterator[Any]:
        from workspace.operations.backlog import backlog

        for name, help_text, value, labels in backlog():
            family = GaugeMetricFamily(name, help_text, labels=list(labels))
            family.add_metric(list(labels.values()), value)
            yield family
