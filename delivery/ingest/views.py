"""The tracking API: POST /v1/track|identify|page|screen|group|alias|batch."""

import base64
import binascii
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from delivery.ingest.decoding import UndecodableBody, body_decoded
from delivery.ingest.outbox import BrokerUnavailable, enabled_source_exists, events_accept
from delivery.ingest.validation import (
    MAX_REQUEST_BYTES,
    InvalidEvent,
    Refusal,
    events_from_body,
    has_control_characters,
)
from workspace.json_input import JSONInputError, json_parse
from workspace.operations.metrics import events_counted

logger = logging.getLogger(__name__)


def _error(status: int, kind: str, message: str) -> JsonResponse:
    # `code` and `message` are what analytics-python reads from an error (it logs them and
    # raises APIError); `errors` is the envelope of the rest of this API.
    body = {"code": kind, "message": message, "errors": [{"type": kind, "message": message}]}
    return JsonResponse(body, status=status)


def _basic_username(request: HttpRequest) -> str | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None


def _write_key(request: HttpRequest, body: dict[str, Any]) -> str | None:
    write_key = _basic_username(request) or body.get("writeKey")
    # A NUL or line break cannot be a write key, and PostgreSQL refuses NUL in a query.
    if not isinstance(write_key, str) or not write_key or has_control_characters(write_key):
        return None
    return write_key


def _declared_length(request: HttpRequest) -> int | None:
    """Content-Length as a number of bytes, or None when it is not one (`abc`, `1e3`, `30, 5`)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    return int(declared) if declared.isascii() and declared.isdigit() else None


def _parse(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    declared = _declared_length(request)
    if declared is None:
        return None, _error(400, "bad-request", "Content-Length must be a number of bytes")
    if declared > MAX_REQUEST_BYTES:
        return None, _error(413, "payload-too-large", "the request is larger than 500 KB")
    raw = request.body
    if len(raw) > MAX_REQUEST_BYTES:
        return None, _error(413, "payload-too-large", "the request is larger than 500 KB")
    try:
        raw = body_decoded(
            raw, request.headers.get("Content-Encoding", ""), limit=MAX_REQUEST_BYTES
        )
    except UndecodableBody as error:
        kinds = {413: "payload-too-large", 415: "unsupported-encoding"}
        return None, _error(error.status, kinds.get(error.status, "bad-request"), str(error))
    try:
        return json_parse(raw), None
    except JSONInputError as error:
        return None, _error(400, "bad-request", str(error))


def _database_outage_is_503(
    view: Callable[..., JsonResponse],
) -> Callable[..., JsonResponse]:
    """PostgreSQL down or unreachable: the documented 503, so clients retry, not an HTML 500."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            logger.warning("tracking API refused a request: database unavailable: %s", error)
            return _error(503, "unavailable", "events cannot be accepted right now; retry later")

    return wrapper


@csrf_exempt
@require_POST
@_database_outage_is_503
def track_call(request: HttpRequest, kind: str) -> JsonResponse:
    body, refused = _parse(request)
    if refused is not None:
        return refused
    write_key = _write_key(request, body if isinstance(body, dict) else {})
    if write_key is None:
        return _unauthorized()
    received_at = timezone.now()
    try:
        tracked = events_from_body(body, kind=kind, received_at=received_at)
    except InvalidEvent as error:
        # Checked here, not first: a valid request's source is found by its entry's insert.
        if not enabled_source_exists(write_key):
            return _unauthorized()
        events_counted(refused=1)
        return _error(400, "bad-request", str(error))
    try:
        accepted = events_accept(
            write_key=write_key, events=tracked.events, received_at=received_at
        )
    except BrokerUnavailable as error:
        logger.warning(
            "tracking API refused %d events: broker unavailable: %s", len(tracked.events), error
        )
        return _error(503, "unavailable", "events cannot be accepted right now; retry later")
    if not accepted:
        return _unauthorized()
    events_counted(accepted=len(tracked.events), refused=len(tracked.refused))
    return _accepted(tracked.refused)


def _unauthorized() -> JsonResponse:
    return _error(401, "unauthorized", "a valid write key is required (HTTP Basic username)")


def _accepted(refused: list[Refusal]) -> JsonResponse:
    if not refused:
        return JsonResponse({"success": True})
    logger.info("tracking API refused %d events of a batch: %s", len(refused), refused[0].message)
    return JsonResponse(
        {"success": True, "refused": [{"index": r.position, "message": r.message} for r in refused]}
    )
