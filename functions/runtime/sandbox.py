"""One V8 context (a mini-racer isolate) holding the prelude and one function's code."""

from __future__ import annotations

import asyncio
import base64
import os
import re
from typing import Any

from py_mini_racer import JSEvalException, JSOOMException, JSParseException, mini_racer
from py_mini_racer import JSTimeoutException as _JSTimeout

from functions.runtime.config import RuntimeConfig
from functions.runtime.errors import SandboxKilled, ScriptError
from functions.runtime.prelude import library_sources, prelude_source, user_script

# "function.js:3: SyntaxError: Unexpected token" (mini-racer's first line of an error).
_ERROR_LINE = re.compile(
    r"^(?P<where>[^\n]*?):(?P<line>\d+): (?:Uncaught )?(?P<type>[\w$]+): (?P<msg>.*)$"
)


def fresh_seed() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


def script_error(exc: JSEvalException) -> ScriptError:
    first = str(exc).splitlines()[0] if str(exc) else "Error"
    match = _ERROR_LINE.match(first)
    if not match:
        return ScriptError("bad_request", "Error", first)
    message = f"{match['msg']} (line {match['line']})"
    return ScriptError("bad_request", match["type"], message)


class Sandbox:
    def __init__(self, manager: Any, racer: Any) -> None:
        self._manager = manager
        self._racer = racer
        self.broken = False

    @classmethod
    async def open(cls, code: str, config: RuntimeConfig) -> Sandbox:
        """A context with the prelude and `code` loaded; ScriptError if the code fails."""
        manager = mini_racer(asyncio.get_running_loop())
        sandbox = cls(manager, manager.__enter__())
        try:
            await sandbox._load(code, config)
        except BaseException:
            sandbox.close()
            raise
        return sandbox

    async def _load(self, code: str, config: RuntimeConfig) -> None:
        self._racer.set_hard_memory_limit(config.memory_mb * 1024 * 1024)
        budget = config.timeout_ms / 1000
        await self.evaluate(f"{prelude_source()}\n__functions_driver.seed('{fresh_seed()}');", 30)
        for library in library_sources(code):
            await self.evaluate(library, 30)
        try:
            await self.evaluate(user_script(code), budget)
        except SandboxKilled:
            raise
        except JSEvalException as exc:
            raise script_error(exc) from exc

    async def evaluate(self, js: str, timeout_s: float) -> Any:
        """Evaluate `js`; a time or memory limit marks the context broken."""
        if self.broken:
            raise SandboxKilled("crash", "The function's context was discarded")
        try:
            return await asyncio.wait_for(self._racer.eval_cancelable(js), max(timeout_s, 0.001))
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
        if manager is not None:
            manager.__exit__(None, None, None)
