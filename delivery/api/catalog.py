"""The catalog (GET /catalog/destinations, /catalog/sources and one entry of each): the
kinds a destination or source can be here, in the Public API SDK's metadata shapes."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery.api.destinations import DestinationMetadataSerializer
from delivery.api.sources import SourceMetadataSerializer
from delivery.catalog import HTTP_API, source_metadata
from delivery.kinds.registry import destination_catalog_entry, destinations_catalog
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.views import ApiView
from workspace.errors import NotFound

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
        page = paginate(destinations_catalog(self.user, self.workspace), request)
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
        entry = destination_catalog_entry(self.user, self.workspace, metadata_id)
        if entry is None:
            raise NotFound("Resource not found")
        return entry


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
