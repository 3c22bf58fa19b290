"""OpenAPI generation for the envelope: 2xx bodies are documented wrapped in `{"data": ...}`,
always with status 200 (the reference answers create and delete with 200), and every
operation lists the error envelope for its 4xx answers."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class RequestErrorSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The type for this error (validation, server, ...).")
    message = serializers.CharField(help_text="An error message attached to this error.")
    field = serializers.CharField(
        required=False,
        help_text="The name of an input field from the request that triggered this error.",
    )
    # An API field; the stubs take it for Serializer.data.
    data = serializers.JSONField(  # type: ignore[assignment]
        required=False, allow_null=True, help_text="Any extra data associated with this error."
    )


class RequestErrorEnvelopeSerializer(serializers.Serializer):
    # An API field; the stubs take it for Serializer.errors.
    errors = RequestErrorSerializer(many=True)  # type: ignore[assignment]


_READ_ERRORS = {
    "400": "Malformed request",
    "401": "Missing or invalid token",
    "403": "The token's roles do not allow this",
    "404": "Resource not found",
    "422": "Validation failure",
    "429": "Too many requests",
}
_WRITE_ERRORS = {**_READ_ERRORS, "413": "Request body too large", "415": "Unsupported media type"}


class ApiAutoSchema(AutoSchema):
    def _is_create_operation(self) -> bool:
        return False

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in [c for c in responses if c.startswith("2") and c != "200"]:
            responses["200"] = responses.pop(code)
        for response in (r for c, r in responses.items() if c.startswith("2")):
            for content in response.get("content", {}).values():
                content["schema"] = {
                    "type": "object",
                    "properties": {"data": content["schema"]},
                    "required": ["data"],
                }
        errors = _READ_ERRORS if self.method in ("GET", "HEAD") else _WRITE_ERRORS
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    RequestErrorEnvelopeSerializer, code, ["application/json"], direction
                )
                responses[code]["description"] = description
        return responses
