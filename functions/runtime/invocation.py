"""The Python half of the driver loop: one crossing into V8 per step, I/O in between.

`start` runs every handler's synchronous part inside V8; each `step` returns what the
handlers produced since the previous one (settled events, fetches, timers, logs) and
delivers the responses of one slot, so their continuations (and their console output)
run attributed to the right event.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from typing import Any

from functions.runtime.config import RuntimeConfig
from functions.runtime.errors import SandboxKilled
from functions.runtime.fetch import FetchSession, perform_fetch
from functions.runtime.protocol import parse_step, timer_delay_ms
from functions.runtime.sandbox import Sandbox, fresh_seed

NEVER_FINISHED = {
    "type": "Error",
    "message": "The handler never finished: it awaited a promise that nothing will settle",
}


@dataclass
class Job:
    kind: str
    events: list[dict[str, Any]]
    settings: dict[str, Any]
    batch: bool
    timeout_ms: int


@dataclass
class Progress:
    settled: dict[int, dict[str, Any]] = field(default_factory=dict)
    logs: dict[str, list[str]] = field(default_factory=dict)
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    killed: SandboxKilled | None = None

    def unsettled(self, count: int) -> list[int]:
        return [i for i in range(count) if i not in self.settled]


def _js_call(function: str, payload: dict[str, Any]) -> str:
    # A JSON text is a valid JS string literal; JSON.parse inside V8 beats an object literal.
    return (
        f"__functions_driver.{function}({json.dumps(json.dumps(payload, separators=(',', ':')))})"
    )


class _Run:
    def __init__(self, sandbox: Sandbox, job: Job, config: RuntimeConfig, session: FetchSession):
        self.sandbox, self.job, self.config, self.session = sandbox, job, config, session
        self.progress = Progress()
        self.tasks: set[asyncio.Task[tuple[str, dict[str, Any], dict[str, Any] | None]]] = set()
        self.ready: dict[str, list[dict[str, Any]]] = {}
        self.gate = asyncio.Semaphore(max(config.fetch_concurrency, 1))
        loop = asyncio.get_running_loop()
        self.clock = loop.time
        # CPU inside one crossing is held to the time limit; waiting on I/O gets one time
        # limit per wave of concurrent fetches, so a big batch is not cut short.
        waves = math.ceil(len(job.events) / max(config.fetch_concurrency, 1)) or 1
        self.cpu_s = job.timeout_ms / 1000
        self.deadline = self.clock() + self.cpu_s * waves

    def remaining(self) -> float:
        return self.deadline - self.clock()

    async def call(self, function: str, payload: dict[str, Any]) -> Any:
        budget = min(self.cpu_s, self.remaining())
        if budget <= 0:
            raise SandboxKilled("timeout", "time limit")
        return await self.sandbox.evaluate(_js_call(function, payload), budget)

    async def execute(self) -> Progress:
        try:
            await self.call("start", self._start_payload())
            await self._loop()
            if any(_out_of_memory(item) for item in self.progress.settled.values()):
                # What the function still holds (up to the limit) is freed with it.
                self.sandbox.broken = True
        except SandboxKilled as killed:
            if killed.kind == "crash":
                # The function changed what the driver relies on: never reuse the context.
                self.sandbox.broken = True
            self.progress.killed = killed
        finally:
            for task in self.tasks:
                task.cancel()
        return self.progress

    def _start_payload(self) -> dict[str, Any]:
        job, config = self.job, self.config
        return {
            "events": job.events,
            "settings": job.settings,
            "kind": job.kind,
            "batch": job.batch,
            "seed": fresh_seed(),
            "limits": {"maxFetches": config.max_fetches, "logLimit": config.log_limit_bytes},
        }

    async def _loop(self) -> None:
        deliver: list[dict[str, Any]] = []
        while True:
            out = parse_step(
                await self.call("step", {"seed": fresh_seed(), "resolutions": deliver}),
                len(self.tasks),
            )
            self._absorb(out)
            if len(self.progress.settled) >= len(self.job.events):
                return
            delivered, deliver = bool(deliver), self._take_ready()
            if deliver or delivered:
                # What a delivery set off shows up in the next step's output.
                continue
            if not self.tasks:
                return self._settle_rest("bad_request", NEVER_FINISHED)
            if not await self._wait_for_io():
                return self._settle_rest("timeout", _io_timeout(self.job.timeout_ms))
            deliver = self._take_ready()

    def _absorb(self, out: dict[str, Any]) -> None:
        for item in out["settled"]:
            self.progress.settled[int(item["i"])] = item
        for slot, lines in out["logs"].items():
            self.progress.logs.setdefault(str(slot), []).extend(lines)
        for spec in out["fetches"]:
            self._spawn(str(spec["slot"]), self._fetch(spec))
        for timer in out["timers"]:
            self._spawn(str(timer["slot"]), self._timer(timer))

    def _spawn(self, slot: str, coro: Any) -> None:
        async def tagged() -> tuple[str, dict[str, Any], dict[str, Any] | None]:
            resolution, trace = await coro
            return slot, resolution, trace

        self.tasks.add(asyncio.ensure_future(tagged()))

    async def _fetch(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        async with self.gate:
            return await perform_fetch(self.session, spec, self.remaining())

    async def _timer(self, timer: dict[str, Any]) -> tuple[dict[str, Any], None]:
        await asyncio.sleep(timer_delay_ms(timer.get("delay")) / 1000)
        return {"kind": "timer", "id": timer["id"]}, None

    async def _wait_for_io(self) -> bool:
        if self.remaining() <= 0:
            return False
        done, _ = await asyncio.wait(
            self.tasks, timeout=self.remaining(), return_when=asyncio.FIRST_COMPLETED
        )
        return bool(done)

    def _take_ready(self) -> list[dict[str, Any]]:
        finished = [task for task in self.tasks if task.done()]
        for task in finished:
            self.tasks.discard(task)
            slot, resolution, trace = task.result()
            self.ready.setdefault(slot, []).append(resolution)
            if trace is not None:
                self.progress.requests.setdefault(slot, []).append(trace)
        if not self.ready:
            return []
        slot = next(iter(self.ready))
        return self.ready.pop(slot)

    def _settle_rest(self, status: str, error: dict[str, str]) -> None:
        for i in self.progress.unsettled(len(self.job.events)):
            self.progress.settled[i] = {
                "i": i,
                "status": status,
                "error": dict(error),
                "output": None,
            }


def _out_of_memory(item: dict[str, Any]) -> bool:
    return (item.get("error") or {}).get("type") == "MemoryLimitExceeded"


def _io_timeout(timeout_ms: int) -> dict[str, str]:
    return {"type": "Timeout", "message": f"The function did not finish within {timeout_ms} ms"}


async def invoke(
    sandbox: Sandbox, job: Job, config: RuntimeConfig, session: FetchSession
) -> Progress:
    return await _Run(sandbox, job, config, session).execute()
