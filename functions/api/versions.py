"""Function versions: list, get, restore an old one as the new latest."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from functions import services
from functions.api.functions import FUNCTION_ID, FunctionApiView
from functions.api.queries import deployed_version_ids, version_by_id, versions_list
from functions.api.serializers import (
    VersionListOutputSerializer,
    VersionOutputSerializer,
    VersionSerializer,
)
from functions.models import FunctionClass, FunctionVersion
from workspace.api.pagination import PAGINATION_PARAMETERS, paginate
from workspace.api.serializers import StrictSerializer
from workspace.errors import InvalidInput, NotFound

TAGS = ["Function Versions"]
VERSION_ID = OpenApiParameter("versionId", str, OpenApiParameter.PATH)


def _version_data(function: FunctionClass, version: FunctionVersion) -> dict[str, object]:
    context = {"deployed": deployed_version_ids(function)}
    return {"version": VersionSerializer(version, context=context).data}


class RestoreVersionSerializer(StrictSerializer):
    versionId = serializers.CharField(max_length=64, help_text="The version to restore.")


class FunctionVersionListView(FunctionApiView):
    @extend_schema(
        operation_id="listFunctionVersions",
        tags=TAGS,
        parameters=[FUNCTION_ID, *PAGINATION_PARAMETERS],
        responses={200: VersionListOutputSerializer},
    )
    def get(self, request: Request, functionId: str) -> Response:
        function = self.viewable_function(functionId)
        page = paginate(versions_list(function), request)
        context = {"deployed": deployed_version_ids(function)}
        return Response(
            {
                "versions": VersionSerializer(page.items, many=True, context=context).data,
                "pagination": page.pagination,
            }
        )

    @extend_schema(
        operation_id="restoreFunctionVersion",
        tags=TAGS,
        parameters=[FUNCTION_ID],
        request=RestoreVersionSerializer,
        responses={200: VersionOutputSerializer},
    )
    def post(self, request: Request, functionId: str) -> Response:
        function = self.editable_function(functionId)
        data = self.validated(RestoreVersionSerializer)
        try:
            version = version_by_id(function, data["versionId"])
        except NotFound:
            raise InvalidInput(
                f"versionId {data['versionId']} not found", field="versionId"
            ) from None
        restored = services.function_version_restore(
            function=function, version=version, actor=self.actor
        )
        return Response(_version_data(function, restored))


class FunctionVersionDetailView(FunctionApiView):
    @extend_schema(
        operation_id="getFunctionVersion",
        tags=TAGS,
        parameters=[FUNCTION_ID, VERSION_ID],
        responses={200: VersionOutputSerializer},
    )
    def get(self, request: Request, functionId: str, versionId: str) -> Response:
        function = self.viewable_function(functionId)
        return Response(_version_data(function, version_by_id(function, versionId)))
