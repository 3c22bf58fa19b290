"""Pre-warmed blank contexts: the prelude already loaded, no user code yet.

Building a context and evaluating the prelude is most of a cold start (~15-40 ms of V8
work), while loading one function's code into a ready context takes well under 1 ms.
So a few blank contexts wait here, built in the background after a run, and a new
function version (or a preview) takes one. Code that names a library global (`_`,
`moment`, `URL`) needs its bundle too (up to ~0.8 MB of JavaScript): the most recently
used sets of libraries get one pre-warmed context each, with those bundles loaded.

A context leaves this pool for good the moment it is taken: user code is loaded into it
once (`Sandbox.load` refuses a second time) and it is closed, never returned, when its
version is evicted or breaks. Contexts are therefore never shared between function
versions or settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from functions.runtime.config import RuntimeConfig
from functions.runtime.loop import on_shutdown
from functions.runtime.sandbox import Sandbox

log = logging.getLogger(__name__)


# A set of library bundles (lodash, moment, url) a context has loaded besides the prelude.
Libraries = tuple[str, ...]
# Library sets that get a pre-warmed context of their own: the most recently used ones.
LIBRARY_SETS = 2


class PrewarmedContexts:
    def __init__(self) -> None:
        self._ready: dict[Libraries, list[Sandbox]] = {}
        self._building: dict[Libraries, asyncio.Task[None]] = {}
        self._refill: asyncio.Task[None] | None = None
        # The configuration of the latest refill: a fill under way follows it, so a pool
        # made smaller (or turned off) is not topped up to an older size.
        self._config: RuntimeConfig | None = None
        # Library sets recently asked for (least recent first).
        self._wanted: OrderedDict[Libraries, None] = OrderedDict()
        self.taken = 0
        self.built_on_demand = 0

    def __len__(self) -> int:
        return sum(len(ready) for ready in self._ready.values())

    async def take(self, config: RuntimeConfig, libraries: Libraries = ()) -> Sandbox:
        """A blank context with exactly `libraries` loaded: a pre-warmed one if ready (or
        about to be), else a new one."""
        if libraries:
            self._wanted[libraries] = None
            self._wanted.move_to_end(libraries)
        ready = self._ready.setdefault(libraries, [])
        building = self._building.get(libraries)
        if not ready and building is not None and not building.done():
            # Half of a context is better than none: wait for the one being built.
            await asyncio.wait({building})
        while ready:
            sandbox = ready.pop()
            if not sandbox.broken and not sandbox.loaded:
                self.taken += 1
                return sandbox
            sandbox.close()
        self.built_on_demand += 1
        return await Sandbox.blank(config, libraries)

    def _targets(self, config: RuntimeConfig) -> dict[Libraries, int]:
        size = max(config.prewarmed_contexts, 0)
        while len(self._wanted) > LIBRARY_SETS:
            self._wanted.popitem(last=False)
        targets: dict[Libraries, int] = {(): size}
        if size:
            targets.update((libraries, 1) for libraries in self._wanted)
        return targets

    def refill(self, config: RuntimeConfig) -> None:
        """Top the pool up in the background: `config.prewarmed_contexts` plain contexts
        and one for each recently used set of libraries; close what is no longer wanted."""
        self._config = config
        targets = self._targets(config)
        for libraries, ready in self._ready.items():
            while len(ready) > targets.get(libraries, 0):
                ready.pop().close()
        # A task only when something is short (after most runs nothing is).
        if (self._refill is None or self._refill.done()) and self._short(config):
            self._refill = asyncio.ensure_future(self._fill(config))

    def _short(self, config: RuntimeConfig) -> list[Libraries]:
        return [
            libraries
            for libraries, size in self._targets(config).items()
            if len(self._ready.get(libraries, [])) < size
        ]

    async def _fill(self, config: RuntimeConfig) -> None:
        while True:
            config = self._config or config
            short = self._short(config)
            if not short:
                return
            libraries = short[0]
            building = asyncio.ensure_future(self._build(config, libraries))
            self._building[libraries] = building
            try:
                await asyncio.shield(building)
            except asyncio.CancelledError:
                raise
            except Exception:  # never fatal: runs fall back to building their own
                log.exception("building a pre-warmed context failed")
                return

    async def _build(self, config: RuntimeConfig, libraries: Libraries) -> None:
        sandbox = await Sandbox.blank(config, libraries)
        ready = self._ready.setdefault(libraries, [])
        if len(ready) >= self._targets(self._config or config).get(libraries, 0):
            sandbox.close()  # no longer wanted: the pool was made smaller while it was built
            return
        ready.append(sandbox)

    async def close_all(self) -> None:
        for task in (self._refill, *self._building.values()):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for ready in self._ready.values():
            while ready:
                ready.pop().close()


prewarmed = PrewarmedContexts()
on_shutdown(prewarmed.close_all)
