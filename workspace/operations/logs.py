"""Structured logs: one line per HTTP request and one per task outcome, with ids and never a
payload, a query string or a header value (they may carry write keys, tokens or secrets).

`LOG_FORMAT=json` (what `make serve` uses) writes one JSON object per line; `text` writes the
same fields readable by a person. `LOG_LEVEL` sets the level."""

import logging
import time
from collections.abc import Callable
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

requests_log = logging.getLogger("functions.requests")
tasks_log = logging.getLogger("functions.tasks")

_TASK_STARTS: dict[str, float] = {}


class RequestLogMiddleware:
    """One line per request: method, path without its query, status, duration, user id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        workspace = getattr(request, "workspace", None)
        requests_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": getattr(user, "pk", None),
                "workspace_id": getattr(workspace, "pk", None),
            },
        )
        return response


@task_prerun.connect
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _TASK_STARTS[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(
    task_id: str | None = None,
    task: Any = None,
    args: Any = None,
    retval: Any = None,
    state: str | None = None,
    **_: Any,
) -> None:
    started = _TASK_STARTS.pop(task_id or "", None)
    tasks_log.info(
        "task",
        extra={
            "task": getattr(task, "name", None),
            "task_id": task_id,
            "state": state,
            # Pipeline tasks take ids only (outbox entry, destination, lease token).
            "ids": [str(a)[:64] for a in args or ()],
            "result": retval if isinstance(retval, int | float) else None,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        },
    )


def deliveries_logged(
    *, workspace_id: str, destination_id: str, function_id: str | None, outcomes: list[Any]
) -> None:
    """One line per attempted batch of a destination: counts per status, and the messageIds
    of the events that did not get through (at most 20)."""
    counts: dict[str, int] = {}
    failed: list[str] = []
    for message_id, status in outcomes:
        counts[status] = counts.get(status, 0) + 1
        if status not in {"delivered", "filtered", "filtered_by_destination_filter"}:
            failed.append(str(message_id)[:200])
    tasks_log.info(
        "deliveries",
        extra={
            "workspace_id": workspace_id,
            "destination_id": destination_id,
            "function_id": function_id,
            "statuses": counts,
            "message_ids_not_delivered": failed[:20],
        },
    )


class TextFormatter(logging.Formatter):
    """`LOG_FORMAT=text`: the message, then the structured fields as key=value."""

    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in self._STANDARD}
        if extra:
            line += " " + " ".join(f"{key}={value}" for key, value in extra.items())
        return line
