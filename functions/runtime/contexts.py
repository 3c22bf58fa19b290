"""Warm contexts: a few per (function version, settings), reused until evicted (LRU)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from functions.runtime.config import RuntimeConfig
from functions.runtime.loop import on_shutdown
from functions.runtime.prelude import libraries_named
from functions.runtime.prewarm import prewarmed
from functions.runtime.sandbox import Sandbox


@functools.lru_cache(maxsize=512)
def _digest(text: str) -> str:
    # Cached: a warm version's code and settings come back with every run.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def context_key(cache_key: str, code: str, settings: dict[str, Any]) -> str:
    # Settings are part of the key: module-level state a function keeps between events
    # (a token cache, say) can never carry one instance's secrets into another's run.
    settings_json = json.dumps(settings, sort_keys=True, default=str)
    return f"{cache_key}:{_digest(code)}:{_digest(settings_json)}"


async def _open(code: str, config: RuntimeConfig) -> Sandbox:
    """A context holding `code` alone: a pre-warmed blank one when available."""
    sandbox = await prewarmed.take(config, libraries_named(code))
    await sandbox.load(code, config)
    return sandbox


class VersionContexts:
    """The warm contexts of one function version (and settings): like the product's
    containers, each runs one invocation at a time with its own globals, and a run takes
    more of them (up to `contexts_per_version`) to overlap its events' I/O."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.idle: list[Sandbox] = []
        self.open = 0
        # Contexts handed out, and runs under way: a version with either is never evicted.
        self.busy = 0
        self.runs = 0
        self.changed = asyncio.Condition()

    def spare(self, config: RuntimeConfig) -> int:
        """Contexts a run could take right now without waiting."""
        return len(self.idle) + max(config.contexts_per_version - self.open, 0)

    async def acquire(self, config: RuntimeConfig) -> Sandbox:
        async with self.changed:
            await self.changed.wait_for(
                lambda: bool(self.idle) or self.open < max(config.contexts_per_version, 1)
            )
            self.busy += 1
            while self.idle:
                sandbox = self.idle.pop()
                if not sandbox.broken:
                    return sandbox
                self.open -= 1
            self.open += 1
        try:
            return await _open(self.code, config)
        except BaseException:
            await self._forget()
            raise

    async def _forget(self) -> None:
        async with self.changed:
            self.open -= 1
            self.busy -= 1
            self.changed.notify_all()

    async def release(self, sandbox: Sandbox) -> None:
        async with self.changed:
            self.busy -= 1
            if sandbox.broken:
                sandbox.close()
                self.open -= 1
            else:
                self.idle.append(sandbox)
            self.changed.notify_all()

    def close_idle(self) -> None:
        while self.idle:
            self.idle.pop().close()
            self.open -= 1


class WarmContexts:
    def __init__(self) -> None:
        self._versions: OrderedDict[str, VersionContexts] = OrderedDict()

    @asynccontextmanager
    async def version(
        self, key: str | None, code: str, config: RuntimeConfig
    ) -> AsyncIterator[VersionContexts]:
        try:
            if key is None:
                # Previews start cold, as the product's tester does (its cache is empty).
                temporary = VersionContexts(code)
                try:
                    yield temporary
                finally:
                    temporary.close_idle()
                return
            contexts = self._versions.get(key)
            if contexts is None:
                contexts = self._versions[key] = VersionContexts(code)
            self._versions.move_to_end(key)
            contexts.runs += 1
            try:
                yield contexts
            finally:
                contexts.runs -= 1
                self._evict(config.warm_contexts)
        finally:
            # After the run, not during it: building contexts competes for the CPU.
            prewarmed.refill(config)

    def _evict(self, limit: int) -> None:
        """Close the least recently used versions' contexts beyond `limit` in all."""
        for key in list(self._versions):
            if len(self) <= limit:
                return
            contexts = self._versions[key]
            if contexts.busy or contexts.runs:
                continue
            contexts.close_idle()
            if not contexts.open:
                del self._versions[key]

    def sandboxes(self) -> list[Sandbox]:
        return [s for contexts in self._versions.values() for s in contexts.idle]

    def __len__(self) -> int:
        return sum(contexts.open for contexts in self._versions.values())

    async def close_all(self) -> None:
        for contexts in self._versions.values():
            contexts.close_idle()
        self._versions.clear()


warm_contexts = WarmContexts()
on_shutdown(warm_contexts.close_all)
