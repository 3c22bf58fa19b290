"""Event deliveries of a destination: the ledger page by page, counts per status per MINUTE,
HOUR or DAY, and replay of failed deliveries. Viewing: Source Admin over the destination's
source or a viewer of its function; replaying: Source Admin."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery.api.destinations import DestinationScopedView
from delivery.kinds.registry import kind_of
from delivery.models import DeliveryStatus, Destination
from delivery.queries import GRANULARITIES, MetricRow, delivery_metrics, event_deliveries
from delivery.replay import deliveries_replay
from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.serializers import StrictSerializer
from workspace.errors import InvalidInput
from workspace.permissions import Action

TAGS = ["Event Deliveries"]
DESTINATION_ID = OpenApiParameter("destinationId", str, OpenApiParameter.PATH)
DEFAULT_SPANS = {"MINUTE": timedelta(hours=1), "HOUR": timedelta(days=1), "DAY": timedelta(days=30)}


class EventDeliverySerializer(serializers.Serializer):
    id = serializers.CharField()
    messageId = serializers.CharField(source="message_id")
    type = serializers.CharField(source="event_type")
    status = serializers.ChoiceField(choices=DeliveryStatus.values)
    errorType = serializers.CharField(source="error_type")
    errorMessage = serializers.CharField(source="error_message")
    attempts = serializers.IntegerField()
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    receivedAt = serializers.DateTimeField(source="received_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    event = serializers.JSONField()
    logs = serializers.JSONField(help_text="The handler's logs, kept for failures.")
    requests = serializers.JSONField(help_text="Outgoing requests, kept for failures.")


class EventDeliveryListOutputSerializer(serializers.Serializer):
    eventDeliveries = EventDeliverySerializer(many=True)
    pagination = PaginationOutputSerializer()


class TimeRangeSerializer(serializers.Serializer):
    startTime = serializers.DateTimeField(required=False)
    endTime = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("startTime"), attrs.get("endTime")
        if start and end and start >= end:
            raise serializers.ValidationError({"endTime": "endTime must be after startTime"})
        return attrs


class EventDeliveryQuerySerializer(TimeRangeSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.values, required=False)


class MetricsQuerySerializer(TimeRangeSerializer):
    granularity = serializers.ChoiceField(choices=list(GRANULARITIES), default="MINUTE")


class ReplayInputSerializer(StrictSerializer):
    startTime = serializers.DateTimeField()
    endTime = serializers.DateTimeField()


class EventDeliveryListView(DestinationScopedView):
    @extend_schema(
        operation_id="listEventDeliveries",
        tags=TAGS,
        parameters=[DESTINATION_ID, EventDeliveryQuerySerializer, *PAGINATION_PARAMETERS],
        responses={200: EventDeliveryListOutputSerializer},
    )
    def get(self, request: Request, destinationId: str) -> Response:
        destination = self.administered_destination(destinationId, Action.DELIVERIES_VIEW)
        query = self.query(EventDeliveryQuerySerializer)
        page = paginate(
            event_deliveries(
                destination=destination,
                status=query.get("status"),
                start=query.get("startTime"),
                end=query.get("endTime"),
            ),
            request,
        )
        return Response(
            {
                "eventDeliveries": EventDeliverySerializer(page.items, many=True).data,
                "pagination": page.pagination,
            }
        )


def _metrics_summary(
    destination: Destination,
    rows: list[MetricRow],
    start: datetime,
    end: datetime,
    granularity: str,
) -> dict[str, Any]:
    metrics: dict[str, dict[str, Any]] = {}
    for row in rows:
        metric = metrics.setdefault(
            row["status"], {"metricName": row["status"], "total": 0, "breakdown": []}
        )
        metric["total"] += row["count"]
        metric["breakdown"].append({"metricName": row["time"].isoformat(), "value": row["count"]})
    return {
        "deliveryMetricsSummary": {
            "sourceId": destination.source_id,
            "destinationMetadataId": kind_of(destination).metadata(destination)["id"],
            "granularity": granularity,
            "startTime": start,
            "endTime": end,
            "metrics": list(metrics.values()),
        }
    }


class DeliveryMetricsView(DestinationScopedView):
    @extend_schema(
        operation_id="listDeliveryMetricsSummaryFromDestination",
        tags=TAGS,
        parameters=[DESTINATION_ID, MetricsQuerySerializer],
    )
    def get(self, request: Request, destinationId: str) -> Response:
        destination = self.administered_destination(destinationId, Action.DELIVERIES_VIEW)
        query = self.query(MetricsQuerySerializer)
        granularity = query["granularity"]
        end = query.get("endTime") or timezone.now()
        start = query.get("startTime") or end - DEFAULT_SPANS[granularity]
        if start >= end:
            raise InvalidInput("startTime must be before endTime", field="startTime")
        rows = delivery_metrics(
            destination=destination, start=start, end=end, granularity=granularity
        )
        return Response(_metrics_summary(destination, rows, start, end, granularity))


class EventDeliveryReplayView(DestinationScopedView):
    @extend_schema(
        operation_id="replayEventDeliveries",
        tags=TAGS,
        parameters=[DESTINATION_ID],
        request=ReplayInputSerializer,
    )
    def post(self, request: Request, destinationId: str) -> Response:
        destination = self.administered_destination(destinationId, Action.DELIVERIES_REPLAY)
        data = self.validated(ReplayInputSerializer)
        if data["startTime"] >= data["endTime"]:
            raise InvalidInput("startTime must be before endTime", field="startTime")
        count = deliveries_replay(
            destination=destination, actor=self.actor, start=data["startTime"], end=data["endTime"]
        )
        return Response({"replayed": count})
