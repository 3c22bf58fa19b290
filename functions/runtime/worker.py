"""A pool subprocess: reads one JSON request per line, answers one JSON line each.

Run as `python -m functions.runtime.worker`. Its stdout is the protocol channel, so
anything else that prints goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _answer(channel: Any, payload: dict[str, Any]) -> None:
    channel.write(json.dumps(payload) + "\n")
    channel.flush()


def main() -> None:
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr
    from functions.runtime import run_function

    for line in sys.stdin:
        request = json.loads(line)
        result = run_function(**request, isolated=False)
        _answer(channel, {"result": result.as_wire()})


if __name__ == "__main__":
    main()
