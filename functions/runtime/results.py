"""What one run of a function produced, per event and in total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from functions.runtime.protocol import loads

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


class EventResult:
    """One event's outcome. An insert's returned event comes as the JSON text the driver's
    JSON.stringify wrote (`output_json`, byte for byte what Node would send on) and is
    parsed into `output` when first read."""

    # Slots: a batch run builds one per event (a 1000-event run, 1000 of them).
    __slots__ = ("_output", "error", "logs", "output_json", "requests", "status")

    def __init__(
        self,
        status: str,
        error: dict[str, str] | None = None,
        output: dict[str, Any] | None = None,
        logs: Sequence[str] = (),
        requests: Sequence[dict[str, Any]] = (),
        output_json: str | None = None,
    ):
        # Logs and requests are read, never changed in place (a run's results replace
        # them): an event without any shares the empty tuple.
        self.status = status
        self.error = error
        self._output = output
        self.output_json = output_json
        self.logs = logs
        self.requests = requests

    @property
    def output(self) -> dict[str, Any] | None:
        if self._output is None and self.output_json is not None:
            self._output = loads(self.output_json)
        return self._output

    @output.setter
    def output(self, value: dict[str, Any] | None) -> None:
        self._output, self.output_json = value, None

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "output": self.output}

    def as_wire(self) -> dict[str, Any]:
        """Everything, for the pool's pipe (the returned event stays text)."""
        return {
            "status": self.status,
            "error": self.error,
            "output": self._output,
            "logs": self.logs,
            "requests": self.requests,
            "output_json": self.output_json,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventResult):
            return NotImplemented
        mine = (self.status, self.error, self.output, list(self.logs), list(self.requests))
        theirs = (other.status, other.error, other.output, list(other.logs), list(other.requests))
        return mine == theirs

    def __repr__(self) -> str:
        return (
            f"EventResult(status={self.status!r}, error={self.error!r}, "
            f"output={self.output!r}, logs={self.logs!r}, requests={self.requests!r})"
        )


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

    def as_wire(self) -> dict[str, Any]:
        return {
            "results": [r.as_wire() for r in self.results],
            "logs": self.logs,
            "requests": self.requests,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> RunResult:
        return cls(
            results=[EventResult(**item) for item in data["results"]],
            logs=data["logs"],
            requests=data["requests"],
            duration_ms=data["duration_ms"],
        )

    @classmethod
    def failed(cls, count: int, status: str, error: dict[str, str]) -> RunResult:
        """Every event of the run ends with the same outcome (a crash, a bad script)."""
        return cls(results=[EventResult(status=status, error=dict(error)) for _ in range(count)])
