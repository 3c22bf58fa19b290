"""Runs a request in this process: warm context, driver loop, re-runs after a kill."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from functions.runtime.config import RuntimeConfig, load_config
from functions.runtime.contexts import context_key, warm_contexts
from functions.runtime.errors import (
    SandboxKilled,
    ScriptError,
    internal_error,
    memory_error,
    status_of_kill,
    timeout_error,
)
from functions.runtime.fetch import FetchSession
from functions.runtime.invocation import Job, Progress, invoke
from functions.runtime.output_cap import cap_result
from functions.runtime.redaction import redact_run
from functions.runtime.results import EventResult, RunResult
from workspace.operations.metrics import run_observed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRequest:
    code: str
    kind: str
    events: list[dict[str, Any]]
    settings: dict[str, Any]
    batch: bool
    cache_key: str | None
    timeout_ms: int | None
    sensitive_values: tuple[str, ...]
    max_output_bytes: int | None = None
    # Kills the re-runs after a limit may spend (RERUN_KILL_BUDGET when None).
    kill_budget: int | None = None


def _kill_error(killed: SandboxKilled, config: RuntimeConfig, timeout_ms: int) -> dict[str, str]:
    if killed.kind == "timeout":
        return timeout_error(timeout_ms)
    if killed.kind == "memory":
        return memory_error(config.memory_mb)
    return {"type": "Error", "message": str(killed)}


async def execute(request: RunRequest) -> RunResult:
    started = time.perf_counter()
    config = load_config()
    try:
        kills = RERUN_KILL_BUDGET if request.kill_budget is None else request.kill_budget
        result = await _run(request, config, _Budget(kills))
    except Exception as exc:  # a run must end in statuses, never in a crashed task
        logger.exception("function run failed inside the runtime")
        result = RunResult.failed(len(request.events), "bad_request", internal_error(exc))
    elapsed = time.perf_counter() - started
    result.duration_ms = round(elapsed * 1000, 3)
    # Returned events alone (no logs, requests or errors) hold nothing to count or redact.
    statuses = [] if result.returned is not None else [r.status for r in result.results]
    run_observed(seconds=elapsed, statuses=statuses, contexts=len(warm_contexts))
    if result.returned is None:
        result = redact_run(result, request.sensitive_values)
    if request.max_output_bytes is not None:
        # Here, in the process that ran the code: a huge event never crosses the pipe.
        result = cap_result(result, request.max_output_bytes)
    return result


# Kills a run may spend re-running the events a limit stopped, whatever its size: with one
# event re-run at a time, a 500-event chunk of a handler spinning on every event cost 500
# time limits (~42 minutes at 5 s). Halving finds one spinning event among 500 in 9 kills;
# what the budget cannot isolate is handed back as a retry, not run.
RERUN_KILL_BUDGET = 10


@dataclass
class _Budget:
    kills: int = RERUN_KILL_BUDGET


async def _run(
    request: RunRequest, config: RuntimeConfig, budget: _Budget | None = None
) -> RunResult:
    timeout_ms = request.timeout_ms or config.timeout_ms
    config = replace(config, timeout_ms=timeout_ms)
    job = Job(request.kind, request.events, request.settings, request.batch, timeout_ms)
    key = (
        context_key(request.cache_key, request.code, request.settings)
        if request.cache_key
        else None
    )
    budget = budget or _Budget()
    try:
        async with warm_contexts.version(key, request.code, config) as contexts:
            session = FetchSession(config)
            try:
                progress = await invoke(contexts, job, config, session)
            finally:
                await session.aclose()
    except ScriptError as exc:
        return RunResult.failed(len(job.events), exc.status, exc.error)
    except SandboxKilled as killed:
        return await _after_kill(request, Progress(killed=killed), config, budget)
    if progress.killed is not None:
        return await _after_kill(request, progress, config, budget)
    return _assemble(job, progress)


async def _after_kill(
    request: RunRequest, progress: Progress, config: RuntimeConfig, budget: _Budget
) -> RunResult:
    """A limit stopped V8 mid-batch: re-run the unsettled events in halves (each half
    halved again when a limit stops it), so that only an event that hits the limit alone
    is marked, and the kills spent stay within the run's budget."""
    killed = progress.killed
    assert killed is not None
    budget.kills -= 1
    job = Job(request.kind, request.events, request.settings, request.batch, config.timeout_ms)
    unsettled = progress.unsettled(len(request.events))
    if len(unsettled) == 1 and len(request.events) == 1:
        error = _kill_error(killed, config, config.timeout_ms)
        progress.settled[0] = {
            "i": 0,
            "status": status_of_kill(killed.kind),
            "error": error,
            "output": None,
        }
        return _assemble(job, progress)
    assembled = _assemble(job, progress)
    middle = (len(unsettled) + 1) // 2
    for half in (unsettled[:middle], unsettled[middle:]):
        if not half:
            continue
        if budget.kills <= 0:
            for i in half:
                assembled.results[i] = _not_run()
            continue
        part = replace(request, events=[request.events[i] for i in half])
        for i, result in zip(half, (await _run(part, config, budget)).results, strict=True):
            assembled.results[i] = result
    _rebuild_totals(assembled, progress)
    return assembled


def _not_run() -> EventResult:
    error = {
        "type": "RetryError",
        "message": "not run: other events of its batch used up the time limits of this run",
    }
    return EventResult("retry", error, None, [], [])


def _event_result(
    item: dict[str, Any] | None, logs: list[str], requests: list[dict[str, Any]]
) -> EventResult:
    item = item or {"status": "bad_request", "error": None, "output": None}
    error = item.get("error")
    if error:
        error = dict(error)
        stack = error.pop("stack", "")
        if stack and item["status"] == "bad_request":
            # The error keeps {type, message}; the user's own frames go to the logs.
            logs = [*logs, f"{error['type']}: {error['message']}\n{stack}"]
    return EventResult(item["status"], error, item.get("output"), logs, requests)


def _assemble(job: Job, progress: Progress) -> RunResult:
    shared_logs = progress.logs.get("batch", []) if job.batch else []
    shared_requests = progress.requests.get("batch", []) if job.batch else []
    # Logs and requests keyed by event, when there are any (a batch seldom has).
    per_event = any(slot not in ("run", "batch") for slot in [*progress.logs, *progress.requests])
    if progress.in_order is not None:
        # Every event returned an event, in order, and nothing was logged or fetched.
        return RunResult(returned=progress.in_order)
    settled, succeeded = progress.settled, progress.succeeded
    count = len(job.events)
    if not (progress.logs or progress.requests or settled) and len(succeeded) == count:
        results = [EventResult("success", None, None, (), (), succeeded[i]) for i in range(count)]
        return RunResult(results=results, logs=[], requests=[])
    results = []
    for i in range(count):
        if per_event:
            key = str(i)
            own_logs, own_requests = progress.logs.get(key), progress.requests.get(key)
            logs = [*shared_logs, *own_logs] if own_logs else list(shared_logs)
            requests = [*shared_requests, *own_requests] if own_requests else list(shared_requests)
        else:
            logs, requests = list(shared_logs), list(shared_requests)
        item = settled.get(i)
        if item is None and i in succeeded:
            results.append(EventResult("success", None, None, logs, requests, succeeded[i]))
        else:
            results.append(_event_result(item, logs, requests))
    result = RunResult(results=results)
    _rebuild_totals(result, progress)
    return result


def _rebuild_totals(result: RunResult, progress: Progress) -> None:
    logs = [*progress.logs.get("run", []), *progress.logs.get("batch", [])]
    requests = [*progress.requests.get("run", []), *progress.requests.get("batch", [])]
    shared_logs = len(progress.logs.get("batch", [])) if progress.logs.get("batch") else 0
    shared_requests = (
        len(progress.requests.get("batch", [])) if progress.requests.get("batch") else 0
    )
    for event in result.results:
        # Batch-level lines are already counted once above.
        if event.logs:
            logs.extend(event.logs[shared_logs:])
        if event.requests:
            requests.extend(event.requests[shared_requests:])
    result.logs, result.requests = logs, requests
