"""`GET /api/connection-health`: every connection the token may see, with its health state."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery.health.queries import Connection, connections
from workspace.api.views import ApiView


class ConnectionHealthSerializer(serializers.Serializer):
    destinationId = serializers.CharField(source="destination.pk")
    name = serializers.CharField(source="destination.name")
    sourceId = serializers.CharField(source="destination.source_id")
    kind = serializers.CharField(source="destination.kind")
    enabled = serializers.BooleanField(source="destination.enabled")
    insertFunctionId = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=["healthy", "degraded", "failing"])
    since = serializers.DateTimeField(source="health.since", allow_null=True, default=None)
    errorRate = serializers.FloatField(source="health.error_rate", allow_null=True, default=None)
    events = serializers.IntegerField(source="health.events", default=0)
    topError = serializers.CharField(source="health.top_error", default="")
    autoDisableMinutes = serializers.IntegerField(
        source="health.auto_disable_minutes", allow_null=True, default=None
    )
    errorRatePerMinute = serializers.ListField(
        source="sparkline", child=serializers.FloatField(), help_text="The last 60 minutes."
    )

    def get_insertFunctionId(self, connection: Connection) -> str | None:
        function = connection.insert_function
        return function.api_id if function is not None else None


class ConnectionHealthListSerializer(serializers.Serializer):
    connections = ConnectionHealthSerializer(many=True)


class ConnectionHealthView(ApiView):
    @extend_schema(
        operation_id="listConnectionHealth",
        tags=["Connection Health"],
        responses={200: ConnectionHealthListSerializer},
    )
    def get(self, request: Request) -> Response:
        rows = connections(self.user, self.workspace)
        return Response({"connections": ConnectionHealthSerializer(rows, many=True).data})
