"""The read-only EventDelivery operator list and its replay action."""

import pytest
from django.utils import timezone

from delivery.models import DeliveryStatus, EventDelivery
from tests.factories import UserFactory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import Role
from workspace.services import membership_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def rows(workspace):
    hook = webhook_factory(source_factory(workspace))
    EventDelivery.objects.bulk_create(
        [
            EventDelivery(
                workspace=workspace,
                destination=hook,
                message_id=f"m{i}",
                event_type="track",
                event={},
                status=status,
                attempts=9,
                received_at=timezone.now(),
            )
            for i, status in enumerate(["failed", "delivered", "failed"])
        ]
    )
    return EventDelivery.objects.order_by("message_id")


def test_admin_lists_deliveries_filtered_by_status(client, operator, rows):
    client.force_login(operator)
    response = client.get("/admin/delivery/eventdelivery/", {"status__exact": "failed"})
    assert response.status_code == 200
    assert b"m0" in response.content and b"m2" in response.content
    assert b">m1<" not in response.content


def test_admin_delivery_page_is_read_only(client, operator, rows):
    client.force_login(operator)
    row = rows.first()
    response = client.post(
        f"/admin/delivery/eventdelivery/{row.pk}/change/", {"status": "delivered"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED


def test_admin_replay_action_resets_failed_rows(client, operator, rows):
    client.force_login(operator)
    response = client.post(
        "/admin/delivery/eventdelivery/",
        {"action": "replay_failed", "_selected_action": [r.pk for r in rows]},
        follow=True,
    )
    assert response.status_code == 200
    assert b"2 failed deliveries sent again" in response.content
    assert sorted(EventDelivery.objects.values_list("status", flat=True)) == [
        "delivered",
        "retrying",
        "retrying",
    ]


@pytest.mark.parametrize("role", [Role.OWNER, Role.FUNCTIONS_READONLY])
def test_admin_deliveries_refused_to_members(client, workspace, rows, role):
    member = UserFactory()
    membership_grant(workspace=workspace, user=member, role=role, actor=SYSTEM)
    client.force_login(member)
    assert client.get("/admin/delivery/eventdelivery/").status_code == 403
    response = client.post(
        "/admin/delivery/eventdelivery/",
        {"action": "replay_failed", "_selected_action": [r.pk for r in rows]},
    )
    assert response.status_code == 403
    assert EventDelivery.objects.filter(status="retrying").count() == 0
