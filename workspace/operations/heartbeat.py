"""Worker heartbeats: every worker's main process records itself every few seconds; a
worker not seen for `WORKER_HEARTBEAT_STALE_SECONDS` counts as gone for `/readyz`."""

import logging
from datetime import timedelta
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from workspace.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_record(*, hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )


def live_workers() -> list[str]:
    since = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    return list(
        WorkerHeartbeat.objects.filter(seen_at__gte=since)
        .order_by("hostname")
        .values_list("hostname", flat=True)
    )


def _beat(hostname: str) -> None:
    close_old_connections()
    try:
        heartbeat_record(hostname=hostname)
    except Exception:  # a database outage must not stop the worker's timer
        logger.warning("worker heartbeat not recorded", exc_info=True)


class HeartbeatStep(bootsteps.StartStopStep):
    """Runs on the worker's own timer (its main process), independent of the task pool."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        _beat(worker.hostname)
        self.tref = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, _beat, (worker.hostname,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
