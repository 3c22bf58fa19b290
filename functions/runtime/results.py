"""What one run of a function produced, per event and in total."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = (
    "success",
    "filtered",
    "dropped",
    "message_rejected",
    "unsupported_event_type",
    "invalid_settings",
    "bad_request",
    "retry",
    "timeout",
)


# Slots: a batch run builds one per event (a 1000-event run, 1000 of them).
@dataclass(slots=True)
class EventResult:
    status: str
    error: dict[str, str] | None = None
    output: dict[str, Any] | None = None
    logs: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "output": self.output}


@dataclass
class RunResult:
    results: list[EventResult]
    logs: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0

    def as_json(self, batch: bool) -> dict[str, Any]:
        """The run_function JSON of ARCHITECTURE.md."""
        common = {"logs": self.logs, "requests": self.requests, "duration_ms": self.duration_ms}
        if batch:
            return {"results": [r.as_json() for r in self.results], **common}
        first = self.results[0] if self.results else EventResult(status="success")
        return {**first.as_json(), **common}

    @classmethod
    def failed(cls, count: int, status: str, error: dict[str, str]) -> RunResult:
        """Every event of the run ends with the same outcome (a crash, a bad script)."""
        return cls(results=[EventResult(status=status, error=dict(error)) for _ in range(count)])
