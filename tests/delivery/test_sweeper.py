"""The sweep: which pending rows it hands to a task."""

import pytest
from django.utils import timezone

from delivery.models import EventDelivery
from delivery.services import destination_update
from delivery.sweeper import due_deliveries_dispatch
from tests.delivery.helpers import track
from tests.factories import source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = pytest.mark.django_db


def _due(hook, message_id: str) -> EventDelivery:
    return EventDelivery.objects.create(
        workspace=hook.workspace,
        destination=hook,
        message_id=message_id,
        event_type="track",
        event=track(1)[0],
        next_attempt_at=timezone.now(),
        received_at=timezone.now(),
    )


def test_sweeper_leaves_the_pending_rows_of_a_disabled_destination_waiting(workspace):
    source = source_factory(workspace)
    live = webhook_factory(source, "http://127.0.0.1:9/live")
    paused = webhook_factory(source, "http://127.0.0.1:9/paused")
    destination_update(destination=paused, actor=SYSTEM, enabled=False)
    _due(live, "a")
    _due(paused, "b")
    assert due_deliveries_dispatch() == 1
    waiting = EventDelivery.objects.get(message_id="b")
    assert (waiting.status, waiting.lease_token) == ("retrying", "")
    assert EventDelivery.objects.get(message_id="a").lease_token != ""
    destination_update(destination=paused, actor=SYSTEM, enabled=True)
    assert due_deliveries_dispatch() == 1
    assert EventDelivery.objects.get(message_id="b").lease_token != ""


def test_sweeper_a_disabled_destination_function_instance_pauses_its_destination():
    from delivery.models import Destination
    from functions.models import FunctionInstance

    assert Destination(enabled=True, function_instance=FunctionInstance(enabled=False)).is_paused
    assert not Destination(enabled=True, function_instance=FunctionInstance()).is_paused
    assert Destination(enabled=False).is_paused


def _slow(hook) -> None:
    from datetime import timedelta

    from delivery.models import Destination

    Destination.objects.filter(pk=hook.pk).update(slow_until=timezone.now() + timedelta(seconds=60))


def test_sweeper_gives_slow_destinations_one_lane_of_small_chunks(workspace, settings):
    """delivery/lanes.py: a slow destination's rows leave the ordinary dispatch; the slow
    lane leases one small chunk of one destination at a time, and none while it is busy."""
    from datetime import timedelta

    settings.DELIVERY_SLOW_LANES, settings.DELIVERY_SLOW_CHUNK_SIZE = 1, 8
    source = source_factory(workspace)
    ordinary = webhook_factory(source, "http://127.0.0.1:9/ordinary")
    first, second = (webhook_factory(source, f"http://127.0.0.1:9/slow{i}") for i in (1, 2))
    for hook in (first, second):
        _slow(hook)
    for i in range(20):
        for hook in (first, second, ordinary):
            _due(hook, f"{hook.pk}-{i}")
    assert due_deliveries_dispatch() == 20 + 8
    leased = EventDelivery.objects.exclude(lease_token="")
    assert leased.filter(destination=ordinary).count() == 20
    assert leased.filter(destination=first).count() == 8
    assert not leased.filter(destination=second).exists()
    # The lane is busy while the chunk's lease is alive.
    assert due_deliveries_dispatch() == 0
    # Its task recorded the chunk (retried later): the next turn is the destination whose
    # oldest event is due first, the second one.
    leased.filter(destination=first).update(
        lease_token="", next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert due_deliveries_dispatch() == 8
    assert not leased.filter(destination=first).exists()
    assert leased.filter(destination=second).count() == 8


def test_a_deferred_outcome_gives_its_attempt_back_and_is_due_at_once(workspace):
    from delivery.ledger.outcomes import deferred_outcome
    from delivery.ledger.rows import _apply

    hook = webhook_factory(source_factory(workspace), "http://127.0.0.1:9/x")
    row = _due(hook, "d")
    row.attempts, row.lease_token = 3, "t"
    now = timezone.now()
    _apply(row, deferred_outcome("an earlier request timed out"), hook, now)
    assert (row.status, row.attempts, row.next_attempt_at) == ("retrying", 2, now)
    assert (row.error_type, row.lease_token) == ("Deferred", "")
