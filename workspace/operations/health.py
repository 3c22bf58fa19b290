"""`/healthz`: the process answers. `/readyz`: the database, the broker and a recent worker
heartbeat; each part's state in the JSON, 503 when one is not ready. Both unauthenticated,
cheap (one query, one broker round trip, one query) and never cached."""

import functools
import os
import time
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from workspace.operations.heartbeat import live_workers


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        state = {"ok": True, **check()}
    except Exception as error:  # any failure is the answer, not a 500
        state = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    state["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return state


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


@functools.cache
def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _broker() -> dict[str, Any]:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        redis_client(url).ping()
        return {"transport": "redis"}
    # The embedded default's file-system broker: its folder must be writable.
    folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
    if not os.access(folder, os.W_OK):
        raise RuntimeError(f"broker folder {folder} is not writable")
    return {"transport": "filesystem"}


def _worker() -> dict[str, Any]:
    workers = live_workers()
    if not workers:
        raise RuntimeError("no worker heartbeat seen recently")
    return {"workers": workers}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _timed(_database), "broker": _timed(_broker)}
    checks["worker"] = (
        _timed(_worker)
        if checks["database"]["ok"]
        else {"ok": False, "error": "database unavailable"}
    )
    ready = all(part["ok"] for part in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
