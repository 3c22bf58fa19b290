"""Serializer bases for the API: unknown body fields are refused naming the field, and
`allow_null` is off unless a field says so."""

from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not declare: `{"displayNmae": ...}` is a 422 naming it."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"Unknown field '{name}'."] for name in unknown}
                )
        return super().to_internal_value(data)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["SUCCESS"])
