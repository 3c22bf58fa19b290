"""What one run of a function produced, per event and in total."""

from __future__ import annotations

from collections.abc import Sequence
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


class RunResult:
    """One run's outcome: `results`, one EventResult per event, and the run's logs and
    requests in total.

    A run whose every event returned an event, with nothing logged or fetched, holds the
    returned events as the driver's texts, in order (`returned`), and builds `results`
    when it is first read: a consumer that needs only the texts (the delivery pipeline)
    never builds 1,000 EventResults for a 1,000-event run. Once `results` has been read (it
    may then be changed in place), `returned` is None."""

    __slots__ = ("_results", "duration_ms", "logs", "requests", "returned")

    def __init__(
        self,
        results: list[EventResult] | None = None,
        logs: list[str] | None = None,
        requests: list[dict[str, Any]] | None = None,
        duration_ms: float = 0.0,
        *,
        returned: list[str] | None = None,
    ) -> None:
        self._results = results if results is not None or returned is not None else []
        self.returned = returned if results is None else None
        self.logs: list[str] = logs if logs is not None else []
        self.requests: list[dict[str, Any]] = requests if requests is not None else []
        self.duration_ms = duration_ms

    @property
    def results(self) -> list[EventResult]:
        if self._results is None:
            returned = self.returned or []
            self._results = [EventResult("success", None, None, (), (), text) for text in returned]
        self.returned = None
        return self._results

    @results.setter
    def results(self, value: list[EventResult]) -> None:
        self._results, self.returned = value, None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunResult):
            return NotImplemented
        mine = (self.results, self.logs, self.requests, self.duration_ms)
        return mine == (other.results, other.logs, other.requests, other.duration_ms)

    def __repr__(self) -> str:
        return (
            f"RunResult(results={self.results!r}, logs={self.logs!r}, "
            f"requests={self.requests!r}, duration_ms={self.duration_ms!r})"
        )

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
