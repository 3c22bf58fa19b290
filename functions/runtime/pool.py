"""Subprocess pool for isolated=True: V8 never runs in the calling (web) process.

A worker that dies (V8 aborts the process on some allocations) or stops answering is
reported as the run's error and replaced; the pool keeps serving.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from functions.runtime.config import load_config
from functions.runtime.errors import timeout_error
from functions.runtime.executor import RunRequest
from functions.runtime.results import RunResult

# Time a worker gets beyond the run's own limits (process start-up, re-runs).
GRACE_S = 10.0
ROOT = Path(__file__).resolve().parents[2]


class _Worker:
    def __init__(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "functions.runtime.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            env=env,
            cwd=str(ROOT),
        )
        self.answers: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(line)
        self.answers.put(None)

    def ask(self, request: dict[str, Any], timeout_s: float) -> str | None:
        """The answer line; None if the process died; raises queue.Empty on timeout."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self.answers.get(timeout=timeout_s)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


class WorkerPool:
    def __init__(self, size: int) -> None:
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.slots = threading.Semaphore(size)

    def run(self, request: RunRequest) -> RunResult:
        with self.slots:
            worker = self._take()
            try:
                result = self._ask(worker, request)
            except BaseException:
                worker.kill()
                raise
            if worker.process.poll() is None:
                self.idle.put(worker)
            return result

    def _take(self) -> _Worker:
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                return _Worker()
            if worker.process.poll() is None:
                return worker

    def _ask(self, worker: _Worker, request: RunRequest) -> RunResult:
        config = load_config()
        timeout_ms = request.timeout_ms or config.timeout_ms
        # Re-runs after a kill may take one time limit per event.
        budget = timeout_ms / 1000 * (len(request.events) + 1) + GRACE_S
        try:
            line = worker.ask(_payload(request), budget)
        except queue.Empty:
            worker.kill()
            return RunResult.failed(len(request.events), "timeout", timeout_error(timeout_ms))
        if line is None:
            code = worker.process.wait()
            return _after_crash(self, request, code)
        return RunResult.from_wire(json.loads(line)["result"])

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait().kill()


def _payload(request: RunRequest) -> dict[str, Any]:
    payload = asdict(request)
    payload["sensitive_values"] = list(request.sensitive_values)
    return payload


def _after_crash(pool: WorkerPool, request: RunRequest, exit_code: int) -> RunResult:
    """Re-run a crashed batch event by event so only the guilty event is marked."""
    if len(request.events) > 1:
        results = [pool.run(_single(request, event)).results[0] for event in request.events]
        return RunResult(
            results=results,
            logs=[line for r in results for line in r.logs],
            requests=[q for r in results for q in r.requests],
        )
    error = {
        "type": "RuntimeCrash",
        "message": f"The function's process died (exit code {exit_code}); "
        "it probably exceeded a hard memory limit",
    }
    return RunResult.failed(1, "bad_request", error)


def _single(request: RunRequest, event: dict[str, Any]) -> RunRequest:
    from dataclasses import replace

    return replace(request, events=[event])


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def run_isolated(request: RunRequest) -> RunResult:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool(load_config().pool_size)
    return _pool.run(request)
