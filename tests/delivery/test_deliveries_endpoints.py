"""GET /api/destinations/{id}/event-deliveries, /delivery-metrics and the replay endpoint."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.models import DeliveryStatus, EventDelivery
from tests.api_client import api_for, error_of
from tests.factories import WorkspaceFactory, source_factory, webhook_factory
from workspace.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _rows(hook, statuses, at=None):
    at = at or timezone.now()
    EventDelivery.objects.bulk_create(
        [
            EventDelivery(
                workspace=hook.workspace,
                destination=hook,
                message_id=f"m{i}",
                event_type="track",
                event={"type": "track"},
                status=status,
                attempts=1,
                received_at=at - timedelta(minutes=i),
            )
            for i, status in enumerate(statuses)
        ]
    )


@pytest.fixture
def hook(workspace):
    return webhook_factory(source_factory(workspace))


def test_event_deliveries_filter_by_status_and_paginate(workspace, hook):
    _rows(hook, ["delivered", "failed", "delivered", "retrying"])
    api = api_for(workspace, Role.OWNER)
    response = api.get(
        f"destinations/{hook.id}/event-deliveries", status="delivered", **{"pagination[count]": "1"}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert [d["status"] for d in data["eventDeliveries"]] == ["delivered"]
    assert data["pagination"]["totalEntries"] == 2
    assert data["pagination"]["next"]


def test_event_deliveries_filter_by_time(workspace, hook):
    _rows(hook, ["delivered"] * 5)
    since = (timezone.now() - timedelta(minutes=2, seconds=30)).isoformat()
    response = api_for(workspace, Role.OWNER).get(
        f"destinations/{hook.id}/event-deliveries", startTime=since
    )
    assert len(response.json()["data"]["eventDeliveries"]) == 3


def test_event_deliveries_bad_status_is_422_and_other_workspace_is_404(workspace, hook):
    api = api_for(workspace, Role.OWNER)
    assert api.get(f"destinations/{hook.id}/event-deliveries", status="nope").status_code == 422
    stranger = api_for(WorkspaceFactory(), Role.OWNER)
    response = stranger.get(f"destinations/{hook.id}/event-deliveries")
    assert response.status_code == 404
    assert error_of(response)["type"] == "NotFound"


def test_event_deliveries_need_source_admin(workspace, hook):
    response = api_for(workspace, Role.FUNCTIONS_READONLY).get(
        f"destinations/{hook.id}/event-deliveries"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("granularity", ["MINUTE", "HOUR", "DAY"])
def test_delivery_metrics_count_per_status_per_bucket(workspace, hook, granularity):
    _rows(hook, ["delivered", "delivered", "failed"])
    response = api_for(workspace, Role.OWNER).get(
        f"destinations/{hook.id}/delivery-metrics", granularity=granularity
    )
    assert response.status_code == 200
    summary = response.json()["data"]["deliveryMetricsSummary"]
    totals = {m["metricName"]: m["total"] for m in summary["metrics"]}
    assert totals == {"delivered": 2, "failed": 1}
    delivered = next(m for m in summary["metrics"] if m["metricName"] == "delivered")
    expected_buckets = 2 if granularity == "MINUTE" else 1
    assert len(delivered["breakdown"]) in (expected_buckets, 2)
    assert summary["destinationMetadataId"] == "webhook"


def test_delivery_metrics_bad_granularity_is_422(workspace, hook):
    response = api_for(workspace, Role.OWNER).get(
        f"destinations/{hook.id}/delivery-metrics", granularity="WEEK"
    )
    assert response.status_code == 422


def test_replay_puts_failed_deliveries_in_range_back_with_fresh_attempts(workspace, hook):
    _rows(hook, ["failed", "failed", "delivered", "failed"])
    api = api_for(workspace, Role.OWNER)
    now = timezone.now()
    response = api.post(
        f"destinations/{hook.id}/event-deliveries/replay",
        {
            "startTime": (now - timedelta(minutes=2, seconds=30)).isoformat(),
            "endTime": (now + timedelta(minutes=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"replayed": 2}
    replayed = EventDelivery.objects.filter(status=DeliveryStatus.RETRYING)
    assert {r.message_id for r in replayed} == {"m0", "m1"}
    assert {r.attempts for r in replayed} == {0}
    assert EventDelivery.objects.get(message_id="m3").status == DeliveryStatus.FAILED
    assert AuditEvent.objects.filter(action="Event Deliveries Replayed").count() == 1
