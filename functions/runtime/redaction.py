"""Sensitive setting values never appear in logs, errors or request traces.

`redact` is the one function every path goes through (runtime results, so test runs
and the pipeline's stored logs, requests and errors). A secret is found in the forms
it takes in text a function produces:

- raw, and every mix of character escapes: JSON (`JSON.stringify`, `\\n`, `\\"`,
  `\\\\`, `\\u00e9`), JavaScript string literals (`console.log` of an object: `\\'`,
  `\\xNN`), percent-encoding of its UTF-8 bytes (`%20` or `+` for a space, either
  hex case, once or twice) and JavaScript's legacy `escape` (`%E9`, `%u20AC`); in
  a URL, a backslash as "/" and a tab or newline left out, as URL parsers write them;
- base64, standard and URL-safe, of the secret alone or inside a larger blob (the
  HTTP Basic `btoa(user + ':' + secret)` form among them), at each of the 3 byte
  alignments it can have there;
- hex of its UTF-8 bytes, either case, for secrets of 4 bytes or more.

What remains unfindable: inside a base64 blob, the one or two characters at each end
of the secret that mix its bits with its neighbours' (at most 4 bits of the secret on
each side stay visible), and the whole secret when it is so short (1 to 3 bytes) that
its fully determined characters would be fewer than 4; forms built from a transformed
secret (hashed, encrypted, reversed, JSON-escaped twice, base64 of its JSON escape) are not
the secret's text and are not looked for.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable
from typing import Any

from functions.runtime.results import RunResult

REDACTED = "[redacted]"
# Fewer fully determined base64 characters than this would match ordinary text.
MIN_BASE64_CORE = 4
MIN_HEX_BYTES = 4

_SHORT_ESCAPES = {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v", "\0": "0"}


def _hex_digits(value: int, width: int) -> str:
    return "".join(f"[{d.lower()}{d}]" if d.isalpha() else d for d in f"{value:0{width}X}")


def _plain(ch: str) -> str:
    """One character as itself or percent-encoded, once or twice (UTF-8 bytes, or the
    Latin-1 and %u-plus-four-hex-digits forms of JavaScript's legacy escape)."""
    utf8 = "".join("%" + _hex_digits(b, 2) for b in ch.encode("utf-8", "surrogatepass"))
    legacy = "%" + _hex_digits(ord(ch), 2) if ord(ch) < 0x100 else "%u" + _hex_digits(ord(ch), 4)
    space = [r"\+", "%2[bB]"] if ch == " " else []
    # A URL parser (WHATWG, node-fetch) turns a backslash in an http(s) path into "/".
    space += ["/"] if ch == "\\" else []
    # It also drops every tab and newline of a URL (a request's url and target).
    space += [""] if ch in "\t\n\r" else []
    # Encoded twice too (encodeURIComponent of a query string): `%` itself as %25.
    twice = [form.replace("%", "%25") for form in (utf8, legacy)]
    forms = dict.fromkeys([re.escape(ch), utf8, legacy, *twice, *space])
    return "(?:" + "|".join(forms) + ")"


def _escape_texts(ch: str) -> list[str]:
    """One character written escaped, as JSON or a JavaScript string literal does it;
    only characters that those ever escape."""
    code = ord(ch)
    if 0x20 <= code < 0x7F and ch not in "\"'\\/":
        return []
    texts = [f"\\{_SHORT_ESCAPES[ch]}"] if ch in _SHORT_ESCAPES else []
    if ch in "\"'\\/":
        texts.append("\\" + ch)
    if code < 0x100:
        texts += [f"\\x{code:02x}", f"\\x{code:02X}"]
    if code < 0x10000:
        return [*texts, f"\\u{code:04x}", f"\\u{code:04X}"]
    high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
    return [*texts, f"\\u{high:04x}\\u{low:04x}", f"\\u{high:04X}\\u{low:04X}"]


def _escaped_again(text: str) -> str:
    """An escape written into JSON once more (JSON.stringify of JSON text): `\\"` -> `\\\\\\"`."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _char_pattern(ch: str) -> str:
    # An escape may itself be percent-encoded: encodeURIComponent(JSON.stringify(...)),
    # or escaped again: JSON.stringify of a JSON string.
    texts = _escape_texts(ch)
    escaped = [
        "".join(re.escape(c) if c.isalnum() else _plain(c) for c in text)
        for text in dict.fromkeys([*texts, *map(_escaped_again, texts)])
    ]
    return "(?:" + "|".join([_plain(ch), *escaped]) + ")" if escaped else _plain(ch)


def _base64_cores(data: bytes) -> set[str]:
    """The base64 characters that depend on `data` alone, at each alignment."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        core = encoded[-(-8 * offset // 6) : 8 * (offset + len(data)) // 6]
        if len(core) >= MIN_BASE64_CORE:
            cores.update({core, core.replace("+", "-").replace("/", "_")})
    return cores


def _secret_pattern(secret: str) -> str:
    data = secret.encode("utf-8", "surrogatepass")
    literals = set(_base64_cores(data))
    if len(data) >= MIN_HEX_BYTES:
        literals.update({data.hex(), data.hex().upper()})
    texts = sorted(literals, key=len, reverse=True)
    return "|".join(["".join(map(_char_pattern, secret)), *map(re.escape, texts)])


@functools.lru_cache(maxsize=256)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    # Longest first, so a secret containing another is replaced whole.
    ordered = sorted(set(secrets), key=len, reverse=True)
    return re.compile("|".join(f"(?:{_secret_pattern(s)})" for s in ordered))


def secret_texts(values: Iterable[Any]) -> tuple[str, ...]:
    """The strings to hide, from sensitive setting values of any schema type (a
    string, the items of an array, the keys and values of a text map)."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list | tuple):
            found.extend(secret_texts(value))
        elif isinstance(value, dict):
            found.extend(secret_texts([*value.keys(), *value.values()]))
        elif value is not None and not isinstance(value, bool):
            found.append(str(value))
    return tuple(text for text in found if text)


def redact(text: str, secrets: Iterable[str]) -> str:
    pattern = _pattern(tuple(s for s in secrets if isinstance(s, str) and s))
    return pattern.sub(REDACTED, text) if pattern is not None else text


def _redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redact_value(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _redact_value(item, secrets) for key, item in value.items()}
    return value


def redact_run(result: RunResult, secrets: Iterable[str]) -> RunResult:
    """`result` with every secret form replaced in its logs, traces and errors."""
    hidden = tuple(s for s in secrets if isinstance(s, str) and s)
    if not hidden:
        return result
    result.logs = _redact_value(result.logs, hidden)
    result.requests = _redact_value(result.requests, hidden)
    for event in result.results:
        event.logs = _redact_value(event.logs, hidden)
        event.requests = _redact_value(event.requests, hidden)
        if event.error:
            event.error = {k: redact(str(v), hidden) for k, v in event.error.items()}
    return result
