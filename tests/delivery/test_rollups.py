"""Hourly rollups give the same metrics as the ledger, stay right after a replay, and
outlive retention."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.ledger.retention import ledger_prune
from delivery.ledger.rollups import floor_hour, rollups_advance
from delivery.models import DeliveryRollup, DeliveryStatus, DirtyRollupHour, EventDelivery
from delivery.queries import _live_metrics, delivery_metrics
from delivery.replay import deliveries_replay_chosen
from tests.factories import source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(workspace):
    return webhook_factory(source_factory(workspace))


def _rows(hook, now, hours: int) -> None:
    n = 0
    for h in range(hours):
        for status, count in (("delivered", 3), ("failed", 1)):
            for _ in range(count):
                EventDelivery.objects.create(
                    workspace=hook.workspace,
                    destination=hook,
                    message_id=f"m{n}",
                    event_type="track",
                    event={},
                    status=status,
                    received_at=now - timedelta(hours=h, minutes=10),
                )
                n += 1


def _as_set(rows):
    return {(r["time"], r["status"], r["count"]) for r in rows}


@pytest.mark.parametrize("granularity", ["HOUR", "DAY"])
def test_rolled_metrics_equal_the_ledger(hook, granularity):
    now = timezone.now()
    _rows(hook, now, hours=30)
    start, end = now - timedelta(days=2), now
    live = _live_metrics(hook, start, end, granularity)
    assert rollups_advance(now=now) > 0
    assert DeliveryRollup.objects.exists()
    assert _as_set(
        delivery_metrics(destination=hook, start=start, end=end, granularity=granularity)
    ) == _as_set(live)


def test_rollups_advance_only_to_final_hours(hook, settings):
    settings.DELIVERY_ROLLUP_AFTER_HOURS = 5
    now = timezone.now()
    _rows(hook, now, hours=10)
    rollups_advance(now=now)
    newest = DeliveryRollup.objects.order_by("-hour").first().hour
    assert newest < floor_hour(now - timedelta(hours=5))
    assert rollups_advance(now=now) == 0


def test_replay_dirties_its_hours_until_they_are_final_again(hook):
    now = timezone.now()
    _rows(hook, now, hours=12)
    rollups_advance(now=now)
    start, end = now - timedelta(days=1), now
    deliveries_replay_chosen(destination=hook, deliveries=EventDelivery.objects.all(), actor=SYSTEM)
    assert DirtyRollupHour.objects.exists()
    # The replayed rows now read as retrying, from the ledger, not the stale rollup.
    statuses = {
        r["status"]
        for r in delivery_metrics(destination=hook, start=start, end=end, granularity="HOUR")
    }
    assert "failed" not in statuses and "retrying" in statuses
    EventDelivery.objects.filter(status="retrying").update(status=DeliveryStatus.DELIVERED)
    rollups_advance(now=now)
    assert not DirtyRollupHour.objects.exists()
    assert _as_set(
        delivery_metrics(destination=hook, start=start, end=end, granularity="HOUR")
    ) == _as_set(_live_metrics(hook, start, end, "HOUR"))


def test_rollups_outlive_ledger_retention(hook, settings):
    settings.DELIVERY_RETENTION_DAYS = 1
    settings.DELIVERY_RETENTION_FAILED_DAYS = 1
    now = timezone.now()
    _rows(hook, now, hours=3)
    EventDelivery.objects.update(created_at=now - timedelta(days=3))
    rollups_advance(now=now + timedelta(hours=10))
    ledger_prune(now=now)
    assert not EventDelivery.objects.exists()
    rows = delivery_metrics(
        destination=hook,
        start=now - timedelta(days=1),
        end=now + timedelta(hours=10),
        granularity="HOUR",
    )
    assert sum(r["count"] for r in rows) == 12
