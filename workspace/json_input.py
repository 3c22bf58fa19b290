"""JSON from untrusted request bodies: strict UTF-8, bounded nesting, and only values that
PostgreSQL jsonb and every later reader can hold. The tracking API and the Public API both
parse through here, so a body either parses into storable values or is refused with a
message the client can act on.

Refused: `NaN`/`Infinity` (not JSON), numbers that overflow a double (`1e400` becomes `inf`,
which jsonb refuses), lone UTF-16 surrogates (`"\\ud800"`: jsonb and UTF-8 text refuse
them; we refuse rather than replace, so nothing is silently altered) and NUL (`\\u0000`,
which PostgreSQL text cannot hold). Integers of any size up to Python's 4300 digits stay
exact (jsonb `numeric` holds them), which is why the standard library's parser reads any
text orjson would not read exactly (orjson turns integers beyond 64 bits into floats).

Nesting: the standard library's parser recurses and raises RecursionError near depth 1000
(measured here: 990 parses, 1000 does not), and so do the encoders that store and show the
value later. The depth is therefore measured on the text, before parsing, by a scan that
does not recurse."""

import json
import re
from array import array
from itertools import accumulate
from typing import Any

from workspace.infra.exact_json import exact_loads

# Deep enough for any real event or API body (analytics libraries nest `context` 3-4
# levels), far below every recursive reader downstream (Python's json at ~1000, the admin
# and API renderers, destination filters, the V8 runtime's JSON round trip).
MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Opening brackets count +1 and closing ones -1 as signed bytes; every other byte goes.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Only texts with this can hold a surrogate or NUL escape.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")
_SUSPECT_ESCAPE_BYTES = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class JSONInputError(ValueError):
    """The body is not JSON we accept; the message says why."""


def json_depth(text: str | bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings ignored)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    # Without an escaped quote, splitting on quotes alternates outside / inside strings
    # (C speed: ~10x the regex on a 500 KB batch).
    outside = _STRING.sub(b"", data) if b'\\"' in data else b"".join(data.split(b'"')[::2])
    steps = outside.translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(array("b", steps)), default=0)


def _refuse_constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not valid JSON")


def _finite_float(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise JSONInputError(f"the number {token[:40]} is out of range")
    return value


def _unstorable(value: Any) -> str | None:
    """The first string (key or value) PostgreSQL cannot store, without recursion."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and (found := _UNSTORABLE.search(node)):
            return found.group()
    return None


def json_parse(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The value of a JSON body, or JSONInputError saying what is wrong with it."""
    if isinstance(raw, bytes) and _shallow(raw, max_depth):
        # orjson where it reads the text exactly as json does (`exact_loads`: no integer
        # beyond 64 bits); whatever it refuses (bad UTF-8 or JSON, NaN, a number beyond a
        # double, a lone surrogate) goes to json, whose errors say why. A 500-event
        # tracking batch: the web process 82.7k -> 79.8k instructions per event (callgrind).
        value = exact_loads(raw, lambda: _parsed_by_json(raw, max_depth)[0])
        suspect = _SUSPECT_ESCAPE_BYTES.search(raw) is not None
    else:
        value, text = _parsed_by_json(raw, max_depth)
        suspect = _SUSPECT_ESCAPE.search(text) is not None
    if suspect and (found := _unstorable(value)) is not None:
        if found == "\x00":
            raise JSONInputError("the body contains a NUL character (\\u0000)")
        raise JSONInputError(
            f"the body contains a lone UTF-16 surrogate (\\u{ord(found):04x}); "
            "send characters outside the Basic Multilingual Plane as a surrogate pair"
        )
    return value


def _shallow(data: bytes, max_depth: int) -> bool:
    """Nesting no deeper than `max_depth` (a text with fewer brackets cannot nest deeper:
    the scan only when there are more)."""
    return data.count(b"[") + data.count(b"{") <= max_depth or json_depth(data) <= max_depth


def _parsed_by_json(raw: bytes | str, max_depth: int) -> tuple[Any, str]:
    """The value by the standard library's parser, and the text it read."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise JSONInputError(f"the body is not valid UTF-8: {error}") from None
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise JSONInputError(f"the body nests arrays or objects deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JSONInputError:
        raise
    except (ValueError, RecursionError) as error:
        raise JSONInputError(f"malformed JSON: {error}") from None
    return value, text
