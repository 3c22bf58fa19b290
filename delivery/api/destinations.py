"""Destinations: one of a catalog entry (`metadataId`: "webhook", a destination function's
catalogId, whatever entries the kinds of delivery/kinds/ offer). Create, list, get, update,
delete; all need Source Admin over the destination's source."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery import services
from delivery.api.queries import destination_by_id, destinations_list, source_by_id
from delivery.kinds.base import Kind
from delivery.kinds.registry import KINDS, kind_of, kind_offering
from delivery.ledger.retry import MAX_ATTEMPTS, MIN_ATTEMPTS
from delivery.models import Destination, Source
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.serializers import StatusSerializer, StrictSerializer
from workspace.api.views import ApiView
from workspace.errors import InvalidInput, NotFound
from workspace.permissions import Action, require

TAGS = ["Destinations"]

DESTINATION_ID = OpenApiParameter("destinationId", str, OpenApiParameter.PATH)


class DestinationMetadataSerializer(serializers.Serializer):
    """The catalog entry (DestinationMetadataV1 of the Public API SDK), plus `kind`."""

    id = serializers.CharField(
        help_text="\"webhook\", the destination function's catalogId, or another kind's entry."
    )
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    description = serializers.CharField()
    slug = serializers.CharField()
    logos = serializers.DictField(help_text="A function's logo URL, or this server's icon.")
    options = serializers.ListField(
        child=serializers.DictField(), help_text="The settings a destination of it takes."
    )
    status = serializers.CharField()
    previousNames = serializers.ListField(child=serializers.CharField())
    categories = serializers.ListField(child=serializers.CharField())
    website = serializers.CharField()
    components = serializers.ListField(child=serializers.DictField())
    supportedFeatures = serializers.DictField()
    supportedMethods = serializers.DictField()
    supportedPlatforms = serializers.DictField()
    actions = serializers.ListField(child=serializers.DictField())
    presets = serializers.ListField(child=serializers.DictField())


class DestinationSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    enabled = serializers.BooleanField(help_text="Whether this Destination receives data.")
    sourceId = serializers.CharField(source="source_id")
    metadata = serializers.SerializerMethodField()
    settings = serializers.SerializerMethodField(
        help_text="Webhook url and headers, or the function's setting values; secrets and "
        "header values masked (bullets + last 4 characters), the url's userinfo and query "
        "values masked (bullets)."
    )
    maxAttempts = serializers.IntegerField(source="max_attempts")
    functionInstanceId = serializers.CharField(
        source="function_instance_id",
        allow_null=True,
        help_text="The destination function instance (for deploy's instanceIds).",
    )
    versionId = serializers.SerializerMethodField()
    insertFunctionInstanceId = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(DestinationMetadataSerializer)
    def get_metadata(self, destination: Destination) -> dict[str, Any]:
        return kind_of(destination).metadata(destination)

    def get_settings(self, destination: Destination) -> dict[str, Any]:
        return kind_of(destination).settings_masked(destination)

    def get_versionId(self, destination: Destination) -> str | None:
        instance = destination.function_instance
        return instance.version_id if instance is not None else None

    def get_insertFunctionInstanceId(self, destination: Destination) -> str | None:
        return destination.insert_instance_id


class DestinationOutputSerializer(serializers.Serializer):
    destination = DestinationSerializer()


class DestinationListOutputSerializer(serializers.Serializer):
    destinations = DestinationSerializer(many=True)
    pagination = PaginationOutputSerializer()


class DestinationCreateSerializer(StrictSerializer):
    sourceId = serializers.CharField(max_length=64)
    metadataId = serializers.CharField(
        max_length=64, help_text="The id of an entry of the destinations catalog."
    )
    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(required=False, default=True)
    settings = serializers.DictField(
        help_text="Webhook: {url, headers}. Function: its setting values."
    )


class DestinationUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(required=False)
    settings = serializers.DictField(
        required=False,
        help_text="Masked values (a header value, the url) sent back keep the stored ones.",
    )
    maxAttempts = serializers.IntegerField(
        required=False, min_value=MIN_ATTEMPTS, max_value=MAX_ATTEMPTS
    )


class DestinationListQuerySerializer(serializers.Serializer):
    sourceId = serializers.CharField(max_length=64, required=False)


def _data(destination: Destination) -> dict[str, Any]:
    return {"destination": DestinationSerializer(destination).data}


class DestinationListView(ApiView):
    @extend_schema(
        operation_id="listDestinations",
        tags=TAGS,
        parameters=[DestinationListQuerySerializer, *PAGINATION_PARAMETERS],
        responses={200: DestinationListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        query = self.query(DestinationListQuerySerializer)
        page = paginate(
            destinations_list(
                user=self.user, workspace=self.workspace, source_id=query.get("sourceId", "")
            ),
            request,
        )
        return Response(
            {
                "destinations": DestinationSerializer(page.items, many=True).data,
                "pagination": page.pagination,
            }
        )

    @extend_schema(
        operation_id="createDestination",
        tags=TAGS,
        request=DestinationCreateSerializer,
        responses={200: DestinationOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.validated(DestinationCreateSerializer)
        source = self.connectable_source(data["sourceId"])
        kind = self.usable_kind(data["metadataId"])
        entry = kind.catalog_entry(self.user, self.workspace, data["metadataId"])
        destination = services.destination_create(
            workspace=self.workspace,
            actor=self.actor,
            source=source,
            kind=kind.name,
            metadata_id=data["metadataId"],
            name=data.get("name", (entry or {}).get("name", kind.label)),
            settings=data["settings"],
            enabled=data["enabled"],
        )
        return Response(_data(destination))

    def connectable_source(self, source_id: str) -> Source:
        try:
            source = source_by_id(self.workspace, source_id)
        except NotFound:
            raise InvalidInput(f"Source {source_id} not found.", field="sourceId") from None
        require(
            self.user,
            Action.SOURCE_ADMIN,
            self.workspace,
            source,
            message="Connecting a destination needs the Source Admin role over the source",
            field="sourceId",
        )
        return source

    def usable_kind(self, metadata_id: str) -> Kind:
        """The kind whose catalog entry `metadata_id` is, if the caller may use it."""
        kind = kind_offering(self.workspace, metadata_id)
        if kind is None:
            raise InvalidInput(
                f"Destination metadata {metadata_id} not found: use the id of an entry "
                "of the destinations catalog (GET /catalog/destinations).",
                field="metadataId",
            )
        kind.require_usable(self.user, self.workspace, metadata_id)
        return kind


class DestinationScopedView(ApiView):
    """Views under /destinations/{id}: the destination, if the caller may do `action` on it."""

    def administered_destination(
        self, destination_id: str, action: Action = Action.DESTINATION_CHANGE
    ) -> Destination:
        destination = destination_by_id(self.workspace, destination_id)
        require(self.user, action, self.workspace, destination)
        return destination


class DestinationDetailView(DestinationScopedView):
    @extend_schema(
        operation_id="getDestination",
        tags=TAGS,
        parameters=[DESTINATION_ID],
        responses={200: DestinationOutputSerializer},
    )
    def get(self, request: Request, destinationId: str) -> Response:
        destination = self.administered_destination(destinationId, Action.DESTINATION_VIEW)
        return Response(_data(destination))

    @extend_schema(
        operation_id="updateDestination",
        tags=TAGS,
        parameters=[DESTINATION_ID],
        request=DestinationUpdateSerializer,
        responses={200: DestinationOutputSerializer},
    )
    def patch(self, request: Request, destinationId: str) -> Response:
        destination = self.administered_destination(destinationId)
        data = self.validated(DestinationUpdateSerializer)
        destination = services.destination_update(
            destination=destination,
            actor=self.actor,
            name=data.get("name"),
            enabled=data.get("enabled"),
            settings=data.get("settings"),
            max_attempts=data.get("maxAttempts"),
        )
        return Response(_data(destination))

    @extend_schema(
        operation_id="deleteDestination",
        tags=TAGS,
        parameters=[DESTINATION_ID],
        responses={200: StatusSerializer},
    )
    def delete(self, request: Request, destinationId: str) -> Response:
        destination = self.administered_destination(destinationId)
        services.destination_delete(destination=destination, actor=self.actor)
        return Response({"status": "SUCCESS"})
