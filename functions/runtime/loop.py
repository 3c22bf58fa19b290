"""The one asyncio loop (on a daemon thread) that owns every V8 context of a process.

It is started on first use, never at import, so a process that forks afterwards (the
Celery prefork parent) never carries a V8 platform or its threads into its children.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_shutdown_hooks: list[Callable[[], Awaitable[None]]] = []

# A batch run allocates a few container objects per event (the returned events and
# their results), all alive until the run returns. At CPython's default youngest-
# generation threshold (700) a 1000-event run went through about ten collections, and
# promoting its objects set off full ones: 1.2 ms of CPU per 1000 events, 28% of the
# run. A process that runs functions raises the threshold to this (never lowers it);
# the cost is at most this many more young objects waiting for a collection.
GC_YOUNG_THRESHOLD = 10_000


def _raise_gc_threshold() -> None:
    young, *older = gc.get_threshold()
    if 0 < young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, *older)


def runtime_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            _raise_gc_threshold()
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
