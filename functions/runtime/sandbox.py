"""One V8 context (a mini-racer isolate) holding the prelude and one function's code."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import re
from typing import Any

from py_mini_racer import (
    JSEvalException,
    JSOOMException,
    JSParseException,
    init_mini_racer,
    mini_racer,
)
from py_mini_racer import JSTimeoutException as _JSTimeout
from py_mini_racer._dll import DEFAULT_V8_FLAGS

from functions.runtime.config import RuntimeConfig
from functions.runtime.errors import SandboxKilled, ScriptError
from functions.runtime.prelude import (
    libraries_named,
    library_source,
    prelude_source,
    user_script,
)

# "function.js:3: SyntaxError: Unexpected token" (mini-racer's first line of an error).
_ERROR_LINE = re.compile(
    r"^(?P<where>[^\n]*?):(?P<line>\d+): (?:Uncaught )?(?P<type>[\w$]+): (?P<msg>.*)$"
)


@functools.cache
def _start_v8() -> None:
    # `gc` lets the prelude's buffer budget reclaim freed buffers before refusing an
    # allocation; the prelude removes the global, so user code never sees it. (When
    # something in this process started V8 first, the budget works without it.)
    init_mini_racer(flags=(*DEFAULT_V8_FLAGS, "--expose-gc"), ignore_duplicate_init=True)


def _memory_budget(config: RuntimeConfig, lock: bool) -> str:
    # ArrayBuffers live outside the V8 heap: the prelude holds them to the same limit.
    return f"__functions_driver.memory({config.memory_mb * 1024 * 1024}, {str(lock).lower()});"


def fresh_seed() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


def script_error(exc: JSEvalException) -> ScriptError:
    first = str(exc).splitlines()[0] if str(exc) else "Error"
    match = _ERROR_LINE.match(first)
    if not match:
        return ScriptError("bad_request", "Error", first)
    message = f"{match['msg']} (line {match['line']})"
    return ScriptError("bad_request", match["type"], message)


# A payload spelled into the script source is compiled with it (a new source each run),
# and V8 hashes a source longer than 16,000 characters by its length alone, so the
# compilation cache compares every cached script of the same length with a new one in
# full: at batch 1000 that cost more CPU than the run itself. Payloads this long or
# longer go in through the driver's inbox: already at batch 100 (~12 KB) the inbox was
# faster than compiling the literal (run_function 107k -> 132k events/s, A/B alternated).
LITERAL_MAX_CHARS = 4_000


class Sandbox:
    def __init__(self, manager: Any, racer: Any) -> None:
        self._manager = manager
        self._racer = racer
        self._inbox: Any = None
        self.broken = False
        # Set once user code has been evaluated: from then on the context belongs to
        # that one function version (and settings) and is never handed to another.
        self.loaded = False
        self.libraries: tuple[str, ...] = ()

    @classmethod
    async def blank(cls, config: RuntimeConfig, libraries: tuple[str, ...] = ()) -> Sandbox:
        """A new context with only the prelude (and `libraries`) loaded, no user code."""
        _start_v8()
        manager = mini_racer(asyncio.get_running_loop())
        sandbox = cls(manager, manager.__enter__())
        try:
            sandbox._racer.set_hard_memory_limit(config.memory_mb * 1024 * 1024)
            # The prelude, the first seed and the libraries in a single crossing.
            seed = f"__functions_driver.seed('{fresh_seed()}');{_memory_budget(config, False)}"
            sources = [prelude_source(), seed, *(library_source(lib) for lib in libraries)]
            await sandbox.evaluate(";\n".join(sources), 30)
            sandbox.libraries = tuple(libraries)
        except BaseException:
            sandbox.close()
            raise
        return sandbox

    @classmethod
    async def open(cls, code: str, config: RuntimeConfig) -> Sandbox:
        """A new context with the prelude and `code` loaded; ScriptError if the code fails."""
        sandbox = await cls.blank(config)
        await sandbox.load(code, config)
        return sandbox

    async def load(self, code: str, config: RuntimeConfig) -> None:
        """Evaluate the libraries `code` names and `code` itself into this blank context.

        A context takes user code once; on failure it is closed (never reused).
        """
        if self.loaded or self.broken:
            raise RuntimeError("a context takes user code once, into a fresh prelude")
        self.loaded = True
        try:
            # Limits may have changed since a pre-warmed context was built.
            self._racer.set_hard_memory_limit(config.memory_mb * 1024 * 1024)
            # A fresh seed (the context may have waited in the pre-warmed pool) and the
            # libraries the code names that are not loaded yet, in one crossing.
            # The budget for binary memory is fixed here, before user code can call it.
            seed = f"__functions_driver.seed('{fresh_seed()}');{_memory_budget(config, True)}"
            missing = [lib for lib in libraries_named(code) if lib not in self.libraries]
            await self.evaluate(";\n".join([seed, *map(library_source, missing)]), 30)
            self.libraries = (*self.libraries, *missing)
            try:
                await self.evaluate(user_script(code), config.timeout_ms / 1000)
            except SandboxKilled:
                raise
            except JSEvalException as exc:
                raise script_error(exc) from exc
        except BaseException:
            self.close()
            raise

    async def evaluate(self, js: str, timeout_s: float) -> Any:
        """Evaluate `js`; a time or memory limit marks the context broken."""
        if self.broken:
            raise SandboxKilled("crash", "The function's context was discarded")
        return await self._limited(self._racer.eval_cancelable(js), timeout_s)

    async def call_driver(
        self, function: str, argument: str, timeout_s: float, then: str | None = None
    ) -> Any:
        """`__functions_driver.<function>(argument)`: spelled as a script when short; a
        long `argument` is written into the driver's inbox first, and a short script
        hands it over (see LITERAL_MAX_CHARS). With `then`, that script runs right after
        it (see evaluate_pair) and the answer is both results."""
        script = self._driver_script(function, argument)
        if then is not None:
            return await self.evaluate_pair(script, then, timeout_s)
        return await self.evaluate(script, timeout_s)

    def _driver_script(self, function: str, argument: str) -> str:
        if len(argument) < LITERAL_MAX_CHARS:
            return f"__functions_driver.{function}({json.dumps(argument)})"
        if self.broken:
            raise SandboxKilled("crash", "The function's context was discarded")
        try:
            if self._inbox is None:
                self._inbox = self._racer.eval("__functions_driver.inbox")
            self._inbox["input"] = argument
        except JSEvalException as exc:
            self.broken = True
            if self._racer.was_hard_memory_limit_reached():
                raise SandboxKilled("memory", "memory limit") from exc
            raise SandboxKilled("crash", "The driver's inbox could not be written") from exc
        return f"__functions_driver.fromInbox({json.dumps(function)})"

    async def evaluate_pair(self, first: str, second: str, timeout_s: float) -> tuple[Any, Any]:
        """Evaluate `first`, then `second`, both queued at once: V8 runs them back to back
        on its thread (the microtasks `first` set off drain in between), so `second`
        costs no round trip of its own. Both share the one time limit. A context whose
        first script failed is not reused (the second ran, or was cut off, after it)."""
        if self.broken:
            raise SandboxKilled("crash", "The function's context was discarded")
        racer = self._racer
        crossings = (
            asyncio.ensure_future(racer.eval_cancelable(first)),
            asyncio.ensure_future(racer.eval_cancelable(second)),
        )
        try:
            one, two = await self._limited(asyncio.gather(*crossings), timeout_s)
        except BaseException:
            self.broken = True
            for crossing in crossings:
                crossing.cancel()
            raise
        return one, two

    async def _limited(self, crossing: Any, timeout_s: float) -> Any:
        try:
            return await asyncio.wait_for(crossing, max(timeout_s, 0.001))
        except (TimeoutError, _JSTimeout) as exc:
            self.broken = True
            raise SandboxKilled("timeout", "time limit") from exc
        except JSOOMException as exc:
            self.broken = True
            raise SandboxKilled("memory", "memory limit") from exc
        except JSParseException:
            raise
        except JSEvalException:
            if self._racer.was_hard_memory_limit_reached():
                self.broken = True
                raise SandboxKilled("memory", "memory limit") from None
            raise

    def heap_used(self) -> int:
        return int(self._racer.heap_stats()["used_heap_size"])

    def close(self) -> None:
        manager, self._manager = self._manager, None
        self.broken = True
        self._inbox = None  # its handle goes while its context exists
        if manager is not None:
            manager.__exit__(None, None, None)
