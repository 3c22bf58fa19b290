"""The one asyncio loop (on a daemon thread) that owns every V8 context of a process.

It is started on first use, never at import, so a process that forks afterwards (the
Celery prefork parent) never carries a V8 platform or its threads into its children.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_shutdown_hooks: list[Callable[[], Awaitable[None]]] = []


def runtime_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="functions-runtime", daemon=True
            )
            thread.start()
            _loop = loop
            atexit.register(_shutdown)
        return _loop


def run_on_loop(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    future: Future[T] = asyncio.run_coroutine_threadsafe(coro, runtime_loop())
    return future.result(timeout)


def on_shutdown(hook: Callable[[], Awaitable[None]]) -> None:
    _shutdown_hooks.append(hook)


def _shutdown() -> None:
    # A context that hit its memory limit hangs process exit unless it is closed first.
    loop = _loop
    if loop is None or not loop.is_running():
        return

    async def close_all() -> None:
        for hook in _shutdown_hooks:
            await hook()

    try:
        asyncio.run_coroutine_threadsafe(close_all(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
