"""The console's Event Delivery pages: overview, failures, list, one delivery, replay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.models import DeliveryStatus, EventDelivery
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


def _row(hook, n, status=DeliveryStatus.DELIVERED, age=timedelta(minutes=5), **fields):
    return EventDelivery.objects.create(
        workspace=hook.workspace,
        destination=hook,
        message_id=f"msg-{n}",
        event_type=fields.pop("event_type", "track"),
        event={"type": "track", "userId": f"user-{n}", "event": "Order"},
        status=status,
        received_at=timezone.now() - age,
        **fields,
    )


def _url(hook, suffix=""):
    return f"/admin/w/{hook.workspace.slug}/destinations/{hook.pk}/event-delivery/{suffix}"


def test_event_delivery_shows_totals_error_rate_chart_and_failures(client, owner, hook):
    for n in range(6):
        _row(hook, n)
    for n in range(6, 10):
        _row(hook, n, DeliveryStatus.FAILED, error_type="RetryError", error_message="HTTP 503")
    client.force_login(owner)
    response = client.get(_url(hook))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Event Delivery · " + hook.name in html
    assert '<span class="figure">10</span>' in html
    assert '<span class="figure">40%</span>' in html
    chart = response.context["chart"]
    assert sum(chart["series"]["delivered"]) == 6 and sum(chart["series"]["failed"]) == 4
    assert len(chart["times"]) == 61
    assert "HTTP 503" in html and "error_type=RetryError" in html
    assert "lease_token" not in html and "window_started_at" not in html


def test_event_delivery_filters_and_searches(client, owner, hook):
    _row(hook, 1)
    _row(hook, 2, DeliveryStatus.MESSAGE_REJECTED, error_type="ValidationError")
    _row(hook, 3, event_type="identify")
    client.force_login(owner)

    def listed(query):
        return [d.message_id for d in client.get(_url(hook) + query).context["deliveries"]]

    assert listed("?status=message_rejected") == ["msg-2"]
    assert listed("?error_type=ValidationError") == ["msg-2"]
    assert listed("?event_type=identify") == ["msg-3"]
    assert listed("?q=msg-1") == ["msg-1"]
    assert listed("?q=user-3") == ["msg-3"]
    assert listed("?status=bogus") == ["msg-3", "msg-2", "msg-1"]


def test_event_delivery_pages_with_a_cursor_newest_first(client, owner, hook):
    for n in range(55):
        _row(hook, n, age=timedelta(seconds=60 - n))
    client.force_login(owner)
    first = client.get(_url(hook))
    ids = [d.message_id for d in first.context["deliveries"]]
    assert ids[0] == "msg-54" and len(ids) == 50
    second = client.get(_url(hook) + "?cursor=" + first.context["next_cursor"])
    assert [d.message_id for d in second.context["deliveries"]] == [
        f"msg-{n}" for n in range(4, -1, -1)
    ]
    assert client.get(_url(hook) + "?cursor=not-a-cursor!").status_code == 200


def test_delivery_page_shows_the_event_error_logs_and_requests(client, owner, hook):
    row = _row(
        hook,
        1,
        DeliveryStatus.RETRYING,
        error_type="RetryError",
        error_message="HTTP 500: boom",
        attempts=2,
        next_attempt_at=timezone.now() + timedelta(minutes=3),
        logs=["log line one"],
        requests=[{"url": "https://hooks.example.com/in", "method": "POST", "status": 500}],
    )
    client.force_login(owner)
    html = client.get(_url(hook, f"{row.pk}/")).content.decode()
    for text in (
        "msg-1",
        "HTTP 500: boom",
        "log line one",
        "https://hooks.example.com/in",
        "Next attempt",
    ):
        assert text in html
    assert client.get(_url(hook, "999999/")).status_code == 404


def test_replay_previews_then_sends_failed_and_optionally_rejected(client, owner, hook):
    _row(hook, 1, DeliveryStatus.FAILED)
    _row(hook, 2, DeliveryStatus.MESSAGE_REJECTED)
    _row(hook, 3, DeliveryStatus.DELIVERED)
    client.force_login(owner)
    preview = client.get(_url(hook, "replay/") + "?window=hour")
    assert preview.context["will_send"] == 1
    html = preview.content.decode()
    assert "rejected by the destination" in html and "already delivered" in html
    assert client.get(_url(hook, "replay/") + "?window=hour&rejected=on").context["will_send"] == 2
    response = client.post(_url(hook, "replay/"), {"window": "hour", "confirm": "yes"})
    assert response.status_code == 302
    statuses = dict(EventDelivery.objects.values_list("message_id", "status"))
    assert statuses == {"msg-1": "retrying", "msg-2": "message_rejected", "msg-3": "delivered"}
    audit = AuditEvent.objects.filter(action="Event Deliveries Replayed").get()
    assert audit.diff["count"] == 1 and audit.diff["rejectedToo"] is False


def test_replay_of_selected_rows_only(client, owner, hook):
    first = _row(hook, 1, DeliveryStatus.FAILED)
    _row(hook, 2, DeliveryStatus.FAILED)
    client.force_login(owner)
    client.post(_url(hook, "replay/"), {"ids": [first.pk], "confirm": "yes"})
    assert EventDelivery.objects.get(pk=first.pk).status == DeliveryStatus.RETRYING
    assert EventDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 1


def test_readonly_member_views_deliveries_of_their_function_but_replays_nothing(
    client, workspace, hook
):
    function = function_factory(workspace)
    insert_instance_create(function=function, destination=hook, actor=SYSTEM, name="i", settings={})
    _row(hook, 1, DeliveryStatus.FAILED)
    reader = UserFactory()
    membership_grant(workspace=workspace, user=reader, role=Role.FUNCTIONS_READONLY, actor=SYSTEM)
    client.force_login(reader)
    page = client.get(_url(hook))
    assert page.status_code == 200
    assert b"Replay" not in page.content
    assert client.get(_url(hook, "replay/")).status_code == 403
    assert client.post(_url(hook, "replay/"), {"confirm": "yes"}).status_code == 403
    assert EventDelivery.objects.get().status == DeliveryStatus.FAILED


def test_event_delivery_of_another_workspace_is_a_404(client, hook):
    stranger = UserFactory()
    membership_grant(workspace=WorkspaceFactory(), user=stranger, role=Role.OWNER, actor=SYSTEM)
    client.force_login(stranger)
    assert client.get(_url(hook)).status_code == 404
