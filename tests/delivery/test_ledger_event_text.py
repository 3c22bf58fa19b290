"""The ledger keeps the event as text with its userId in a column of its own, and has no
foreign key to the destination: its statements lock the destination once instead, so a
row never outlives its destination, whichever of the insert and the delete comes first."""

import secrets
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from delivery.ledger import statements
from delivery.ledger.rows import deliveries_open
from delivery.models import USER_ID_KEPT, Destination, EventDelivery, event_user_id
from delivery.queries import event_deliveries
from tests.delivery.migrating import migrate_to, migrate_to_latest
from tests.factories import source_factory, webhook_factory


@pytest.fixture
def hook(workspace):
    return webhook_factory(source_factory(workspace), "http://127.0.0.1:9/none")


def _rows(hook, events, status="retrying", token=""):
    now = timezone.now()
    return [
        EventDelivery(
            workspace_id=hook.workspace_id,
            destination_id=hook.pk,
            message_id=event["messageId"],
            event_type=event["type"],
            event=event,
            user_id=event_user_id(event),
            status=status,
            attempts=1,
            received_at=now,
            window_started_at=now,
            lease_token=token,
        )
        for event in events
    ]


def _event(message_id, **fields):
    return {"type": "track", "event": "E", "messageId": message_id, **fields}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"userId": "u-1"}, "u-1"),
        ({"userId": 42}, "42"),
        ({"userId": True}, "true"),
        ({"userId": {"id": 1}}, '{"id":1}'),
        ({"anonymousId": "a"}, ""),
        ({"userId": None}, ""),
        ({"userId": "x" * 5000}, "x" * USER_ID_KEPT),
        ({"userId": "s\ud800"}, "s\ufffd"),  # a lone surrogate cannot be stored as text
        ("not an event", ""),
    ],
)
def test_the_user_id_kept_for_the_search(event, expected):
    assert event_user_id(event) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_event_round_trips_and_a_long_user_id_is_found_by_its_start(hook, vendor, monkeypatch):
    """A userId of 5,000 incompressible characters: the whole batch's insert failed when the
    index held the full value (an index entry is at most ~2.7 kB); now it is stored and the
    search finds it."""
    if vendor == "other":  # the ORM path of the embedded SQLite default
        monkeypatch.setattr(statements.connection, "vendor", "sqlite")
    long_id = secrets.token_hex(2500)
    events = [
        _event("m-long", userId=long_id, properties={"big": 2**70, "s": "é\n\"'"}),
        _event("m-short", userId="u-2"),
    ]
    created = deliveries_open(_rows(hook, events))
    assert len(created) == 2
    stored = EventDelivery.objects.get(message_id="m-long")
    assert stored.event == events[0]  # exact: the integer beyond 64 bits too
    assert stored.user_id == long_id[:USER_ID_KEPT]

    def found(search):
        return [row.message_id for row in event_deliveries(destination=hook, search=search)]

    assert found(long_id) == ["m-long"]
    assert found("u-2") == found("m-short") == ["m-short"]


@pytest.mark.django_db
def test_the_orm_sets_the_user_id_of_every_row_it_writes(hook):
    """Rows the ORM writes (save, create, bulk_create) get the column from their event."""
    now = timezone.now()
    made = EventDelivery.objects.create(
        workspace=hook.workspace,
        destination=hook,
        message_id="m1",
        event_type="track",
        event=_event("m1", userId="from-create"),
        received_at=now,
    )
    bulk = EventDelivery(
        workspace=hook.workspace,
        destination=hook,
        message_id="m2",
        event_type="track",
        event=_event("m2", userId=7),
        received_at=now,
    )
    EventDelivery.objects.bulk_create([bulk])
    assert dict(EventDelivery.objects.values_list("message_id", "user_id")) == {
        "m1": "from-create",
        "m2": "7",
    }
    made.event = _event("m1", userId="changed")
    made.save()
    assert EventDelivery.objects.get(pk=made.pk).user_id == "changed"


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_rows_of_a_destination_already_deleted_are_not_inserted(hook, vendor, monkeypatch):
    if vendor == "other":
        monkeypatch.setattr(statements.connection, "vendor", "sqlite")
    rows = _rows(hook, [_event("m1", userId="u")])
    Destination.objects.filter(pk=hook.pk).delete()
    assert deliveries_open(rows) == []
    assert not EventDelivery.objects.exists()


def _in_thread(target):
    """Run `target` on its own thread and database connection; returns (thread, outcome)."""
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as error:  # reported by the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL's (the embedded SQLite default writes one at a time)")


def _second_waits_for_first(first, second):
    """Run `first` in a transaction held open, then `second` beside it: `second` must wait
    until `first` commits. Returns their values."""
    done, release = threading.Event(), threading.Event()

    def holding():
        with transaction.atomic():
            value = first()
            done.set()
            release.wait(10)  # the transaction, and its row lock, held open
        return value

    one, first_outcome = _in_thread(holding)
    assert done.wait(10)
    two, second_outcome = _in_thread(second)
    time.sleep(0.5)
    assert two.is_alive()  # waits for the first's lock
    release.set()
    one.join(10)
    two.join(10)
    assert "error" not in first_outcome and "error" not in second_outcome
    return first_outcome["value"], second_outcome["value"]


@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_an_insert_that_holds_the_destination_and_removes_its_rows(hook):
    _postgres_only()
    created, _ = _second_waits_for_first(
        lambda: statements.rows_insert(_rows(hook, [_event("m1"), _event("m2")])),
        lambda: Destination.objects.get(pk=hook.pk).delete(),
    )
    assert len(created) == 2
    assert not Destination.objects.filter(pk=hook.pk).exists()
    assert not EventDelivery.objects.filter(destination_id=hook.pk).exists()  # no orphans


@pytest.mark.django_db(transaction=True)
def test_an_insert_waits_for_a_delete_under_way_and_then_inserts_nothing(hook):
    _postgres_only()
    rows = _rows(hook, [_event("m1")], status="delivered")
    _, created = _second_waits_for_first(
        lambda: Destination.objects.get(pk=hook.pk).delete(),
        lambda: statements.rows_insert_recorded(rows),
    )
    assert created == {}
    assert not EventDelivery.objects.exists()


BEFORE = [("delivery", "0017_outbox_events_text")]
AFTER = [("delivery", "0018_ledger_event_text")]


@pytest.mark.django_db(transaction=True)
def test_migration_copies_user_ids_keeps_events_and_goes_back(workspace):
    try:
        apps = migrate_to(BEFORE)
        source = apps.get_model("delivery", "Source").objects.create(
            workspace_id=workspace.pk, name="Web", write_key="wk-ledger-text"
        )
        hook = apps.get_model("delivery", "Destination").objects.create(
            workspace_id=workspace.pk, source=source, name="hook", kind="webhook"
        )
        events = {
            "a": _event("a", userId="u-a", properties={"n": 1.5}),
            "b": _event("b", userId=12),
            "c": _event("c", anonymousId="anon"),
        }
        old = apps.get_model("delivery", "EventDelivery")
        for message_id, event in events.items():
            old.objects.create(
                workspace_id=workspace.pk,
                destination_id=hook.pk,
                message_id=message_id,
                event_type="track",
                event=event,
                received_at=timezone.now(),
            )

        new = migrate_to(AFTER).get_model("delivery", "EventDelivery")
        rows = {row.message_id: row for row in new.objects.all()}
        assert {m: row.user_id for m, row in rows.items()} == {"a": "u-a", "b": "12", "c": ""}
        assert {m: row.event for m, row in rows.items()} == events

        back = migrate_to(BEFORE).get_model("delivery", "EventDelivery")
        assert {row.message_id: row.event for row in back.objects.all()} == events
    finally:
        migrate_to_latest()
