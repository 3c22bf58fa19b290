"""One write per event (issue 12, throughput): on PostgreSQL the fan-out writes no ledger row
for an event it hands over to be sent; the entry's lease (`OutboxEntry.pending_until`) holds
those events until each row is written with its outcome. Here: the holder that dies, the
holder that lives, an event already in the ledger, a destination that turns paused between
the fan-out and the attempt, the entry's lease cleared at the end, and retention."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from delivery import attempts
from delivery.ingest import outbox
from delivery.ledger.leases import leases_renew
from delivery.ledger.outcomes import Outcome
from delivery.ledger.rows import crashed_before, deliveries_record
from delivery.models import DeliveryStatus, EventDelivery, OutboxEntry
from delivery.sweeper import lost_entries_redispatch
from tests.delivery.helpers import outbox_entry, tracked
from tests.factories import source_factory, webhook_factory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_fan_out")]


def _expire(entry):
    OutboxEntry.objects.filter(pk=entry.pk).update(
        pending_until=timezone.now() - timedelta(seconds=1)
    )


def test_a_dead_holders_events_are_written_as_crash_suspects_by_the_sweep(workspace):
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    entry = outbox_entry(source, tracked(3))
    fanned = outbox.outbox_process(entry_id=entry.id)
    held = fanned.claimed[hook.pk]
    deliveries_record(
        destination=hook, rows=held[:1], outcomes=[Outcome("delivered")], token=fanned.token
    )
    # The holder dies here: nothing renews the entry's lease, which runs out.
    _expire(entry)
    assert outbox.orphans_write(timezone.now()) == 1
    rows = {row.message_id: row for row in EventDelivery.objects.all()}
    assert len(rows) == 3
    assert rows[held[0].message_id].status == DeliveryStatus.DELIVERED
    now = timezone.now()
    for row in held[1:]:
        written = rows[row.message_id]
        assert written.status == DeliveryStatus.RETRYING
        assert (written.attempts, written.lease_token, written.error_type) == (1, "", "")
        assert written.next_attempt_at <= now
        assert crashed_before(written)  # each runs alone when the sweep hands it over
    assert OutboxEntry.objects.get().pending_until is None
    assert outbox.orphans_write(timezone.now()) == 0


def test_a_live_holder_renews_its_entry_and_keeps_its_events(workspace):
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    entry = outbox_entry(source, tracked(2))
    fanned = outbox.outbox_process(entry_id=entry.id)
    assert len(fanned.claimed[hook.pk]) == 2
    _expire(entry)
    assert leases_renew(fanned.token) == 1
    assert OutboxEntry.objects.get().pending_until > timezone.now()
    assert outbox.orphans_write(timezone.now()) == 0
    assert not EventDelivery.objects.exists()


def test_an_event_already_in_the_ledger_is_not_held_again(workspace):
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    events = tracked(2)
    first = outbox.outbox_process(entry_id=outbox_entry(source, events).id)
    deliveries_record(
        destination=hook,
        rows=first.claimed[hook.pk],
        outcomes=[Outcome("delivered")] * 2,
        token=first.token,
    )
    new = tracked(1)
    again = outbox.outbox_process(entry_id=outbox_entry(source, [*events, *new]).id)
    assert [row.message_id for row in again.claimed[hook.pk]] == [new[0]["messageId"]]


def test_events_of_a_destination_paused_after_the_fan_out_are_written_to_wait(
    workspace, monkeypatch
):
    source = source_factory(workspace)
    webhook_factory(source, "http://127.0.0.1:9/a")
    entry = outbox_entry(source, tracked(3))
    monkeypatch.setattr(attempts, "must_wait", lambda destination: True)
    assert attempts.outbox_entry_deliver(entry_id=entry.id) == 0
    rows = list(EventDelivery.objects.all())
    assert len(rows) == 3
    for row in rows:
        assert row.status == DeliveryStatus.RETRYING
        # Unattempted: the attempt counted at the fan-out is given back.
        assert (row.attempts, row.lease_token, row.window_started_at) == (0, "", None)
    assert OutboxEntry.objects.get().pending_until is None


def test_the_task_writes_every_row_once_and_clears_the_entrys_lease(workspace):
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    entry = outbox_entry(source, tracked(3))
    assert attempts.outbox_entry_deliver(entry_id=entry.id) == 3
    rows = list(EventDelivery.objects.filter(destination=hook))
    assert len(rows) == 3
    # Nothing listens on port 9: each attempt is recorded, with its error, by the one write.
    assert {row.attempts for row in rows} == {1}
    assert all(row.error_type and not row.lease_token for row in rows)
    assert OutboxEntry.objects.get().pending_until is None


def test_retention_keeps_an_entry_whose_events_are_held(workspace, settings):
    source = source_factory(workspace)
    webhook_factory(source, "http://127.0.0.1:9/a")
    entry = outbox_entry(source, tracked(1))
    outbox.outbox_process(entry_id=entry.id)
    settings.DELIVERY_OUTBOX_KEEP_SECONDS = 0
    OutboxEntry.objects.filter(pk=entry.pk).update(
        processed_at=timezone.now() - timedelta(hours=2),
        pending_until=timezone.now() + timedelta(seconds=30),
    )
    lost_entries_redispatch()
    assert OutboxEntry.objects.filter(pk=entry.pk).exists()
    OutboxEntry.objects.filter(pk=entry.pk).update(pending_until=None)
    lost_entries_redispatch()
    assert not OutboxEntry.objects.filter(pk=entry.pk).exists()


def test_the_lease_is_cleared_only_on_the_session_that_wrote_the_rows(workspace):
    """The rows' commits do not wait for the WAL flush: a PostgreSQL crash loses the last
    ones, and breaks the session that wrote them. A task that had to reconnect since its
    fan-out leaves the entry's lease to run out; the sweep then writes, as crash suspects,
    the rows the database lost."""
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    entry = outbox_entry(source, tracked(2))
    fanned = outbox.outbox_process(entry_id=entry.id)
    assert fanned.session is connection.connection
    held = fanned.claimed[hook.pk]
    deliveries_record(
        destination=hook, rows=held, outcomes=[Outcome("delivered")] * 2, token=fanned.token
    )
    # As if the crash took the second row's commit with it, and the task reconnected.
    EventDelivery.objects.filter(message_id=held[1].message_id).delete()
    outbox.outbox_settled(entry.id, object())
    assert OutboxEntry.objects.get().pending_until is not None
    _expire(entry)
    assert outbox.orphans_write(timezone.now()) == 1
    lost = EventDelivery.objects.get(message_id=held[1].message_id)
    assert (lost.status, lost.attempts, lost.error_type) == (DeliveryStatus.RETRYING, 1, "")
    assert EventDelivery.objects.get(message_id=held[0].message_id).status == "delivered"
    assert OutboxEntry.objects.get().pending_until is None
