"""Media types: requests in `application/json` or the reference's versioned
`application/vnd.segment.v1+json` (`v1beta`, `v1alpha`); answers always in JSON, with
success bodies wrapped in `{"data": ...}`. Bodies over 1 MB are refused with 413."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/vnd.segment.v1+json",
        "application/vnd.segment.v1beta+json",
        "application/vnd.segment.v1alpha+json",
    }
)


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "Request body is larger than the limit"
    default_code = "payload_too_large"


def body_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 1024 * 1024)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class ApiJSONParser(BaseParser):
    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = body_limit()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
        try:
            text = raw.decode("utf-8")
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None
        # PostgreSQL text and jsonb cannot hold NUL: refuse it here rather than fail later.
        if "\\u0000" in text or "\x00" in text:
            raise ParseError("Request body contains a NUL character (\\u0000)")
        return data


class EnvelopeRenderer(JSONRenderer):
    """Success bodies become `{"data": ...}`; error bodies are already `{"errors": [...]}`."""

    media_type = "application/json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code < 400:
            data = {"data": data}
        return super().render(data, accepted_media_type, renderer_context)


class ApiContentNegotiation(DefaultContentNegotiation):
    """Every accepted request type goes to the JSON parser; every answer is JSON, whatever
    the Accept header asks (the reference's clients send the vendor types)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type in ACCEPTED_MEDIA_TYPES:
            return next(iter(parsers))
        return None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
