"""Insert function instances: connect an insert function in front of a destination, list,
get, update (settings, name, enabled), delete. Connecting, toggling and changing an instance
need Source Admin over the destination's source."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery import services as delivery_services
from delivery.api.queries import destination_by_id, insert_instance_by_id, insert_instances_list
from functions import instances as instance_services
from functions.api.queries import function_by_api_id
from functions.models import FunctionInstance
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.serializers import StatusSerializer, StrictSerializer
from workspace.api.views import ApiView
from workspace.errors import InvalidInput, NotFound
from workspace.permissions import Action, require

TAGS = ["Insert Function Instances"]
INSTANCE_ID = OpenApiParameter("instanceId", str, OpenApiParameter.PATH)


class InsertInstanceSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    integrationId = serializers.CharField(source="attached_destination.id")
    classId = serializers.CharField(
        source="function_id", help_text="The insert function's id, prefix-less."
    )
    enabled = serializers.BooleanField()
    versionId = serializers.CharField(
        source="version_id", help_text="The function version this instance runs."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    settings = serializers.SerializerMethodField(
        help_text="Setting values; sensitive ones masked (bullets + last 4 characters)."
    )
    encryptedSettings = serializers.SerializerMethodField()

    def get_settings(self, instance: FunctionInstance) -> dict[str, Any]:
        return instance_services.instance_settings_masked(instance)

    def get_encryptedSettings(self, instance: FunctionInstance) -> dict[str, Any]:
        return {}


class InsertInstanceOutputSerializer(serializers.Serializer):
    insertFunctionInstance = InsertInstanceSerializer()


class InsertInstanceListOutputSerializer(serializers.Serializer):
    instances = InsertInstanceSerializer(many=True)
    pagination = PaginationOutputSerializer()


class InsertInstanceCreateSerializer(StrictSerializer):
    functionId = serializers.CharField(
        max_length=64, help_text="The insert function id, prefix-less (`ifnd_` is tolerated)."
    )
    integrationId = serializers.CharField(
        max_length=64, help_text="The destination to put the insert function in front of."
    )
    name = serializers.CharField(max_length=200)
    enabled = serializers.BooleanField(required=False, default=True)
    settings = serializers.DictField(required=False, default=dict)


class InsertInstanceUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(required=False)
    settings = serializers.DictField(
        required=False, help_text="A masked value sent back keeps the stored secret."
    )


class InsertInstanceListQuerySerializer(serializers.Serializer):
    functionId = serializers.CharField(max_length=64)


def _data(instance: FunctionInstance) -> dict[str, Any]:
    return {"insertFunctionInstance": InsertInstanceSerializer(instance).data}


class InsertInstanceListView(ApiView):
    @extend_schema(
        operation_id="listInsertFunctionInstances",
        tags=TAGS,
        parameters=[InsertInstanceListQuerySerializer, *PAGINATION_PARAMETERS],
        responses={200: InsertInstanceListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        query = self.query(InsertInstanceListQuerySerializer)
        function = self.insert_function(query["functionId"])
        page = paginate(
            insert_instances_list(user=self.user, workspace=self.workspace, function=function),
            request,
        )
        return Response(
            {
                "instances": InsertInstanceSerializer(page.items, many=True).data,
                "pagination": page.pagination,
            }
        )

    @extend_schema(
        operation_id="createInsertFunctionInstance",
        tags=TAGS,
        request=InsertInstanceCreateSerializer,
        responses={200: InsertInstanceOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.validated(InsertInstanceCreateSerializer)
        function = self.insert_function(data["functionId"])
        require(
            self.user,
            Action.FUNCTION_VIEW,
            self.workspace,
            function,
            message="Your roles do not let you use this function",
            field="functionId",
        )
        try:
            destination = destination_by_id(self.workspace, data["integrationId"])
        except NotFound:
            raise InvalidInput(
                f"Destination {data['integrationId']} not found.", field="integrationId"
            ) from None
        require(
            self.user,
            Action.DESTINATION_CHANGE,
            self.workspace,
            destination,
            message="Connecting a function needs the Source Admin role over the source",
            field="integrationId",
        )
        instance = delivery_services.insert_instance_create(
            function=function,
            destination=destination,
            actor=self.actor,
            name=data["name"],
            settings=data["settings"],
            enabled=data["enabled"],
        )
        return Response(_data(instance))

    def insert_function(self, function_id: str) -> Any:
        """The insert function `function_id` names; any other id is a 422 on functionId."""
        try:
            function = function_by_api_id(self.workspace, function_id)
        except NotFound:
            function = None
        if function is None or not function.is_insert:
            raise InvalidInput(f"Insert function {function_id} not found.", field="functionId")
        return function


class InsertInstanceDetailView(ApiView):
    def viewable_instance(self, instance_id: str) -> FunctionInstance:
        instance = insert_instance_by_id(self.workspace, instance_id)
        require(self.user, Action.INSTANCE_VIEW, self.workspace, instance)
        return instance

    def administered_instance(self, instance_id: str) -> FunctionInstance:
        instance = self.viewable_instance(instance_id)
        require(self.user, Action.INSTANCE_CHANGE, self.workspace, instance)
        return instance

    @extend_schema(
        operation_id="getInsertFunctionInstance",
        tags=TAGS,
        parameters=[INSTANCE_ID],
        responses={200: InsertInstanceOutputSerializer},
    )
    def get(self, request: Request, instanceId: str) -> Response:
        return Response(_data(self.viewable_instance(instanceId)))

    @extend_schema(
        operation_id="updateInsertFunctionInstance",
        tags=TAGS,
        parameters=[INSTANCE_ID],
        request=InsertInstanceUpdateSerializer,
        responses={200: InsertInstanceOutputSerializer},
    )
    def patch(self, request: Request, instanceId: str) -> Response:
        instance = self.administered_instance(instanceId)
        data = self.validated(InsertInstanceUpdateSerializer)
        instance = instance_services.instance_update(instance=instance, actor=self.actor, **data)
        return Response(_data(instance))

    @extend_schema(
        operation_id="deleteInsertFunctionInstance",
        tags=TAGS,
        parameters=[INSTANCE_ID],
        responses={200: StatusSerializer},
    )
    def delete(self, request: Request, instanceId: str) -> Response:
        instance = self.administered_instance(instanceId)
        instance_services.instance_delete(instance=instance, actor=self.actor)
        return Response({"status": "SUCCESS"})
