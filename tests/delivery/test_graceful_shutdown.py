"""Graceful shutdown: SIGTERM to a worker mid-batch (what `make serve`, systemd with
KillMode=mixed, or Kubernetes send) lets the in-flight batch finish and record every outcome;
tasks it had not started go back to the queue; a restarted worker sends nothing twice."""

import os
import signal
import time

import pytest

from delivery.models import DeliveryStatus, EventDelivery
from tests.delivery.conftest import wait_for
from tests.delivery.helpers import post_batch, track, wait_final
from tests.factories import source_factory, webhook_factory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_sigterm_mid_batch_finishes_in_flight_batches_and_records_them(
    client, workspace, start_worker, receiver
):
    first = start_worker(DELIVERY_WEBHOOK_CONCURRENCY="2", DELIVERY_LEASE_SECONDS="30")
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/slow")
    for n in range(3):
        events = track(60, properties={"request": n})
        for i, event in enumerate(events):
            event["messageId"] = f"r{n}-{i}"
        assert post_batch(client, source.write_key, events).status_code == 200
    wait_for(lambda: len(receiver.bodies("/slow")) >= 10, what="a batch to be under way")
    # The worker's main process only: its pool children finish what they hold.
    os.kill(first.process.pid, signal.SIGTERM)
    sent_at_signal = len(receiver.bodies("/slow"))
    first.process.wait(60)
    assert "Warm shutdown" in first.output()
    assert sent_at_signal < 180
    # Every event that reached the receiver has its outcome recorded: no half-recorded batch.
    posted = {b["messageId"] for b in receiver.bodies("/slow")}
    delivered = set(
        EventDelivery.objects.filter(destination=hook, status=DeliveryStatus.DELIVERED).values_list(
            "message_id", flat=True
        )
    )
    assert posted == delivered
    # The batch under way at the signal was finished, not cut off where the signal fell.
    assert len(posted) > sent_at_signal
    time.sleep(0.5)
    start_worker(DELIVERY_WEBHOOK_CONCURRENCY="8", DELIVERY_LEASE_SECONDS="30")
    rows = wait_final(180, destination=hook, timeout=90)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    sent = [b["messageId"] for b in receiver.bodies("/slow")]
    assert sorted(sent) == sorted(r.message_id for r in rows)  # none twice, none lost
