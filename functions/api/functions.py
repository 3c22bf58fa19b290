"""Functions: create, list, get, update (Save), delete, deploy (Save & Deploy)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from functions import services
from functions.api.queries import function_by_api_id, functions_list
from functions.api.serializers import (
    RESOURCE_TYPES,
    FunctionCreateSerializer,
    FunctionListItemSerializer,
    FunctionListOutputSerializer,
    FunctionOutputSerializer,
    FunctionSerializer,
    FunctionUpdateSerializer,
    service_kwargs,
)
from functions.models import FunctionClass
from workspace.api.pagination import PAGINATION_PARAMETERS, paginate
from workspace.api.serializers import StatusSerializer, StrictSerializer
from workspace.api.views import ApiView
from workspace.permissions import INSTANCE_SOURCE_PATHS, Action, require

TAGS = ["Functions"]
FUNCTION_ID = OpenApiParameter(
    "functionId",
    str,
    OpenApiParameter.PATH,
    description="The function id (`dfn_…`, `ifnd_…`) or its prefix-less catalogId.",
)


# Function types of the Public API this product has none of. Listing them is no error (the
# SDK offers them, and scripts that export every type loop over them): the list is empty.
ABSENT_RESOURCE_TYPES = ["SOURCE", "INSERT_SOURCE", "INSERT_TRANSFORMATION"]


class FunctionListQuerySerializer(serializers.Serializer):
    resourceType = serializers.ChoiceField(
        choices=[*RESOURCE_TYPES, *ABSENT_RESOURCE_TYPES],
        help_text="SOURCE, INSERT_SOURCE and INSERT_TRANSFORMATION list nothing: this product "
        "has no such functions.",
    )


class FunctionApiView(ApiView):
    def viewable_function(self, function_id: str) -> FunctionClass:
        function = function_by_api_id(self.workspace, function_id)
        require(self.user, Action.FUNCTION_VIEW, self.workspace, function)
        return function

    def editable_function(self, function_id: str) -> FunctionClass:
        function = self.viewable_function(function_id)
        require(self.user, Action.FUNCTION_EDIT, self.workspace, function)
        return function

    def function_data(self, function: FunctionClass) -> dict[str, Any]:
        return {"function": FunctionSerializer(function).data}


class FunctionListView(FunctionApiView):
    @extend_schema(
        operation_id="listFunctions",
        tags=TAGS,
        parameters=[FunctionListQuerySerializer, *PAGINATION_PARAMETERS],
        responses={200: FunctionListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        query = self.query(FunctionListQuerySerializer)
        page = paginate(
            functions_list(
                user=self.user, workspace=self.workspace, resource_type=query["resourceType"]
            ),
            request,
        )
        return Response(
            {
                "functions": FunctionListItemSerializer(page.items, many=True).data,
                "pagination": page.pagination,
            }
        )

    @extend_schema(
        operation_id="createFunction",
        tags=TAGS,
        request=FunctionCreateSerializer,
        responses={200: FunctionOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        require(self.user, Action.FUNCTION_CREATE, self.workspace)
        data = self.validated(FunctionCreateSerializer)
        function = services.function_create(
            workspace=self.workspace,
            actor=self.actor,
            resource_type=data["resourceType"],
            **service_kwargs(data),
        )
        return Response(self.function_data(function))


class FunctionDetailView(FunctionApiView):
    @extend_schema(
        operation_id="getFunction",
        tags=TAGS,
        parameters=[FUNCTION_ID],
        responses={200: FunctionOutputSerializer},
    )
    def get(self, request: Request, functionId: str) -> Response:
        return Response(self.function_data(self.viewable_function(functionId)))

    @extend_schema(
        operation_id="updateFunction",
        tags=TAGS,
        parameters=[FUNCTION_ID],
        request=FunctionUpdateSerializer,
        responses={200: FunctionOutputSerializer},
    )
    def patch(self, request: Request, functionId: str) -> Response:
        function = self.editable_function(functionId)
        data = self.validated(FunctionUpdateSerializer)
        function = services.function_update(
            function=function, actor=self.actor, **service_kwargs(data)
        )
        return Response(self.function_data(function))

    @extend_schema(
        operation_id="deleteFunction",
        tags=TAGS,
        parameters=[FUNCTION_ID],
        responses={200: StatusSerializer},
    )
    def delete(self, request: Request, functionId: str) -> Response:
        function = self.editable_function(functionId)
        services.function_delete(function=function, actor=self.actor)
        return Response({"status": "SUCCESS"})


class DeployInputSerializer(StrictSerializer):
    instanceIds = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=1000,
        help_text="Deploy to these instances only (Save & Deploy); all when absent.",
    )


class DeploymentSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["SUCCESS"])


class DeployOutputSerializer(serializers.Serializer):
    functionDeployment = DeploymentSerializer()


class FunctionDeployView(FunctionApiView):
    @extend_schema(
        operation_id="createFunctionDeployment",
        tags=TAGS,
        parameters=[FUNCTION_ID],
        request=DeployInputSerializer,
        responses={200: DeployOutputSerializer},
    )
    def post(self, request: Request, functionId: str) -> Response:
        function = self.editable_function(functionId)
        data = self.validated(DeployInputSerializer)
        wanted = data.get("instanceIds")
        self.require_source_admin(function, wanted)
        services.function_deploy(function=function, actor=self.actor, instance_ids=wanted)
        return Response({"functionDeployment": {"status": "SUCCESS"}})

    def require_source_admin(self, function: FunctionClass, wanted: list[str] | None) -> None:
        """Deploying to existing instances needs Source Admin over their sources."""
        instances = function.instances.select_related(*INSTANCE_SOURCE_PATHS)
        if wanted is not None:
            instances = instances.filter(id__in=wanted)
        for instance in instances:
            require(
                self.user,
                Action.INSTANCE_CHANGE,
                self.workspace,
                instance,
                message=f"Deploying to instance {instance.id} needs the Source Admin role "
                "over its source",
                field="instanceIds",
            )
