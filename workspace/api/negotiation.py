"""Media types: requests in `application/json` or the reference's versioned
`application/vnd.segment.v1+json` (`v1beta`, `v1alpha`); answers always in JSON, with
success bodies wrapped in `{"data": ...}`. Bodies over 1 MB are refused with 413; bodies
that are not JSON we can store (nested deeper than 64 levels, NaN, 1e400, a lone surrogate,
NUL) with 400 before any view sees them."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from workspace.json_input import JSONInputError, json_parse

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
            return json_parse(raw)
        except JSONInputError as exc:
            message = str(exc)
            raise ParseError(message[:1].upper() + message[1:]) from None


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
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A lone surrogate stored before ingest refused them (or echoed in an error):
            # UTF-8 cannot encode it, JSON's \u escape can, so the page still answers.
            return json.dumps(data, cls=self.encoder_class, separators=(",", ":")).encode()


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
