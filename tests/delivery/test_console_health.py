"""The Connection Health page and `GET /api/connection-health`."""

import pytest

from delivery.health.evaluate import health_evaluate
from delivery.models import ConnectionHealth, EventDelivery
from delivery.services import insert_instance_create
from tests.factories import (
    UserFactory,
    WorkspaceFactory,
    function_factory,
    source_factory,
    webhook_factory,
)
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(workspace):
    return webhook_factory(source_factory(workspace), "https://hooks.example.com/in")


def _failing(hook, n=10):
    from django.utils import timezone

    for i in range(n):
        EventDelivery.objects.create(
            workspace=hook.workspace,
            destination=hook,
            message_id=f"m{i}",
            event_type="track",
            event={},
            status="failed",
            error_type="RetryError",
            error_message="HTTP 503: down",
            received_at=timezone.now(),
        )
    health_evaluate()


def _url(workspace, suffix=""):
    return f"/admin/w/{workspace.slug}/health/{suffix}"


def test_health_page_shows_state_sparkline_top_error_and_alerts(client, workspace, owner, hook):
    _failing(hook)
    client.force_login(owner)
    html = client.get(_url(workspace)).content.decode()
    assert "health-failing" in html and "HTTP 503: down" in html
    assert "data-sparkline=" in html and "is failing (was healthy)" in html
    assert "Alert webhook" in html and "after <input" in html


def test_health_page_readonly_member_sees_their_connection_but_changes_nothing(
    client, workspace, hook
):
    function = function_factory(workspace)
    insert_instance_create(function=function, destination=hook, actor=SYSTEM, name="i", settings={})
    reader = UserFactory()
    membership_grant(workspace=workspace, user=reader, role=Role.FUNCTIONS_READONLY, actor=SYSTEM)
    client.force_login(reader)
    html = client.get(_url(workspace)).content.decode()
    assert hook.name in html and "Alert webhook" not in html and 'name="minutes"' not in html
    response = client.post(
        f"/admin/w/{workspace.slug}/destinations/{hook.pk}/auto-disable/", {"minutes": "30"}
    )
    assert response.status_code == 403
    assert (
        client.post(_url(workspace, "alert-webhook/"), {"url": "https://x.example"}).status_code
        == 403
    )
    # Subscribing to a function they can view is theirs to decide.
    client.post(_url(workspace, f"subscriptions/{function.pk}/"), {"subscribed": "on"})
    assert function.alert_subscriptions.filter(user=reader).exists()


def test_auto_disable_setting_is_audited_and_validated(client, workspace, owner, hook):
    client.force_login(owner)
    client.post(
        f"/admin/w/{workspace.slug}/destinations/{hook.pk}/auto-disable/", {"minutes": "45"}
    )
    assert ConnectionHealth.objects.get(destination=hook).auto_disable_minutes == 45
    assert AuditEvent.objects.filter(action="Connection Auto-disable Changed").exists()
    client.post(f"/admin/w/{workspace.slug}/destinations/{hook.pk}/auto-disable/", {"minutes": "1"})
    assert ConnectionHealth.objects.get(destination=hook).auto_disable_minutes == 45


def test_alert_webhook_is_shown_masked_and_the_mask_keeps_it(client, workspace, owner):
    client.force_login(owner)
    client.post(
        _url(workspace, "alert-webhook/"), {"url": "https://hooks.example.com/a?token=s3cr3t"}
    )
    workspace.refresh_from_db()
    assert workspace.alert_webhook_url == "https://hooks.example.com/a?token=s3cr3t"
    html = client.get(_url(workspace)).content.decode()
    assert "s3cr3t" not in html
    masked = client.get(_url(workspace)).context["alert_webhook"]
    client.post(_url(workspace, "alert-webhook/"), {"url": masked})
    workspace.refresh_from_db()
    assert workspace.alert_webhook_url.endswith("token=s3cr3t")
    audit = AuditEvent.objects.get(action="Alert Webhook Changed")
    assert "s3cr3t" not in str(audit.diff)


def test_health_of_another_workspace_is_a_404(client, hook):
    stranger = UserFactory()
    membership_grant(workspace=WorkspaceFactory(), user=stranger, role=Role.OWNER, actor=SYSTEM)
    client.force_login(stranger)
    assert client.get(_url(hook.workspace)).status_code == 404


def test_api_connection_health_lists_states(api, hook):
    _failing(hook)
    response = api.get("connection-health")
    assert response.status_code == 200
    (row,) = response.json()["data"]["connections"]
    assert row["destinationId"] == hook.pk and row["state"] == "failing"
    assert row["errorRate"] == 1.0 and "HTTP 503" in row["topError"]
    assert len(row["errorRatePerMinute"]) == 60
