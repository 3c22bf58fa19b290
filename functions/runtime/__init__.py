"""The function runtime: users' JavaScript handlers in V8 (mini-racer), fast in batches.

Nothing here starts V8 or a thread at import time; the first run does, so a process
that forks afterwards never inherits them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from functions.runtime.results import STATUSES, EventResult, RunResult

__all__ = ["STATUSES", "EventResult", "RunResult", "run_function", "warm"]

KINDS = ("insert", "destination")


def run_function(
    *,
    code: str,
    kind: str,
    events: list[dict[str, Any]],
    settings: dict[str, Any],
    batch: bool = False,
    cache_key: str | None = None,
    timeout_ms: int | None = None,
    sensitive_values: Iterable[str] = (),
    isolated: bool = False,
    max_output_bytes: int | None = None,
    kill_budget: int | None = None,
) -> RunResult:
    """Run `code`'s handlers on `events`. An insert's returned events come back as the text
    JSON.stringify wrote (`EventResult.output_json`), parsed when `output` is first read.

    isolated=True runs in a subprocess pool (for the web process, where V8 must never
    run); otherwise in this process, on the runtime's own thread. max_output_bytes caps
    each returned event (and cuts overlong log lines and trace fields) for display.
    kill_budget bounds how many times a limit may stop the run (its re-runs included):
    events left unrun are answered `retry` with a "not run" RetryError.
    """
    from functions.runtime.executor import RunRequest

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    request = RunRequest(
        code=code,
        kind=kind,
        events=list(events),
        settings=dict(settings or {}),
        batch=batch,
        cache_key=cache_key,
        timeout_ms=timeout_ms,
        sensitive_values=tuple(v for v in sensitive_values if isinstance(v, str)),
        max_output_bytes=max_output_bytes,
        kill_budget=kill_budget,
    )
    if not request.events:
        return RunResult(results=[])
    if isolated:
        from functions.runtime.pool import run_isolated

        return run_isolated(request)
    from functions.runtime.executor import execute
    from functions.runtime.loop import run_on_loop

    return run_on_loop(execute(request))


def warm() -> None:
    """Get this process's runtime ready ahead of its first run, without waiting for it: the
    executor's modules imported, the runtime's thread and loop started, and its pre-warmed
    blank contexts (prelude loaded) built on that thread in the background. For a process
    that will run functions (a Celery worker's pool process, after its fork): its first
    task otherwise paid for all of it, about 0.1 s of a 500-event task's 0.18 s."""
    from functions.runtime.config import load_config
    from functions.runtime.executor import execute  # noqa: F401  (imported now, not in a task)
    from functions.runtime.loop import runtime_loop
    from functions.runtime.prewarm import prewarmed

    runtime_loop().call_soon_threadsafe(prewarmed.refill, load_config())
