"""Failures of a run that happen outside the handler's own control flow."""

from __future__ import annotations

from typing import Literal

Kill = Literal["timeout", "memory", "crash"]


class SandboxKilled(Exception):
    """V8 stopped the run: time limit, memory limit, or a broken context."""

    def __init__(self, kind: Kill, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ScriptError(Exception):
    """The function's code did not compile or threw while loading."""

    def __init__(self, status: str, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"type": error_type, "message": message}


def timeout_error(timeout_ms: int) -> dict[str, str]:
    return {"type": "Timeout", "message": f"The function did not finish within {timeout_ms} ms"}


def memory_error(memory_mb: int) -> dict[str, str]:
    return {
        "type": "MemoryLimitExceeded",
        "message": f"The function used more than its {memory_mb} MB memory limit",
    }


def internal_error(exc: BaseException) -> dict[str, str]:
    return {
        "type": "RuntimeError",
        "message": f"The runtime could not complete this run ({type(exc).__name__}); "
        "the function's code may have changed a built-in the runtime relies on",
    }


def status_of_kill(kind: Kill) -> str:
    return "timeout" if kind == "timeout" else "bad_request"
