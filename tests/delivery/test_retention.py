"""Ledger retention: final rows past their retention go, in batches; pending rows stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.ledger.retention import ledger_prune
from delivery.models import DeliveryStatus, EventDelivery
from tests.factories import source_factory, webhook_factory

pytestmark = pytest.mark.django_db


def _rows(destination, statuses_and_ages):
    now = timezone.now()
    for n, (status, age_days) in enumerate(statuses_and_ages):
        row = EventDelivery.objects.create(
            workspace=destination.workspace,
            destination=destination,
            message_id=f"m{n}",
            event_type="track",
            event={"type": "track"},
            status=status,
            received_at=now,
        )
        EventDelivery.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=age_days))


@pytest.fixture
def destination(workspace):
    return webhook_factory(source_factory(workspace))


def test_ledger_prune_keeps_each_status_for_its_retention(destination, settings):
    settings.DELIVERY_RETENTION_DAYS = 7
    settings.DELIVERY_RETENTION_FAILED_DAYS = 30
    _rows(
        destination,
        [
            (DeliveryStatus.DELIVERED, 40),
            (DeliveryStatus.FILTERED, 8),
            (DeliveryStatus.FAILED, 31),
            (DeliveryStatus.FAILED, 8),
            (DeliveryStatus.MESSAGE_REJECTED, 10),
            (DeliveryStatus.RETRYING, 60),
            (DeliveryStatus.DELIVERED, 1),
        ],
    )
    pruned = ledger_prune()
    assert (pruned.routine, pruned.failed) == (2, 1)
    left = sorted(EventDelivery.objects.values_list("message_id", flat=True))
    assert left == ["m3", "m4", "m5", "m6"]


def test_ledger_prune_deletes_in_batches_and_stops_at_its_budget(destination, settings):
    settings.DELIVERY_RETENTION_BATCH = 3
    _rows(destination, [(DeliveryStatus.DELIVERED, 9)] * 10)
    assert ledger_prune().routine == 10
    _rows(destination, [(DeliveryStatus.DELIVERED, 9)] * 5)
    assert ledger_prune(budget_seconds=1e-9).routine == 0
    assert EventDelivery.objects.count() == 5


def test_ledger_prune_on_an_empty_ledger_does_nothing(db):
    pruned = ledger_prune()
    assert (pruned.routine, pruned.failed) == (0, 0)


def test_ledger_prune_sleeps_between_batches_for_its_duty_cycle(destination, settings, monkeypatch):
    settings.DELIVERY_RETENTION_BATCH = 2
    settings.DELIVERY_RETENTION_DUTY = 0.25
    _rows(destination, [(DeliveryStatus.DELIVERED, 9)] * 5)
    pauses: list[float] = []
    monkeypatch.setattr("delivery.ledger.retention.time.sleep", pauses.append)
    assert ledger_prune().routine == 5
    # Three batches (2, 2, 1) and a fourth finding nothing: a pause after each of the first
    # three, three times as long as the batch took.
    assert len(pauses) == 3 and all(p > 0 for p in pauses)


def test_ledger_prune_stops_when_its_next_pause_would_pass_the_budget(
    destination, settings, monkeypatch
):
    settings.DELIVERY_RETENTION_BATCH = 2
    settings.DELIVERY_RETENTION_DUTY = 0.01
    _rows(destination, [(DeliveryStatus.DELIVERED, 9)] * 6)
    monkeypatch.setattr("delivery.ledger.retention.time.sleep", lambda s: None)
    # A batch takes milliseconds, its pause 99 times as long: beyond a 10 ms budget.
    assert ledger_prune(budget_seconds=0.01).routine == 2
    assert EventDelivery.objects.count() == 4


def test_ledger_prune_keeps_a_row_made_pending_after_its_batch_was_chosen(
    destination, settings, monkeypatch
):
    settings.DELIVERY_RETENTION_FAILED_DAYS = 30
    _rows(destination, [(DeliveryStatus.FAILED, 40), (DeliveryStatus.FAILED, 40)])
    replayed = EventDelivery.objects.get(message_id="m0")
    real_filter = EventDelivery.objects.filter

    def filter_then_replay(*args, **kwargs):
        # The DELETE's own filter runs after the batch's ids were read: a replay lands now.
        if "id__in" in kwargs:
            EventDelivery.objects.filter(pk=replayed.pk).update(status=DeliveryStatus.RETRYING)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(EventDelivery.objects, "filter", filter_then_replay)
    assert ledger_prune().failed == 1
    monkeypatch.undo()
    assert list(EventDelivery.objects.values_list("message_id", "status")) == [
        ("m0", DeliveryStatus.RETRYING)
    ]
