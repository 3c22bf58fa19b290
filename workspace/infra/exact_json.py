"""JSON read by orjson wherever it reads a text exactly as the standard library's json does,
and written by orjson where it can write it.

orjson reads an integer beyond 64 bits as a float, without an error (from 20 digits, or 19
after a minus sign: -9223372036854775809), where json keeps it exact; and it refuses a lone
surrogate escape, which json reads. A text holding either is left to json. The integers
are found by mapping every digit to "0" and looking for a run of nineteen, in C (about a
twentieth of orjson's own read; a regex took longer than the read)."""

import json
from collections.abc import Callable
from typing import Any

import orjson

_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19


def exact_loads(data: bytes, fallback: Callable[[], Any]) -> Any:
    """The value of the JSON text `data` (UTF-8): orjson's where it is exact, else
    `fallback()` (json's reading of the same text, by the caller's decoder)."""
    if _LONG_DIGIT_RUN not in data.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # a lone surrogate escape, say
    return fallback()


def compact_dumps(value: Any) -> str:
    """Compact JSON of `value`: orjson, or json for what orjson refuses (an integer beyond
    64 bits, a lone surrogate, which json escapes, a non-string key)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":"))
