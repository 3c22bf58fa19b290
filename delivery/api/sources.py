"""Sources: create, list, get, update (name, enabled), delete. Each answers its writeKey."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery import services
from delivery.api.queries import source_by_id, sources_list
from delivery.models import Source
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.serializers import StatusSerializer, StrictSerializer
from workspace.api.views import ApiView
from workspace.permissions import Action, require

TAGS = ["Sources"]
SOURCE_ID = OpenApiParameter("sourceId", str, OpenApiParameter.PATH)


class SourceSerializer(serializers.Serializer):
    id = serializers.CharField()
    workspaceId = serializers.CharField(source="workspace_id")
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    writeKey = serializers.CharField(
        source="write_key", help_text="HTTP Basic username for the tracking API (/v1/...)."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class SourceOutputSerializer(serializers.Serializer):
    # An API field; the stubs take it for Field.source (the metaclass moves it to `fields`).
    source = SourceSerializer()  # type: ignore[assignment]


class SourceListOutputSerializer(serializers.Serializer):
    sources = SourceSerializer(many=True)
    pagination = PaginationOutputSerializer()


class SourceCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    enabled = serializers.BooleanField(required=False, default=True)


class SourceUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(required=False)


def _data(source: Source) -> dict[str, Any]:
    return {"source": SourceSerializer(source).data}


class SourceListView(ApiView):
    @extend_schema(
        operation_id="listSources",
        tags=TAGS,
        parameters=PAGINATION_PARAMETERS,
        responses={200: SourceListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        page = paginate(sources_list(user=self.user, workspace=self.workspace), request)
        return Response(
            {"sources": SourceSerializer(page.items, many=True).data, "pagination": page.pagination}
        )

    @extend_schema(
        operation_id="createSource",
        tags=TAGS,
        request=SourceCreateSerializer,
        responses={200: SourceOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        require(self.user, Action.SOURCE_CREATE, self.workspace)
        data = self.validated(SourceCreateSerializer)
        source = services.source_create(workspace=self.workspace, actor=self.actor, **data)
        return Response(_data(source))


class SourceDetailView(ApiView):
    def administered_source(self, source_id: str) -> Source:
        source = source_by_id(self.workspace, source_id)
        require(self.user, Action.SOURCE_ADMIN, self.workspace, source)
        return source

    @extend_schema(
        operation_id="getSource",
        tags=TAGS,
        parameters=[SOURCE_ID],
        responses={200: SourceOutputSerializer},
    )
    def get(self, request: Request, sourceId: str) -> Response:
        return Response(_data(self.administered_source(sourceId)))

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
        return Response(_data(services.source_update(source=source, actor=self.actor, **data)))

    @extend_schema(
        operation_id="deleteSource",
        tags=TAGS,
        parameters=[SOURCE_ID],
        responses={200: StatusSerializer},
    )
    def delete(self, request: Request, sourceId: str) -> Response:
        services.source_delete(source=self.administered_source(sourceId), actor=self.actor)
        return Response({"status": "SUCCESS"})
