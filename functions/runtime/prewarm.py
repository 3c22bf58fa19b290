"""Pre-warmed blank contexts: the prelude already loaded, no user code yet.

Building a context and evaluating the prelude is most of a cold start (~15-40 ms of V8
work), while loading one function's code into a ready context takes well under 1 ms.
So a few blank contexts wait here, built in the background after a run, and a new
function version (or a preview) takes one.

A context leaves this pool for good the moment it is taken: user code is loaded into it
once (`Sandbox.load` refuses a second time) and it is closed, never returned, when its
version is evicted or breaks. Contexts are therefore never shared between function
versions or settings.
"""

from __future__ import annotations

import asyncio
import logging

from functions.runtime.config import RuntimeConfig
from functions.runtime.loop import on_shutdown
from functions.runtime.sandbox import Sandbox

log = logging.getLogger(__name__)


class PrewarmedContexts:
    def __init__(self) -> None:
        self._ready: list[Sandbox] = []
        self._building: asyncio.Task[None] | None = None
        self._refill: asyncio.Task[None] | None = None
        self.taken = 0
        self.built_on_demand = 0

    def __len__(self) -> int:
        return len(self._ready)

    async def take(self, config: RuntimeConfig) -> Sandbox:
        """A blank context: a pre-warmed one if ready (or about to be), else a new one."""
        if not self._ready and self._building is not None and not self._building.done():
            # Half of a context is better than none: wait for the one being built.
            await asyncio.wait({self._building})
        while self._ready:
            sandbox = self._ready.pop()
            if not sandbox.broken and not sandbox.loaded:
                self.taken += 1
                return sandbox
            sandbox.close()
        self.built_on_demand += 1
        return await Sandbox.blank(config)

    def refill(self, config: RuntimeConfig) -> None:
        """Top the pool up to `config.prewarmed_contexts` in the background."""
        if config.prewarmed_contexts <= 0:
            self._trim(0)
            return
        if self._refill is None or self._refill.done():
            self._refill = asyncio.ensure_future(self._fill(config))

    async def _fill(self, config: RuntimeConfig) -> None:
        while len(self._ready) < config.prewarmed_contexts:
            self._building = asyncio.ensure_future(self._build(config))
            try:
                await asyncio.shield(self._building)
            except asyncio.CancelledError:
                raise
            except Exception:  # never fatal: runs fall back to building their own
                log.exception("building a pre-warmed context failed")
                return

    async def _build(self, config: RuntimeConfig) -> None:
        self._ready.append(await Sandbox.blank(config))

    def _trim(self, size: int) -> None:
        while len(self._ready) > size:
            self._ready.pop().close()

    async def close_all(self) -> None:
        for task in (self._refill, self._building):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._trim(0)


prewarmed = PrewarmedContexts()
on_shutdown(prewarmed.close_all)
