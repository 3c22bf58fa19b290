"""The tracking API: POST /v1/track|identify|page|screen|group|alias|batch."""

import base64
import binascii
import json
import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from delivery.models import Source
from delivery.outbox import BrokerUnavailable, events_accept
from delivery.validation import MAX_REQUEST_BYTES, InvalidEvent, events_from_body
from workspace.operations.metrics import events_counted

logger = logging.getLogger(__name__)


def _error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"type": kind, "message": message}]}, status=status)


def _basic_username(request: HttpRequest) -> str | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None


def _source(request: HttpRequest, body: dict[str, Any]) -> Source | None:
    write_key = _basic_username(request) or body.get("writeKey")
    if not isinstance(write_key, str) or not write_key:
        return None
    return Source.objects.filter(write_key=write_key, enabled=True).first()


def _parse(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    if int(request.headers.get("Content-Length") or 0) > MAX_REQUEST_BYTES:
        return None, _error(413, "payload-too-large", "the request is larger than 500 KB")
    raw = request.body
    if len(raw) > MAX_REQUEST_BYTES:
        return None, _error(413, "payload-too-large", "the request is larger than 500 KB")
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError) as error:
        return None, _error(400, "bad-request", f"malformed JSON: {error}")


@csrf_exempt
@require_POST
def track_call(request: HttpRequest, kind: str) -> JsonResponse:
    body, refused = _parse(request)
    if refused is not None:
        return refused
    source = _source(request, body if isinstance(body, dict) else {})
    if source is None:
        return _error(401, "unauthorized", "a valid write key is required (HTTP Basic username)")
    received_at = timezone.now()
    try:
        events = events_from_body(body, kind=kind, received_at=received_at)
    except InvalidEvent as error:
        events_counted(refused=1)
        return _error(400, "bad-request", str(error))
    try:
        events_accept(source=source, events=events, received_at=received_at)
    except BrokerUnavailable as error:
        logger.warning("tracking API refused %d events: broker unavailable: %s", len(events), error)
        return _error(503, "unavailable", "events cannot be accepted right now; retry later")
    events_counted(accepted=len(events))
    return JsonResponse({"success": True})
