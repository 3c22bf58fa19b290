"""Connection Health: the state machine on a clock the test moves, one alert per change,
auto-disable, recovery, who gets told."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from delivery.health.alerts import alert_send
from delivery.health.evaluate import health_evaluate
from delivery.models import (
    AlertSubscription,
    ConnectionHealth,
    DeliveryStatus,
    Destination,
    EventDelivery,
    HealthAlert,
)
from delivery.services import insert_instance_create
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now().replace(microsecond=0)

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def hook(workspace, owner):
    return webhook_factory(source_factory(workspace), "https://hooks.example.com/in")


def traffic(hook, clock, ok: int, failed: int, retrying_with_error: int = 0) -> None:
    """Events received one minute before `clock.now` with these outcomes."""
    base = EventDelivery.objects.count()
    specs = (
        [(DeliveryStatus.DELIVERED, "")] * ok
        + [(DeliveryStatus.FAILED, "RetryError")] * failed
        + [(DeliveryStatus.RETRYING, "RetryError")] * retrying_with_error
    )
    for n, (status, error) in enumerate(specs):
        EventDelivery.objects.create(
            workspace=hook.workspace,
            destination=hook,
            message_id=f"m{base + n}",
            event_type="track",
            event={},
            status=status,
            error_type=error,
            error_message="HTTP 503: down" if error else "",
            received_at=clock.now - timedelta(minutes=1),
        )


def state(hook) -> str:
    return ConnectionHealth.objects.get(destination=hook).state


def test_health_goes_degraded_failing_and_back_with_one_alert_per_change(hook, clock):
    traffic(hook, clock, ok=20, failed=0)
    assert health_evaluate(now=clock.now) == []
    assert state(hook) == "healthy"

    clock.move(minutes=16)
    traffic(hook, clock, ok=16, failed=4)
    alerts = health_evaluate(now=clock.now)
    assert [(a.from_state, a.to_state) for a in alerts] == [("healthy", "degraded")]
    assert "4/20 events failed" in alerts[0].message and "HTTP 503: down" in alerts[0].message
    assert health_evaluate(now=clock.now + timedelta(seconds=60)) == []  # no repeat

    clock.move(minutes=16)
    traffic(hook, clock, ok=0, failed=10, retrying_with_error=10)
    alerts = health_evaluate(now=clock.now)
    assert [(a.from_state, a.to_state) for a in alerts] == [("degraded", "failing")]

    clock.move(minutes=16)
    traffic(hook, clock, ok=30, failed=0)
    alerts = health_evaluate(now=clock.now)
    assert [(a.from_state, a.to_state) for a in alerts] == [("failing", "healthy")]
    assert HealthAlert.objects.count() == 3


def test_health_needs_enough_events_to_judge(hook, clock, settings):
    settings.HEALTH_MIN_EVENTS = 5
    traffic(hook, clock, ok=0, failed=4)
    assert health_evaluate(now=clock.now) == []
    assert state(hook) == "healthy"


def test_auto_disable_after_failing_long_enough_keeps_events_replayable(hook, clock):
    ConnectionHealth.objects.create(
        destination=hook,
        state="healthy",
        since=clock.now,
        checked_at=clock.now,
        auto_disable_minutes=30,
    )
    traffic(hook, clock, ok=0, failed=5, retrying_with_error=5)
    alerts = health_evaluate(now=clock.now)
    assert [a.to_state for a in alerts] == ["failing"]
    clock.move(minutes=20)
    traffic(hook, clock, ok=0, failed=10)
    assert health_evaluate(now=clock.now) == []
    assert Destination.objects.get(pk=hook.pk).enabled

    clock.move(minutes=11)
    traffic(hook, clock, ok=0, failed=10)
    alerts = health_evaluate(now=clock.now)
    assert len(alerts) == 1 and alerts[0].auto_disabled
    assert "enabled it again" in alerts[0].message
    assert not Destination.objects.get(pk=hook.pk).enabled
    assert not EventDelivery.objects.filter(status=DeliveryStatus.RETRYING).exists()
    auto = EventDelivery.objects.filter(error_type="AutoDisabled")
    assert auto.count() == 5 and "replay" in auto.first().error_message
    assert AuditEvent.objects.filter(action="Integration Disabled", resource_id=hook.pk).exists()
    clock.move(minutes=5)
    assert health_evaluate(now=clock.now) == []  # disabled once, not again


def test_without_opt_in_a_failing_connection_stays_enabled(hook, clock):
    traffic(hook, clock, ok=0, failed=10)
    health_evaluate(now=clock.now)
    clock.move(hours=5)
    traffic(hook, clock, ok=0, failed=10)
    health_evaluate(now=clock.now)
    assert Destination.objects.get(pk=hook.pk).enabled


def test_alerts_mail_owners_and_subscribers_only(hook, clock, workspace, owner):
    function = function_factory(workspace)
    insert_instance_create(function=function, destination=hook, actor=SYSTEM, name="i", settings={})
    subscriber, bystander = UserFactory(), UserFactory()
    for user in (subscriber, bystander):
        membership_grant(workspace=workspace, user=user, role=Role.FUNCTIONS_READONLY, actor=SYSTEM)
    AlertSubscription.objects.create(user=subscriber, function=function)
    traffic(hook, clock, ok=0, failed=10)
    (alert,) = health_evaluate(now=clock.now)
    alert_send(alert)
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([owner.email, subscriber.email])
    assert "failing" in mail.outbox[0].subject


def test_alerts_post_the_same_json_to_the_workspace_webhook(hook, clock, workspace, settings):
    from tests.delivery.conftest import Receiver

    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    receiver = Receiver()
    try:
        workspace.alert_webhook_url = f"{receiver.url}/alerts"
        workspace.save()
        traffic(hook, clock, ok=0, failed=10)
        (alert,) = health_evaluate(now=clock.now)
        alert_send(alert)
        (body,) = receiver.bodies("/alerts")
    finally:
        receiver.server.shutdown()
    assert body["type"] == "connection_health" and body["to"] == "failing"
    assert body["destinationId"] == hook.pk and body["message"] == alert.message
