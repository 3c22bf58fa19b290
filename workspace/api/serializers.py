"""Serializer bases for the API: unknown body fields are refused naming the field, and JSON
types are not coerced (`"displayName": 5` or `"enabled": "yes"` is a 422, not a string)."""

from typing import Any

from rest_framework import serializers

_EXPECTED = (
    (serializers.BooleanField, (bool,), "Must be a boolean."),
    (serializers.IntegerField, (int,), "Must be an integer."),
    (serializers.CharField, (str,), "Must be a string."),
)


def _type_error(field: serializers.Field, value: Any) -> str | None:
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        errors = [_type_error(field.child, item) for item in value]
        return next((e for e in errors if e), None)
    for kind, types, message in _EXPECTED:
        if isinstance(field, kind):
            wrong = not isinstance(value, types) or (
                kind is serializers.IntegerField and isinstance(value, bool)
            )
            return message if wrong and value is not None else None
    return None


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not declare (`{"displayNmae": ...}` is a 422 naming it) and values
    of the wrong JSON type."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            errors = {name: [f"Unknown field '{name}'."] for name in unknown}
            for name, field in self.fields.items():
                message = _type_error(field, data[name]) if name in data else None
                if message:
                    errors[name] = [message]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["SUCCESS"])
