"""Sources: create, list, get, update, delete, in the shapes of the Public API SDK's SourceV1
(slug, catalog metadata, writeKeys for those who administer the source, labels)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery import services
from delivery.api.queries import source_by_id, sources_list
from delivery.catalog import source_metadata
from delivery.models import Source
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.serializers import StatusSerializer, StrictSerializer
from workspace.api.views import ApiView
from workspace.permissions import Action, can, require

TAGS = ["Sources"]
SOURCE_ID = OpenApiParameter("sourceId", str, OpenApiParameter.PATH)


class LabelSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.CharField()


class SourceMetadataSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    logos = serializers.DictField()
    options = serializers.ListField(child=serializers.DictField())
    categories = serializers.ListField(child=serializers.CharField())
    isCloudEventSource = serializers.BooleanField()


class SourceSerializer(serializers.Serializer):
    """Needs `user` and `workspace` in its context: write keys go only to Source Admins of
    the source (and Owners)."""

    id = serializers.CharField()
    workspaceId = serializers.CharField(source="workspace_id")
    name = serializers.CharField()
    slug = serializers.CharField()
    enabled = serializers.BooleanField()
    metadata = serializers.SerializerMethodField()
    writeKeys = serializers.SerializerMethodField(
        help_text="HTTP Basic username for the tracking API (/v1/...); empty for callers who "
        "do not administer this source."
    )
    writeKey = serializers.SerializerMethodField(help_text="The first of writeKeys.")
    settings = serializers.DictField()
    labels = serializers.SerializerMethodField(help_text="Always empty: no labels here.")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(SourceMetadataSerializer)
    def get_metadata(self, source: Source) -> dict[str, Any]:
        return source_metadata(source.metadata_id)

    def get_writeKeys(self, source: Source) -> list[str]:
        user, workspace = self.context.get("user"), self.context.get("workspace")
        if user is None or workspace is None:
            return []
        allowed = can(user, Action.SOURCE_ADMIN, workspace, source)
        return [source.write_key] if allowed else []

    def get_writeKey(self, source: Source) -> str | None:
        keys = self.get_writeKeys(source)
        return keys[0] if keys else None

    @extend_schema_field(LabelSerializer(many=True))
    def get_labels(self, source: Source) -> list[dict[str, str]]:
        return []


class SourceOutputSerializer(serializers.Serializer):
    # An API field; the stubs take it for Field.source (the metaclass moves it to `fields`).
    source = SourceSerializer()  # type: ignore[assignment]


class SourceGetOutputSerializer(SourceOutputSerializer):
    trackingPlanId = serializers.CharField(
        allow_null=True, help_text="Always null: this product has no tracking plans."
    )


class SourceListOutputSerializer(serializers.Serializer):
    sources = SourceSerializer(many=True)
    pagination = PaginationOutputSerializer()


class SourceCreateSerializer(StrictSerializer):
    """The SDK's CreateSourceV1Input ({slug, enabled, metadataId, settings}), or a name."""

    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(max_length=100, required=False)
    metadataId = serializers.CharField(
        max_length=64, required=False, help_text='Any catalog id; "http-api" when left out.'
    )
    settings = serializers.DictField(required=False)
    enabled = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("name") and not attrs.get("slug"):
            raise serializers.ValidationError({"slug": "A slug (or a name) is required."})
        return attrs


class SourceUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(max_length=100, required=False)
    enabled = serializers.BooleanField(required=False)
    settings = serializers.DictField(required=False)


class SourceView(ApiView):
    def serializer_context(self) -> dict[str, Any]:
        return {"user": self.user, "workspace": self.workspace}

    def source_data(self, source: Source) -> dict[str, Any]:
        return {"source": SourceSerializer(source, context=self.serializer_context()).data}


class SourceListView(SourceView):
    @extend_schema(
        operation_id="listSources",
        tags=TAGS,
        parameters=PAGINATION_PARAMETERS,
        responses={200: SourceListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        page = paginate(sources_list(user=self.user, workspace=self.workspace), request)
        sources = SourceSerializer(page.items, many=True, context=self.serializer_context()).data
        return Response({"sources": sources, "pagination": page.pagination})

    @extend_schema(
        operation_id="createSource",
        tags=TAGS,
        request=SourceCreateSerializer,
        responses={200: SourceOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        require(self.user, Action.SOURCE_CREATE, self.workspace)
        data = self.validated(SourceCreateSerializer)
        source = services.source_create(
            workspace=self.workspace,
            actor=self.actor,
            name=data.get("name", ""),
            slug=data.get("slug", ""),
            metadata_id=data.get("metadataId", ""),
            settings=data.get("settings"),
            enabled=data["enabled"],
        )
        return Response(self.source_data(source))


class SourceDetailView(SourceView):
    def administered_source(self, source_id: str) -> Source:
        source = source_by_id(self.workspace, source_id)
        require(self.user, Action.SOURCE_ADMIN, self.workspace, source)
        return source

    @extend_schema(
        operation_id="getSource",
        tags=TAGS,
        parameters=[SOURCE_ID],
        responses={200: SourceGetOutputSerializer},
    )
    def get(self, request: Request, sourceId: str) -> Response:
        data = self.source_data(self.administered_source(sourceId))
        return Response({**data, "trackingPlanId": None})

    @extend_schema(
        operation_id="updateSource",
        tags=TAGS,
        parameters=[SOURCE_ID],
        request=SourceUpdateSerializer,
        responses={200: SourceOutputSerializer},
    )
    def patch(self, request: Request, sourceId: str) -> Response:
        source = self.administered_source(sourceId)
        data = self.validated(SourceUpdateSerializer)
        source = services.source_update(source=source, actor=self.actor, **data)
        return Response(self.source_data(source))

    @extend_schema(
        operation_id="deleteSource",
        tags=TAGS,
        parameters=[SOURCE_ID],
        responses={200: StatusSerializer},
    )
    def delete(self, request: Request, sourceId: str) -> Response:
        services.source_delete(source=self.administered_source(sourceId), actor=self.actor)
        return Response({"status": "SUCCESS"})
