"""`GET /api/audit-events`: the workspace's audit trail, newest first (Workspace Owners)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from workspace.api.pagination import PAGINATION_PARAMETERS, PaginationOutputSerializer, paginate
from workspace.api.views import ApiView
from workspace.models import AuditEvent
from workspace.permissions import Action, require
from workspace.queries import audit_events_list


class AuditEventQuerySerializer(serializers.Serializer):
    startTime = serializers.DateTimeField(required=False)
    endTime = serializers.DateTimeField(required=False)
    resourceId = serializers.CharField(required=False, max_length=64)
    resourceType = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("startTime"), attrs.get("endTime")
        if start and end and start > end:
            raise serializers.ValidationError({"endTime": "endTime is before startTime."})
        return attrs


class AuditEventSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    timestamp = serializers.DateTimeField()
    type = serializers.CharField(source="action", help_text="e.g. `Function Created`.")
    actor = serializers.CharField()
    actorEmail = serializers.SerializerMethodField()
    resourceId = serializers.CharField(source="resource_id")
    resourceType = serializers.CharField(source="resource_type")
    resourceName = serializers.CharField(source="resource_name")
    diff = serializers.JSONField(help_text="What changed; secret values are redacted.")

    def get_actorEmail(self, event: AuditEvent) -> str | None:
        user = event.actor_user
        return (user.email or None) if user is not None else None


class AuditEventListSerializer(serializers.Serializer):
    events = AuditEventSerializer(many=True)
    pagination = PaginationOutputSerializer()


class AuditEventListView(ApiView):
    @extend_schema(
        operation_id="listAuditEvents",
        tags=["Audit Trail"],
        parameters=[AuditEventQuerySerializer, *PAGINATION_PARAMETERS],
        responses={200: AuditEventListSerializer},
    )
    def get(self, request: Request) -> Response:
        require(self.user, Action.AUDIT_VIEW, self.workspace)
        query = self.query(AuditEventQuerySerializer)
        page = paginate(
            audit_events_list(
                workspace=self.workspace,
                start_time=query.get("startTime"),
                end_time=query.get("endTime"),
                resource_id=query.get("resourceId", ""),
                resource_type=query.get("resourceType", ""),
            ),
            request,
        )
        return Response(
            {
                "events": AuditEventSerializer(page.items, many=True).data,
                "pagination": page.pagination,
            }
        )
