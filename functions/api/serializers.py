"""Shapes of functions and versions (FunctionV1, ListFunctionItemV1, FunctionSettingV1,
Version), with the reference's verbatim field names."""

from typing import Any

from rest_framework import serializers

from functions.models import (
    BATCH_MAX_COUNT_LIMITS,
    DISPLAY_NAME_MAX,
    FunctionClass,
    FunctionVersion,
    ResourceType,
)
from functions.schema import SETTING_TYPES
from workspace.api.pagination import PaginationOutputSerializer
from workspace.api.serializers import StrictSerializer

RESOURCE_TYPES = ResourceType.values
MAX_BATCH = max(BATCH_MAX_COUNT_LIMITS.values())


class FunctionSettingSerializer(StrictSerializer):
    # `label` and `required` are API fields here; the stubs take them for the Field attributes
    # of the same names (a Serializer is a Field), so the two assignments are ignored.
    name = serializers.RegexField(
        r"^[A-Za-z_$][A-Za-z0-9_$]*$",
        max_length=100,
        help_text="The name of this Function Setting (a JS identifier).",
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)  # type: ignore[assignment]
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    type = serializers.ChoiceField(choices=SETTING_TYPES, required=False, default="STRING")
    required = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]
    sensitive = serializers.BooleanField(required=False, default=False)


class FunctionWriteSerializer(StrictSerializer):
    code = serializers.CharField(trim_whitespace=False, help_text="The Function code.")
    settings = FunctionSettingSerializer(
        many=True, required=False, help_text="The list of settings for this Function."
    )
    displayName = serializers.CharField(max_length=DISPLAY_NAME_MAX)
    logoUrl = serializers.URLField(required=False, allow_blank=True, max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    batchMaxCount = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_BATCH,
        help_text="onBatch batch size (400 at most for destination functions).",
    )


class FunctionCreateSerializer(FunctionWriteSerializer):
    resourceType = serializers.ChoiceField(choices=RESOURCE_TYPES)


class FunctionUpdateSerializer(FunctionWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


# API field -> service keyword.
WRITE_FIELDS = {
    "code": "code",
    "settings": "settings_schema",
    "displayName": "display_name",
    "logoUrl": "logo_url",
    "description": "description",
    "batchMaxCount": "batch_max_count",
}


def service_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    kwargs = {WRITE_FIELDS[k]: v for k, v in data.items() if k in WRITE_FIELDS}
    if "settings_schema" in kwargs:
        kwargs["settings_schema"] = [dict(s) for s in kwargs["settings_schema"]]
    return kwargs


class FunctionListItemSerializer(serializers.Serializer):
    id = serializers.CharField(source="api_id", help_text="An identifier for this Function.")
    resourceType = serializers.ChoiceField(source="resource_type", choices=RESOURCE_TYPES)
    createdAt = serializers.DateTimeField(source="created_at")
    createdBy = serializers.SerializerMethodField()
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    logoUrl = serializers.CharField(source="logo_url")
    catalogId = serializers.CharField(source="id", help_text="The id without its prefix.")

    def get_createdBy(self, function: FunctionClass) -> str:
        return str(function.created_by_id or "")


class FunctionSettingOutSerializer(serializers.Serializer):
    # `label` and `required` are API fields here; the stubs take them for the Field attributes
    # of the same names (a Serializer is a Field), so the two assignments are ignored.
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True)
    type = serializers.ChoiceField(choices=SETTING_TYPES)
    required = serializers.BooleanField()  # type: ignore[assignment]
    sensitive = serializers.BooleanField()


class FunctionSerializer(FunctionListItemSerializer):
    workspaceId = serializers.CharField(source="workspace_id")
    code = serializers.CharField()
    settings = FunctionSettingOutSerializer(source="settings_schema", many=True)
    deployedAt = serializers.DateTimeField(source="deployed_at", allow_null=True)
    previewWebhookUrl = serializers.SerializerMethodField()
    batchMaxCount = serializers.IntegerField(source="batch_max_count")
    isLatestVersion = serializers.SerializerMethodField(
        help_text="Whether every instance runs the latest version."
    )

    def get_previewWebhookUrl(self, function: FunctionClass) -> str:
        return ""

    def get_isLatestVersion(self, function: FunctionClass) -> bool:
        latest = function.versions.order_by("-number").values_list("id", flat=True).first()
        return not function.instances.exclude(version_id=latest).exists()


class FunctionOutputSerializer(serializers.Serializer):
    function = FunctionSerializer()


class FunctionListOutputSerializer(serializers.Serializer):
    functions = FunctionListItemSerializer(many=True)
    pagination = PaginationOutputSerializer()


class VersionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="An identifier for this version.")
    number = serializers.IntegerField(help_text="1 for the first save, then counting up.")
    author = serializers.CharField(allow_blank=True)
    code = serializers.CharField()
    settings = FunctionSettingOutSerializer(source="settings_schema", many=True)
    isDeployed = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="created_at")
    deployedAt = serializers.SerializerMethodField()
    restoredFrom = serializers.CharField(source="restored_from_id", allow_null=True)

    def get_isDeployed(self, version: FunctionVersion) -> bool:
        return version.id in self.context.get("deployed", set())

    def get_deployedAt(self, version: FunctionVersion) -> str | None:
        if version.id not in self.context.get("deployed", set()):
            return None
        deployed_at = version.function.deployed_at or version.created_at
        return serializers.DateTimeField().to_representation(deployed_at)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        # The SDK types deployedAt as an optional string: a version never deployed has none,
        # rather than a null the SDK's type does not allow.
        if data.get("deployedAt") is None:
            data.pop("deployedAt", None)
        return data


class VersionListOutputSerializer(serializers.Serializer):
    versions = VersionSerializer(many=True)
    pagination = PaginationOutputSerializer()


class VersionOutputSerializer(serializers.Serializer):
    version = VersionSerializer()
