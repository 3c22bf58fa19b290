"""The fan-out's and the record's round trips (issue 12, throughput): the outbox entry is
locked and read with its source's routing stamp in one round trip, a source's destinations
are loaded again only when that stamp changes, and an outcome write outside a transaction
is one round trip. Whatever changes a destination's pipeline (ORM save, queryset update,
a filter, an insert function) is seen by the next fan-out."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery.ingest import outbox
from delivery.ledger.outcomes import Outcome
from delivery.ledger.rows import deliveries_open, deliveries_record
from delivery.models import (
    DeliveryStatus,
    Destination,
    DestinationFilter,
    EventDelivery,
    FilterAction,
    OutboxEntry,
)
from delivery.services import insert_instance_create
from functions.models import FunctionInstance
from tests.delivery.helpers import outbox_entry, tracked
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_fan_out")]


def _entry(source, n=2):
    return outbox_entry(source, tracked(n))


def _fan_out(source, n=2):
    return outbox.outbox_process(entry_id=_entry(source, n).id)


def _delivered_counting_queries(hook, rows, token):
    """Record `rows` delivered; returns how many were written and the queries it took."""
    with CaptureQueriesContext(connection) as captured:
        written = deliveries_record(
            destination=hook, rows=rows, outcomes=[Outcome("delivered")] * len(rows), token=token
        )
    return written, captured


def _statuses(fanned, destination):
    return [row.status for row in EventDelivery.objects.filter(destination=destination)]


def test_destinations_are_loaded_once_while_nothing_changes(workspace):
    source = source_factory(workspace)
    webhook_factory(source, "http://127.0.0.1:9/a")
    first = _fan_out(source)
    with CaptureQueriesContext(connection) as captured:
        second = _fan_out(source)
    assert [d.pk for d in second.destinations] == [d.pk for d in first.destinations]
    reads = [q["sql"] for q in captured.captured_queries if "delivery_destination" in q["sql"]]
    # Only the entry's read (with the stamp's subquery) names the destination table.
    assert len(reads) == 1 and "pg_advisory_xact_lock" in reads[0]


@pytest.mark.parametrize(
    "change",
    ["queryset_update", "save", "filter_added", "filter_updated", "insert_added", "new"],
)
def test_every_change_to_a_sources_pipeline_is_seen_by_the_next_fan_out(workspace, change):
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    assert len(_fan_out(source).destinations) == 1
    if change == "queryset_update":
        # No auto_now, no signal: only the row's xmin tells.
        Destination.objects.filter(pk=hook.pk).update(enabled=False)
        assert _fan_out(source).destinations == []
        return
    if change == "save":
        hook.name = "renamed"
        hook.save()
        assert _fan_out(source).destinations[0].name == "renamed"
        return
    if change == "new":
        other = webhook_factory(source, "http://127.0.0.1:9/b")
        assert {d.pk for d in _fan_out(source).destinations} == {hook.pk, other.pk}
        return
    if change in ("filter_added", "filter_updated"):
        rule = DestinationFilter.objects.create(
            destination=hook,
            title="drop all",
            expression='type = "track"',
            action=FilterAction.DROP_EVENT,
            enabled=change == "filter_added",
        )
        if change == "filter_updated":
            held = _fan_out(source).claimed[hook.pk]
            assert {row.status for row in held} == {DeliveryStatus.RETRYING}
            DestinationFilter.objects.filter(pk=rule.pk).update(enabled=True)
        EventDelivery.objects.all().delete()
        _fan_out(source)
        assert set(_statuses(None, hook)) == {DeliveryStatus.FILTERED_BY_DESTINATION_FILTER}
        return
    function = function_factory(workspace)
    insert_instance_create(function=function, destination=hook, actor=SYSTEM, name="i", settings={})
    loaded = _fan_out(source).destinations[0]
    assert isinstance(loaded.insert_instance, FunctionInstance)


@pytest.mark.django_db(transaction=True)
def test_a_held_row_is_written_once_with_its_outcome_in_one_round_trip(workspace):
    """The fan-out writes no row for an event it hands over to be sent: the row is written
    once, with its outcome, by one statement whose commit does not wait for the WAL flush;
    a row someone else wrote meanwhile (the sweeper, after this holder's lease ran out) is
    kept and this outcome dropped."""
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    fanned = _fan_out(source, n=4)
    rows, token = fanned.claimed[hook.pk], fanned.token
    assert len(rows) == 4 and all(row.pk is None for row in rows)
    assert not EventDelivery.objects.exists()
    written, captured = _delivered_counting_queries(hook, rows[:2], token)
    assert written == 2 and all(row.pk for row in rows[:2])
    assert len(captured.captured_queries) == 1
    assert "set_config('synchronous_commit', 'off', true)" in captured.captured_queries[0]["sql"]
    EventDelivery.objects.create(
        workspace_id=hook.workspace_id,
        destination=hook,
        message_id=rows[2].message_id,
        event_type="track",
        event=rows[2].event,
        status=DeliveryStatus.RETRYING,
        received_at=timezone.now(),
    )
    # The plain INSERT fails on the row written meanwhile; the second, with ON CONFLICT,
    # writes the other one and drops that outcome.
    late, captured = _delivered_counting_queries(hook, rows[2:], token)
    assert late == 1 and rows[2].pk is None and rows[3].pk
    assert len(captured.captured_queries) == 2
    assert "ON CONFLICT" in captured.captured_queries[1]["sql"]
    statuses = sorted(EventDelivery.objects.values_list("status", flat=True))
    assert statuses == [DeliveryStatus.DELIVERED] * 3 + [DeliveryStatus.RETRYING]
    # The implicit transaction ended: the connection commits durably again.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_a_record_of_written_rows_is_one_round_trip_fenced_by_the_lease(workspace):
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    fanned = _fan_out(source, n=3)
    token = fanned.token
    # Written leased, as the sweeper writes a dead holder's rows and every row off
    # PostgreSQL.
    deliveries_open(fanned.claimed[hook.pk])
    rows = list(EventDelivery.objects.order_by("id"))
    assert {row.lease_token for row in rows} == {token}
    written, captured = _delivered_counting_queries(hook, rows[:2], token)
    assert written == 2
    assert len(captured.captured_queries) == 1
    assert captured.captured_queries[0]["sql"].startswith("SET LOCAL synchronous_commit = off;")
    # A holder whose lease is gone writes nothing.
    stale = deliveries_record(
        destination=hook, rows=rows[2:], outcomes=[Outcome("delivered")], token="gone"
    )
    assert stale == 0
    statuses = sorted(EventDelivery.objects.values_list("status", flat=True))
    assert statuses == [DeliveryStatus.DELIVERED] * 2 + [DeliveryStatus.RETRYING]


def test_the_entry_is_marked_processed_only_with_its_rows(workspace, monkeypatch):
    """The entry's read marks it processed in the fan-out's transaction: a fan-out that
    fails leaves it unprocessed (the sweeper hands it over again), one that succeeds is
    never fanned out twice."""
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    entry = _entry(source)

    def broken(rows):
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbox, "deliveries_open", broken)
    with pytest.raises(RuntimeError):
        outbox.outbox_process(entry_id=entry.id)
    assert OutboxEntry.objects.get().processed_at is None
    monkeypatch.undo()
    first = outbox.outbox_process(entry_id=entry.id)
    assert len(first.claimed[hook.pk]) == 2
    marked = OutboxEntry.objects.get()
    assert marked.processed_at is not None and marked.pending_until is not None
    again = outbox.outbox_process(entry_id=entry.id)
    assert again.claimed is None


def test_the_outbox_events_are_compressed_with_lz4_where_the_server_offers_it(workspace):
    """Migration 0015: a request's events (always TOASTed) are written with lz4, about half
    the backend CPU of pglz for the entry's insert."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        offered = cursor.fetchone()[0]
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'delivery_outboxentry'::regclass AND attname = 'events'"
        )
        method = cursor.fetchone()[0]
        source = source_factory(workspace)
        entry = _entry(source, 500)
        cursor.execute(
            f"SELECT pg_column_compression(events) FROM {OutboxEntry._meta.db_table} WHERE id = %s",
            [entry.id],
        )
        stored = cursor.fetchone()[0]
    assert (method, stored) == (("l", "lz4") if offered else ("", "pglz"))


def test_the_outbox_keeps_its_events_as_text_and_the_fan_out_reads_them_exactly(workspace):
    """Migration 0017: the events are text (jsonb parsed every one of them on the insert).
    The fan-out reads them with orjson, except a text holding an integer orjson would turn
    into a float: 2**70 reached webhooks as 1.1805916207174113e+21 before."""
    source = source_factory(workspace)
    hook = webhook_factory(source, "http://127.0.0.1:9/a")
    numbers = {"big": 2**70, "low": -(2**63) - 1, "top": 2**64 - 1, "x": 0.1}
    entry = outbox_entry(source, [{**e, "properties": numbers} for e in tracked(2)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'delivery_outboxentry' AND column_name = 'events'"
        )
        assert cursor.fetchone()[0] == "text"
    fanned = outbox.outbox_process(entry_id=entry.id)
    held = [row.event["properties"] for row in fanned.claimed[hook.pk]]
    assert [json.dumps(p) for p in held] == [json.dumps(numbers)] * 2
