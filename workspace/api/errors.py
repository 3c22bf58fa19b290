"""The error envelope `{"errors": [{"type", "message", "field"?}]}` and the mapping of domain
and DRF exceptions to it (401, 403, 404, 413, 422, 429, ...)."""

from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from workspace import errors as domain

NOT_FOUND_MESSAGE = "Resource not found"

_TYPES: dict[type[Exception], tuple[int, str]] = {
    exceptions.NotAuthenticated: (401, "Unauthorized"),
    exceptions.AuthenticationFailed: (401, "Unauthorized"),
    exceptions.PermissionDenied: (403, "Forbidden"),
    exceptions.NotFound: (404, "NotFound"),
    exceptions.ParseError: (400, "bad-request"),
    exceptions.MethodNotAllowed: (405, "MethodNotAllowed"),
    exceptions.NotAcceptable: (406, "NotAcceptable"),
    exceptions.UnsupportedMediaType: (415, "UnsupportedMediaType"),
}


def error(type_: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": type_, "message": message}
    if field:
        item["field"] = field
    item.update(extra)
    return item


def envelope(
    status: int, items: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> Response:
    return Response({"errors": items}, status=status, headers=headers)


def _field_path(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key == "non_field_errors":
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def flatten_validation(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list, each naming its field path."""
    if isinstance(detail, dict):
        return [
            item
            for key, value in detail.items()
            for item in flatten_validation(value, _field_path(prefix, key))
        ]
    if isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            return [
                error("ValidationFailure", _with_field(prefix, str(v)), prefix or "body")
                for v in detail
            ]
        return [
            item
            for index, value in enumerate(detail)
            if value
            for item in flatten_validation(value, _field_path(prefix, index))
        ]
    return [error("ValidationFailure", _with_field(prefix, str(detail)), prefix or "body")]


def _with_field(field: str, message: str) -> str:
    return f"{field}: {message}" if field and field not in message else message


def _domain_response(exc: domain.DomainError) -> Response:
    if isinstance(exc, domain.NotFound):
        return envelope(404, [error("NotFound", exc.message or NOT_FOUND_MESSAGE, exc.field)])
    if isinstance(exc, domain.PermissionDenied):
        return envelope(403, [error("Forbidden", exc.message, exc.field)])
    return envelope(422, [error("ValidationFailure", exc.message, exc.field)])


def _throttled_response(exc: exceptions.Throttled, context: dict[str, Any]) -> Response:
    request = context.get("request")
    state = getattr(request, "rate_limit", None)
    # DRF sets `wait` in Throttled.__init__; the stubs leave the attribute out.
    wait: float | None = exc.wait  # type: ignore[attr-defined]
    wait_ms = int((wait or 0) * 1000)
    data = {
        "remainingPoints": 0,
        "msBeforeNext": wait_ms,
        "consumedPoints": state.consumed if state else None,
    }
    headers = {"Retry-After": str(max(1, round(wait or 1)))}
    return envelope(429, [error("RateLimited", "Rate limit exceeded", data=data)], headers)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, domain.DomainError):
        return _domain_response(exc)
    if isinstance(exc, Http404):
        return envelope(404, [error("NotFound", NOT_FOUND_MESSAGE)])
    if isinstance(exc, exceptions.Throttled):
        return _throttled_response(exc, context)
    if isinstance(exc, exceptions.ValidationError):
        return envelope(
            422,
            flatten_validation(exc.detail) or [error("ValidationFailure", "Validation failure")],
        )
    if isinstance(exc, exceptions.APIException):
        status, type_ = next(
            (v for k, v in _TYPES.items() if isinstance(exc, k)),
            (exc.status_code, type(exc).__name__),
        )
        field = "body" if status in (400, 413) else None
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return envelope(status, [error(type_, str(exc.detail), field)], headers)
    return None
