"""The Python half of the driver loop: one crossing into V8 per step, I/O in between.

A context runs one invocation at a time, as one of the product's warm containers does:
`start` hands it its events and runs them in turn for as long as none needs I/O; each
`step` returns what happened since the previous one (settled events, fetches, timers,
logs) and delivers the responses of one slot. A batch's events overlap their I/O only
across contexts: a lane (one context) that waits on I/O with events still queued hands
some of them to new lanes, up to `contexts_per_version` contexts of the version.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

from functions.runtime.config import RuntimeConfig
from functions.runtime.contexts import VersionContexts
from functions.runtime.errors import SandboxKilled, ScriptError, timeout_error
from functions.runtime.fetch import FetchSession, _safe_trace_url, perform_fetch
from functions.runtime.protocol import dumps, loads, parse_start, parse_step, timer_delay_ms
from functions.runtime.sandbox import Sandbox, fresh_seed

# The step queued right behind `start` (see Sandbox.evaluate_pair): it collects what the
# start and its microtasks did and delivers nothing, so it needs no fresh seed (a
# constant script, compiled once).
FIRST_STEP = "__functions_driver.step('{\"resolutions\":[]}')"

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
    # Events that ended in any other way than an insert's success: {i, status, error,
    # output} by event number; insert successes are `succeeded`: the returned event's JSON
    # text by event number.
    settled: dict[int, dict[str, Any]] = field(default_factory=dict)
    succeeded: dict[int, str] = field(default_factory=dict)
    # The usual run, kept as the driver answered it: its every event, in order, returned
    # an event by the first step (the returned events' texts), and nothing else settled.
    # Then neither `succeeded` nor a lane's sets of open events is ever built (per event:
    # a dict entry and two set entries, ~10% of a 1000-event run's Python time).
    in_order: list[str] | None = None
    logs: dict[str, list[str]] = field(default_factory=dict)
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    killed: SandboxKilled | None = None

    def ended(self, i: int) -> bool:
        return self.in_order is not None or i in self.settled or i in self.succeeded

    def unsettled(self, count: int) -> list[int]:
        if self.in_order is not None:
            return []
        return [i for i in range(count) if not self.ended(i)]


# What a lane hands over: (event number in the run, event).
Share = list[tuple[int, dict[str, Any]]]


class _Batch:
    """One run: the lanes (contexts) its events are spread over, and what they share."""

    def __init__(
        self, contexts: VersionContexts, job: Job, config: RuntimeConfig, session: FetchSession
    ):
        self.contexts, self.job, self.config, self.session = contexts, job, config, session
        self.progress = Progress()
        self.gate = asyncio.Semaphore(max(config.fetch_concurrency, 1))
        self.lanes: set[asyncio.Task[None]] = set()
        self.active = 0

    async def execute(self) -> Progress:
        everything = list(enumerate(self.job.events))
        sandbox = await self.contexts.acquire(self.config)
        await self._lane(sandbox, everything, whole=True)
        while self.lanes:
            await asyncio.gather(*list(self.lanes), return_exceptions=True)
        return self.progress

    def room(self) -> int:
        """Lanes that could start now without waiting for a context."""
        per_run = max(self.config.contexts_per_version - self.active, 0)
        return min(per_run, self.contexts.spare(self.config))

    def spread(self, share: Share, lanes: int) -> None:
        for k in range(lanes):
            part = share[k::lanes]
            if part:
                self.active += 1
                task = asyncio.ensure_future(self._new_lane(part))
                self.lanes.add(task)
                task.add_done_callback(self.lanes.discard)

    async def _new_lane(self, share: Share) -> None:
        try:
            sandbox = await self.contexts.acquire(self.config)
        except ScriptError as exc:
            self.active -= 1
            for i, _ in share:
                self.progress.settled[i] = {
                    "i": i,
                    "status": exc.status,
                    "error": dict(exc.error),
                    "output": None,
                }
            return
        except SandboxKilled as killed:
            self.active -= 1
            self.progress.killed = self.progress.killed or killed
            return
        await self._lane(sandbox, share, counted=True)

    async def _lane(
        self, sandbox: Sandbox, share: Share, counted: bool = False, whole: bool = False
    ) -> None:
        if not counted:
            self.active += 1
        try:
            await _Lane(self, sandbox, share, whole).execute()
        finally:
            self.active -= 1
            await self.contexts.release(sandbox)


class _Lane:
    def __init__(self, batch: _Batch, sandbox: Sandbox, share: Share, whole: bool = False):
        self.batch, self.sandbox = batch, sandbox
        self.job, self.config, self.session = batch.job, batch.config, batch.session
        self.progress = batch.progress
        self.share = share
        # `whole`: the share is the run's every event, in order.
        self.whole = whole
        # The event numbers given to this lane, and of those, the ones not ended yet: built
        # when first needed (a whole lane whose first step ends everything never needs them).
        given = None if whole else {i for i, _ in share}
        self._mine: set[int] | None = given
        self._open: set[int] | None = None if given is None else set(given)
        self.tasks: set[asyncio.Task[tuple[str, dict[str, Any], dict[str, Any] | None]]] = set()
        self.in_flight: dict[asyncio.Task[Any], dict[str, Any]] = {}
        self.ready: dict[str, list[dict[str, Any]]] = {}
        self.gate = batch.gate
        self.clock = asyncio.get_running_loop().time
        self.cpu_s = self.job.timeout_ms / 1000
        # Each event gets the time limit from when it starts; the lane as a whole one
        # per event it was given (onBatch: one per wave of concurrent fetches).
        self.deadline = self.clock() + self.cpu_s * (len(share) + 1)
        self.running: int | None = None
        self.running_since = 0.0
        self.queued = 0

    @property
    def mine(self) -> set[int]:
        if self._mine is None:
            self._mine = set(range(len(self.share)))
        return self._mine

    @property
    def open(self) -> set[int]:
        if self._open is None:
            self._open = set(self.mine)
        return self._open

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def event_remaining(self) -> float:
        if self.running is None:
            return self.remaining()
        return min(self.running_since + self.cpu_s - self.clock(), self.remaining())

    async def call(self, function: str, payload: dict[str, Any], then: str | None = None) -> Any:
        budget = min(self.cpu_s, self.remaining())
        if budget <= 0:
            raise SandboxKilled("timeout", "time limit")
        return await self.sandbox.call_driver(function, dumps(payload), budget, then)

    async def execute(self) -> None:
        try:
            # The first step goes with `start`: a batch that needs no I/O has ended by
            # then, and the run costs one round trip into V8.
            start, first = await self.call("start", self._start_payload(), then=FIRST_STEP)
            started = parse_start(start)
            if started["onBatch"]:
                waves = math.ceil(len(self.job.events) / max(self.config.fetch_concurrency, 1))
                self.deadline = self.clock() + self.cpu_s * (waves or 1)
            await self._loop(first)
            if any(_out_of_memory(item) for item in self.progress.settled.values()):
                # What the function still holds (up to the limit) is freed with it.
                self.sandbox.broken = True
        except SandboxKilled as killed:
            if killed.kind == "crash":
                # The function changed what the driver relies on: never reuse the context.
                self.sandbox.broken = True
            self.progress.killed = self.progress.killed or killed
        finally:
            self._abandon()

    def _start_payload(self) -> dict[str, Any]:
        job, config = self.job, self.config
        if self.whole:
            # The whole run in order (the first lane's share): the driver numbers them.
            events, indices = job.events, None
        else:
            events, indices = [event for _, event in self.share], [i for i, _ in self.share]
        return {
            "events": events,
            "indices": indices,
            "settings": job.settings,
            "kind": job.kind,
            "batch": job.batch,
            "seed": fresh_seed(),
            "limits": {"maxFetches": config.max_fetches, "logLimit": config.log_limit_bytes},
        }

    def _done(self) -> bool:
        return self.progress.in_order is not None or not self.open

    async def _loop(self, first: Any) -> None:
        deliver: list[dict[str, Any]] = []
        expire: dict[str, Any] = {}
        answer = first
        while True:
            if answer is None:
                payload = {"seed": fresh_seed(), "resolutions": deliver, **expire}
                answer = await self.call("step", payload)
            self._absorb(parse_step(answer, len(self.tasks)))
            answer = None
            if self._done():
                return
            delivered, deliver = bool(deliver or expire), self._take_ready()
            expire = {}
            if deliver or delivered:
                # What a delivery set off shows up in the next step's output.
                continue
            await self._share_queue()
            if not self.tasks:
                if self.running is None:
                    return self._settle_rest("bad_request", NEVER_FINISHED)
                expire = self._expiry(self.running, "bad_request", NEVER_FINISHED)
                continue
            if not await self._wait_for_io():
                if self.running is not None and self.remaining() > 0:
                    error = timeout_error(self.job.timeout_ms)
                    expire = self._expiry(self.running, "timeout", error)
                    continue
                return self._settle_rest("timeout", _io_timeout(self.job.timeout_ms))
            deliver = self._take_ready()

    @staticmethod
    def _expiry(i: int, status: str, error: dict[str, str]) -> dict[str, Any]:
        return {"expire": i, "expireStatus": status, "expireError": error}

    async def _share_queue(self) -> None:
        """About to wait on I/O with events queued: hand some to new lanes."""
        if not self.queued:
            return
        lanes = min(self.batch.room(), self.queued)
        if lanes <= 0:
            return
        count = self.queued * lanes // (lanes + 1) or 1
        released = loads(
            await self.sandbox.evaluate(f"__functions_driver.release({count})", self.cpu_s)
        )
        share = [(int(item["i"]), item["event"]) for item in released]
        self.mine.difference_update(i for i, _ in share)
        self.open.difference_update(i for i, _ in share)
        self.queued -= len(share)
        self.batch.spread(share, lanes)

    def _absorb(self, out: dict[str, Any]) -> None:
        if self._all_returned(out):
            self.progress.in_order = out["outputs"]
            return
        for item in out["settled"]:
            self.progress.settled[int(item["i"])] = item
            self.open.discard(int(item["i"]))
        self.progress.succeeded.update(zip(out["ok"], out["outputs"], strict=True))
        self.open.difference_update(out["ok"])
        for slot, lines in out["logs"].items():
            self.progress.logs.setdefault(str(slot), []).extend(lines)
        for spec in out["fetches"]:
            self._spawn(str(spec["slot"]), self._fetch(spec), spec)
        for timer in out["timers"]:
            self._spawn(str(timer["slot"]), self._timer(timer), None)
        running = out.get("running")
        if running != self.running:
            self.running, self.running_since = running, self.clock()
        self.queued = int(out.get("queued") or 0)

    def _all_returned(self, out: dict[str, Any]) -> bool:
        """The whole run's first step, and every event returned an event, in order, with
        nothing logged, fetched or still running."""
        return (
            self._open is None
            and not out["settled"]
            and not out["logs"]
            and not out["fetches"]
            and not out["timers"]
            and out["running"] is None
            and not out["queued"]
            and out["in_order"]
            and len(out["ok"]) == len(self.share)
        )

    def _spawn(self, slot: str, coro: Any, spec: dict[str, Any] | None) -> None:
        async def tagged() -> tuple[str, dict[str, Any], dict[str, Any] | None]:
            resolution, trace = await coro
            return slot, resolution, trace

        task = asyncio.ensure_future(tagged())
        self.tasks.add(task)
        if spec is not None:
            self.in_flight[task] = {**spec, "slot": slot}

    async def _fetch(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        async with self.gate:
            return await perform_fetch(self.session, spec, self.remaining())

    async def _timer(self, timer: dict[str, Any]) -> tuple[dict[str, Any], None]:
        await asyncio.sleep(timer_delay_ms(timer.get("delay")) / 1000)
        return {"kind": "timer", "id": timer["id"]}, None

    async def _wait_for_io(self) -> bool:
        wait = self.event_remaining()
        if wait <= 0:
            return False
        done, _ = await asyncio.wait(self.tasks, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        return bool(done)

    def _take_ready(self) -> list[dict[str, Any]]:
        finished = [task for task in self.tasks if task.done()]
        for task in finished:
            self.tasks.discard(task)
            self.in_flight.pop(task, None)
            slot, resolution, trace = task.result()
            self.ready.setdefault(slot, []).append(resolution)
            if trace is not None:
                self.progress.requests.setdefault(slot, []).append(trace)
        if not self.ready:
            return []
        slot = next(iter(self.ready))
        return self.ready.pop(slot)

    def _abandon(self) -> None:
        """The lane is over: requests still in flight (a handler that stopped waiting for
        them) are cut off but stay in the trace, as node-fetch had sent them."""
        for task in self.tasks:
            spec = self.in_flight.get(task)
            if task.done() and not task.cancelled() and task.exception() is None:
                slot, _, trace = task.result()
                if trace is not None:
                    self.progress.requests.setdefault(slot, []).append(trace)
                continue
            task.cancel()
            if spec is not None:
                self.progress.requests.setdefault(spec["slot"], []).append(abandoned_trace(spec))

    def _settle_rest(self, status: str, error: dict[str, str]) -> None:
        for i in sorted(self.mine):
            if not self.progress.ended(i):
                self.progress.settled[i] = {
                    "i": i,
                    "status": status,
                    "error": dict(error),
                    "output": None,
                }


def abandoned_trace(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": str(spec.get("method") or "GET").upper(),
        "url": _safe_trace_url(spec.get("url")),
        "status": None,
        "duration_ms": None,
        "error": "abandoned: the handler finished without waiting for the response",
    }


def _out_of_memory(item: dict[str, Any]) -> bool:
    return (item.get("error") or {}).get("type") == "MemoryLimitExceeded"


def _io_timeout(timeout_ms: int) -> dict[str, str]:
    return {"type": "Timeout", "message": f"The function did not finish within {timeout_ms} ms"}


async def invoke(
    contexts: VersionContexts, job: Job, config: RuntimeConfig, session: FetchSession
) -> Progress:
    return await _Batch(contexts, job, config, session).execute()
