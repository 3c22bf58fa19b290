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
