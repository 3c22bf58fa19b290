"""Warm contexts: one per (function version, settings), reused until evicted (LRU)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from functions.runtime.config import RuntimeConfig
from functions.runtime.loop import on_shutdown
from functions.runtime.prelude import libraries_named
from functions.runtime.prewarm import prewarmed
from functions.runtime.sandbox import Sandbox


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def context_key(cache_key: str, code: str, settings: dict[str, Any]) -> str:
    # Settings are part of the key: module-level state a function keeps between events
    # (a token cache, say) can never carry one instance's secrets into another's run.
    settings_json = json.dumps(settings, sort_keys=True, default=str)
    return f"{cache_key}:{_digest(code)}:{_digest(settings_json)}"


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sandbox: Sandbox | None = None


async def _open(code: str, config: RuntimeConfig) -> Sandbox:
    """A context holding `code` alone: a pre-warmed blank one when available."""
    sandbox = await prewarmed.take(config, libraries_named(code))
    await sandbox.load(code, config)
    return sandbox


class WarmContexts:
    def __init__(self) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    @asynccontextmanager
    async def sandbox(
        self, key: str | None, code: str, config: RuntimeConfig
    ) -> AsyncIterator[Sandbox]:
        try:
            async with self._sandbox(key, code, config) as sandbox:
                yield sandbox
        finally:
            # After the run, not during it: building contexts competes for the CPU.
            prewarmed.refill(config)

    @asynccontextmanager
    async def _sandbox(
        self, key: str | None, code: str, config: RuntimeConfig
    ) -> AsyncIterator[Sandbox]:
        if key is None:
            # Previews start cold, as the product's tester does (its cache is empty).
            sandbox = await _open(code, config)
            try:
                yield sandbox
            finally:
                sandbox.close()
            return
        entry = self._entries.setdefault(key, _Entry())
        async with entry.lock:
            if entry.sandbox is None or entry.sandbox.broken:
                entry.sandbox = await _open(code, config)
            self._entries.move_to_end(key)
            self._evict(config.warm_contexts)
            try:
                yield entry.sandbox
            finally:
                if entry.sandbox.broken:
                    entry.sandbox.close()
                    entry.sandbox = None

    def _evict(self, limit: int) -> None:
        for key in list(self._entries)[: max(len(self._entries) - limit, 0)]:
            entry = self._entries[key]
            if entry.lock.locked():
                continue
            del self._entries[key]
            if entry.sandbox is not None:
                entry.sandbox.close()

    def __len__(self) -> int:
        return sum(1 for e in self._entries.values() if e.sandbox is not None)

    async def close_all(self) -> None:
        for entry in self._entries.values():
            if entry.sandbox is not None:
                entry.sandbox.close()
        self._entries.clear()


warm_contexts = WarmContexts()
on_shutdown(warm_contexts.close_all)
