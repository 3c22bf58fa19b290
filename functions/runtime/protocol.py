"""What the driver hands Python after each step, checked before Python acts on it.

User code shares the context with the driver: it can change built-ins the driver's
JSON goes through (`Object.prototype.toJSON = ...` turns every object into whatever the
function returns) or pass values Python cannot use (`setTimeout(f, Infinity)` reaches
Python as a `null` delay). None of that may raise inside the runtime: a step that is
not what the driver writes stops the run as a broken context, and each event gets a
`bad_request` with a message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from functions.runtime.errors import SandboxKilled
from workspace.infra.exact_json import compact_dumps, exact_loads

BROKEN = (
    "The function's code broke the runtime's data exchange "
    "(it changed a built-in such as Object.prototype.toJSON)"
)
# Node runs a timer whose delay is not a number from 1 to 2^31 - 1 ms after 1 ms.
MAX_TIMER_DELAY_MS = 2**31 - 1
# Each pending timer or fetch is a Python task: more than this at once is a flood.
MAX_PENDING = 10_000


dumps = compact_dumps


def loads(text: str) -> Any:
    """JSON text as the stdlib reads it, at orjson's speed where both read it alike."""
    return exact_loads(text.encode("utf-8", "surrogatepass"), lambda: json.loads(text))


def broken(message: str = BROKEN) -> SandboxKilled:
    return SandboxKilled("crash", message)


def timer_delay_ms(raw: Any) -> float:
    delay = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    if delay is None or not math.isfinite(delay) or delay > MAX_TIMER_DELAY_MS or delay < 1:
        return 1.0
    return float(delay)


def _error(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("message", ""), str):
        raise broken()
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def _settled(raw: Any) -> dict[str, Any]:
    if type(raw) is not dict or type(raw.get("i")) is not int:
        raise broken()
    output = raw.get("output")
    if output is not None and type(output) is not dict:
        raise broken()
    error = raw.get("error")
    status = raw.get("status")
    if len(raw) == 4 and error is None and type(status) is str:
        return raw  # the common case, already in the form below
    return {
        "i": raw["i"],
        "status": str(status),
        "error": _error(error),
        "output": output,
    }


def _logs(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise broken()
    return {str(slot): [str(line) for line in lines] for slot, lines in raw.items()}


def _tagged(raw: Any, *keys: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(
        isinstance(item, dict) and all(k in item for k in keys) for item in raw
    ):
        raise broken()
    return raw


def _list(raw: Any) -> list[Any]:
    if type(raw) is not list:
        raise broken()
    return raw


def _index_or_none(raw: Any) -> int | None:
    if raw is not None and (not isinstance(raw, int) or isinstance(raw, bool)):
        raise broken()
    return raw


def _count(raw: Any) -> int:
    if raw is None:
        return 0
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise broken()
    return raw


def parse_step(text: Any, pending: int) -> dict[str, Any]:
    """The step output, or SandboxKilled("crash") when it is not what the driver writes:
    its JSON on the first line, then one line per returned event."""
    if not isinstance(text, str):
        raise broken()
    lines = text.split("\n")
    try:
        out = loads(lines[0])
    except ValueError:
        out = None
    if not isinstance(out, dict):
        raise broken()
    fetches = _tagged(out.get("fetches"), "id", "slot")
    timers = _tagged(out.get("timers"), "id", "slot")
    if pending + len(fetches) + len(timers) > MAX_PENDING:
        raise broken(f"The function had more than {MAX_PENDING} timers and requests pending")
    # Insert successes come as two columns: event numbers and returned events (JSON text).
    ok = _list(out.get("ok"))
    # Usually the run's event numbers in order: one comparison in C checks that.
    in_order = ok == list(range(len(ok)))
    if not in_order and not set(map(type, ok)) <= {int}:
        raise broken()
    # The returned events, one JSON text each, kept as text. The driver writes each with
    # the JSON.stringify it kept from before any user code ran (valid JSON with no raw line
    # break, whatever the function did to built-ins), checks it opens an object, and joins
    # them by string concatenation (no Array method a function could replace): that there is
    # one line per event is all that is left to check.
    del lines[0]
    if len(lines) != len(ok):
        raise broken()
    return {
        "settled": [_settled(item) for item in _list(out.get("settled"))],
        "ok": ok,
        # `ok` is 0, 1, 2, ... (a whole run's events, all returned in order when complete).
        "in_order": in_order,
        "outputs": lines,
        "logs": _logs(out.get("logs")),
        "fetches": fetches,
        "timers": timers,
        # The event the context is running now, and how many wait for it (one at a time).
        "running": _index_or_none(out.get("running")),
        "queued": _count(out.get("queued")),
    }


def parse_start(text: Any) -> dict[str, Any]:
    """What `start` answers ({"onBatch": bool}), or SandboxKilled("crash")."""
    try:
        out = loads(text) if isinstance(text, str) else None
    except ValueError:
        out = None
    if not isinstance(out, dict) or not isinstance(out.get("onBatch"), bool):
        raise broken()
    return out
