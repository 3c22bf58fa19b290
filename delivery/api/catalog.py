"""The catalog (GET /catalog/destinations, /catalog/sources and one entry of each): the
kinds a destination or source can be here, in the Public API SDK's metadata shapes."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery.api.destinations import DestinationMetadataSerializer
from delivery.api.sources import SourceMetadataSerializer
from delivery.catalog import HTTP_API, WEBHOOK, function_metadata, source_metadata, webhook_metadata
from functions.api.queries import function_by_api_id
from functions.models import FunctionClass, ResourceType
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.views import ApiView
from workspace.errors import NotFound
from workspace.permissions import Action, can, viewable_functions

TAGS = ["Catalog"]


class DestinationsCatalogSerializer(serializers.Serializer):
    destinationsCatalog = DestinationMetadataSerializer(many=True)
    pagination = PaginationOutputSerializer()


class DestinationMetadataOutputSerializer(serializers.Serializer):
    destinationMetadata = DestinationMetadataSerializer()


class SourcesCatalogSerializer(serializers.Serializer):
    sourcesCatalog = SourceMetadataSerializer(many=True)
    pagination = PaginationOutputSerializer()


class SourceMetadataOutputSerializer(serializers.Serializer):
    sourceMetadata = SourceMetadataSerializer()


class DestinationsCatalogView(ApiView):
    @extend_schema(
        operation_id="getDestinationsCatalog",
        tags=TAGS,
        parameters=PAGINATION_PARAMETERS,
        responses={200: DestinationsCatalogSerializer},
    )
    def get(self, request: Request) -> Response:
        functions = viewable_functions(
            self.user,
            self.workspace,
            FunctionClass.objects.filter(resource_type=ResourceType.DESTINATION),
        ).order_by("created_at", "id")
        entries = [webhook_metadata(), *(function_metadata(f) for f in functions)]
        page = paginate(entries, request)
        return Response({"destinationsCatalog": page.items, "pagination": page.pagination})


class DestinationMetadataView(ApiView):
    @extend_schema(
        operation_id="getDestinationMetadata",
        tags=TAGS,
        parameters=[OpenApiParameter("destinationMetadataId", str, OpenApiParameter.PATH)],
        responses={200: DestinationMetadataOutputSerializer},
    )
    def get(self, request: Request, destinationMetadataId: str) -> Response:
        return Response({"destinationMetadata": self.entry(destinationMetadataId)})

    def entry(self, metadata_id: str) -> dict[str, Any]:
        if metadata_id == WEBHOOK:
            return webhook_metadata()
        function = function_by_api_id(self.workspace, metadata_id)
        visible = can(self.user, Action.FUNCTION_VIEW, self.workspace, function)
        if function.resource_type != ResourceType.DESTINATION or not visible:
            raise NotFound("Resource not found")
        return function_metadata(function)


class SourcesCatalogView(ApiView):
    @extend_schema(
        operation_id="getSourcesCatalog",
        tags=TAGS,
        parameters=PAGINATION_PARAMETERS,
        responses={200: SourcesCatalogSerializer},
    )
    def get(self, request: Request) -> Response:
        page = paginate([source_metadata(HTTP_API)], request)
        return Response({"sourcesCatalog": page.items, "pagination": page.pagination})


class SourceMetadataView(ApiView):
    @extend_schema(
        operation_id="getSourceMetadata",
        tags=TAGS,
        parameters=[OpenApiParameter("sourceMetadataId", str, OpenApiParameter.PATH)],
        responses={200: SourceMetadataOutputSerializer},
    )
    def get(self, request: Request, sourceMetadataId: str) -> Response:
        if sourceMetadataId != HTTP_API:
            raise NotFound("Resource not found")
        return Response({"sourceMetadata": source_metadata(HTTP_API)})
