"""Sensitive setting values never appear in logs, errors or request traces."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from functions.runtime.results import RunResult

REDACTED = "[redacted]"
# Shorter values would blank out ordinary words in logs.
MIN_SECRET_LENGTH = 3


def _forms(secrets: Iterable[str]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH:
            # A secret also shows up URL-encoded in query strings.
            forms.update({secret, quote(secret, safe=""), quote_plus(secret, safe="")})
    return sorted(forms, key=len, reverse=True)


def redact_text(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def redact_run(result: RunResult, secrets: Iterable[str]) -> RunResult:
    forms = _forms(secrets)
    if not forms:
        return result
    seen: dict[int, None] = {}
    for logs in [result.logs, *(r.logs for r in result.results)]:
        logs[:] = [redact_text(line, forms) for line in logs]
    for trace in [*result.requests, *(t for r in result.results for t in r.requests)]:
        if id(trace) in seen:
            continue
        seen[id(trace)] = None
        for key in ("url", "error"):
            if isinstance(trace.get(key), str):
                trace[key] = redact_text(trace[key], forms)
    for event in result.results:
        if event.error:
            event.error = {k: redact_text(str(v), forms) for k, v in event.error.items()}
    return result
