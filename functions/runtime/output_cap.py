"""Size caps on what a run hands back for display (test runs): a 50 MB returned event
once made a 52 MB API response. Applied after redaction, so a cut never leaves part of
a secret behind unredacted."""

from __future__ import annotations

import json

from functions.runtime.results import RunResult

# A trace field (URL, error) or a log line longer than this is cut.
MAX_TEXT_CHARS = 4096
CUT = "... [truncated]"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + CUT


def _too_large(size: int, limit: int) -> dict[str, str]:
    return {
        "type": "OutputTooLarge",
        "message": f"The returned event is {size / 2**20:.1f} MB; a test run shows at most "
        f"{limit / 2**20:g} MB of output, so it is left out",
    }


def cap_result(result: RunResult, max_output_bytes: int) -> RunResult:
    """`result` with every returned event over `max_output_bytes` (as JSON) replaced by
    an OutputTooLarge error, and overlong log lines and trace fields cut."""
    for event in result.results:
        if event.output_json is not None or event.output is not None:
            text = event.output_json or json.dumps(event.output, separators=(",", ":"))
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > max_output_bytes:
                event.output = None
                event.error = event.error or _too_large(size, max_output_bytes)
        event.logs = [_cut(line) for line in event.logs]
        event.requests = [
            {k: _cut(v) if isinstance(v, str) else v for k, v in trace.items()}
            for trace in event.requests
        ]
    result.logs = [_cut(line) for line in result.logs]
    result.requests = [
        {k: _cut(v) if isinstance(v, str) else v for k, v in trace.items()}
        for trace in result.requests
    ]
    return result
