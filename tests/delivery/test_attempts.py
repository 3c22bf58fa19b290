"""Attempting claimed rows: outcomes recorded while a webhook batch is sent."""

import pytest
from django.utils import timezone

from delivery import attempts
from delivery.attempts import claimed_attempt
from delivery.models import DeliveryStatus, EventDelivery
from tests.delivery.helpers import track
from tests.factories import source_factory, webhook_factory

pytestmark = pytest.mark.django_db


def _claimed(hook, n: int, token: str) -> list[EventDelivery]:
    now = timezone.now()
    return [
        EventDelivery.objects.create(
            workspace=hook.workspace,
            destination=hook,
            message_id=f"m{i}",
            event_type="track",
            event=dict(track(1)[0], messageId=f"m{i}"),
            attempts=1,
            lease_token=token,
            received_at=now,
            window_started_at=now,
        )
        for i in range(n)
    ]


def test_attempts_webhook_outcomes_are_recorded_while_the_batch_is_sent(
    settings, receiver, monkeypatch, workspace
):
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    settings.DELIVERY_RECORD_EVERY_SECONDS = 0
    settings.DELIVERY_WEBHOOK_CONCURRENCY = 2
    hook = webhook_factory(source_factory(workspace), f"{receiver.url}/slow")
    writes: list[int] = []
    record = attempts.deliveries_record

    def counted(**kwargs):
        writes.append(len(kwargs["rows"]))
        return record(**kwargs)

    monkeypatch.setattr(attempts, "deliveries_record", counted)
    rows = _claimed(hook, 6, "t1")
    assert claimed_attempt(destination=hook, rows=rows, token="t1") == 6
    assert len(writes) > 1
    assert sum(writes) == 6
    assert set(EventDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
