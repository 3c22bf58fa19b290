"""The EventDelivery ledger: claims, lease fencing of outcome writes, bulk opening."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery.attempts import lease_rows
from delivery.ledger import statements
from delivery.ledger.outcomes import Outcome, error_outcome
from delivery.ledger.rows import (
    deliveries_claim,
    deliveries_open,
    deliveries_record,
    suspect_attempt_count,
)
from delivery.models import DeliveryStatus, EventDelivery
from tests.delivery.helpers import track
from tests.factories import source_factory, webhook_factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(workspace):
    return webhook_factory(source_factory(workspace), "http://127.0.0.1:9/none")


def _leased(hook, n=1, token="t1"):
    now = timezone.now()
    for i in range(n):
        EventDelivery.objects.create(
            workspace=hook.workspace,
            destination=hook,
            message_id=f"m{i}",
            event_type="track",
            event=track(1)[0],
            lease_token=token,
            received_at=now,
        )
    return token


def test_outcomes_of_a_task_that_outlived_its_lease_are_not_written(hook):
    late = deliveries_claim(destination=hook, token=_leased(hook))
    # The lease ran out: the sweeper hands the row to another task, which finishes first.
    taken_over = deliveries_claim(destination=hook, token=lease_rows([late.rows[0].pk]))
    [row] = taken_over.suspects
    assert suspect_attempt_count(row, taken_over.token)
    delivered = [Outcome("delivered")]
    recorded = deliveries_record(
        destination=hook, rows=[row], outcomes=delivered, token=taken_over.token
    )
    assert recorded == 1
    too_late = [error_outcome("bad_request", "Error", "too late")]
    recorded = deliveries_record(
        destination=hook, rows=late.rows, outcomes=too_late, token=late.token
    )
    assert recorded == 0
    row = EventDelivery.objects.get()
    assert row.status == DeliveryStatus.DELIVERED
    assert row.error_type == ""
    assert row.attempts == 2
    assert row.lease_token == ""


def test_a_duplicate_task_with_the_same_token_claims_nothing(hook):
    token = _leased(hook, n=3)
    assert len(deliveries_claim(destination=hook, token=token).rows) == 3
    assert deliveries_claim(destination=hook, token=token).rows == []
    assert {r.attempts for r in EventDelivery.objects.all()} == {1}


def test_rows_whose_last_attempt_crashed_are_suspects_counted_one_by_one(hook):
    token = _leased(hook, n=3)
    EventDelivery.objects.filter(message_id="m1").update(attempts=1)  # crashed once
    EventDelivery.objects.filter(message_id="m2").update(attempts=1, error_type="RetryError")
    claim = deliveries_claim(destination=hook, token=token)
    assert sorted(r.message_id for r in claim.rows) == ["m0", "m2"]
    assert [r.message_id for r in claim.suspects] == ["m1"]
    attempts = dict(EventDelivery.objects.values_list("message_id", "attempts"))
    assert attempts == {"m0": 1, "m1": 1, "m2": 2}
    assert suspect_attempt_count(claim.suspects[0], claim.token)
    assert EventDelivery.objects.get(message_id="m1").attempts == 2
    assert not suspect_attempt_count(claim.suspects[0], "lost")


@pytest.mark.django_db(transaction=True)
def test_record_does_not_relax_durability_beyond_its_transaction(hook):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    rows, _, token = deliveries_claim(destination=hook, token=_leased(hook, n=2))
    outcomes = [Outcome("delivered")] * 2
    assert deliveries_record(destination=hook, rows=rows, outcomes=outcomes, token=token) == 2
    # The next transaction of this connection (an ingest, say) commits durably again.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_record_writes_every_outcome_in_one_statement(hook):
    if connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL; the embedded SQLite default takes a few")
    rows, _, token = deliveries_claim(destination=hook, token=_leased(hook, n=50))
    outcomes = [Outcome("delivered")] * 49 + [error_outcome("retry", "RetryError", "503")]
    with CaptureQueriesContext(connection) as captured:
        assert deliveries_record(destination=hook, rows=rows, outcomes=outcomes, token=token) == 50
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1
    statuses = EventDelivery.objects.values_list("status", flat=True)
    assert sorted(set(statuses)) == [DeliveryStatus.DELIVERED, DeliveryStatus.RETRYING]
    retrying = EventDelivery.objects.get(status=DeliveryStatus.RETRYING)
    assert retrying.next_attempt_at is not None and retrying.next_attempt_at > timezone.now()
    assert retrying.requests == [] and retrying.error_message == "503"


def _opened(hook, ids):
    now = timezone.now()
    return [
        EventDelivery(
            workspace_id=hook.workspace_id,
            destination=hook,
            message_id=m,
            event_type="track",
            event={"messageId": m},
            received_at=now,
            lease_token="t",
            attempts=1,
            window_started_at=now,
        )
        for m in ids
    ]


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_open_keeps_existing_rows_and_returns_the_new_ones(hook, vendor, monkeypatch):
    if vendor == "other":  # the ORM path of the embedded SQLite default
        monkeypatch.setattr(statements.connection, "vendor", "sqlite")
    deliveries_open(_opened(hook, ["a", "b"]))
    created = deliveries_open(_opened(hook, ["b", "c", "c", "d"]))
    assert sorted(r.message_id for r in created) == ["c", "d"]
    assert all(r.pk for r in created)
    assert EventDelivery.objects.count() == 4
    rows = {r.message_id: r for r in EventDelivery.objects.all()}
    assert {r.pk for r in created} == {rows["c"].pk, rows["d"].pk}


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_record_is_fenced_by_the_lease_token_on_every_database(hook, vendor, monkeypatch):
    if vendor == "other":
        monkeypatch.setattr(statements.connection, "vendor", "sqlite")
    rows, _, token = deliveries_claim(destination=hook, token=_leased(hook, n=2))
    EventDelivery.objects.filter(pk=rows[0].pk).update(lease_token="someone-else")
    recorded = deliveries_record(
        destination=hook, rows=rows, outcomes=[Outcome("delivered")] * 2, token=token
    )
    assert recorded == 1
    first, second = EventDelivery.objects.order_by("id")
    assert (first.status, first.lease_token) == (DeliveryStatus.RETRYING, "someone-else")
    assert (second.status, second.lease_token) == (DeliveryStatus.DELIVERED, "")


def test_fan_out_builds_rows_as_the_models_constructor_would(hook):
    """The fan-out fills a row's attributes itself (Model.__init__ was most of its CPU): the
    same attributes, the destination cached, and no init signal of the model to skip."""
    from types import SimpleNamespace

    from django.db.models import signals

    from delivery.ingest.outbox import _route
    from delivery.models import event_user_id

    now = timezone.now()
    event = {"type": "track", "event": "E", "userId": "u", "messageId": "m1"}
    entry = SimpleNamespace(events=[event], created_at=now)
    (row,) = _route(hook, entry, "token", now)
    built = EventDelivery(
        workspace_id=hook.workspace_id,
        destination_id=hook.pk,
        message_id="m1",
        event_type="track",
        event=event,
        status=DeliveryStatus.RETRYING,
        attempts=1,
        next_attempt_at=row.next_attempt_at,
        received_at=now,
        window_started_at=now,
        lease_token="token",
    )
    # Set by the ORM when it writes a row (EventUserIdField.pre_save); the fan-out at once.
    built.user_id = event_user_id(event)
    fields = [f.attname for f in EventDelivery._meta.concrete_fields]
    assert set(row.__dict__) == set(built.__dict__) == {"_state", *fields}
    assert {f: getattr(row, f) for f in fields} == {f: getattr(built, f) for f in fields}
    assert row._state.adding and row._state.db is None and row.destination is hook
    assert not signals.pre_init.has_listeners(EventDelivery)
    assert not signals.post_init.has_listeners(EventDelivery)


def test_ledger_json_falls_back_for_what_orjson_refuses():
    import json
    from datetime import datetime

    now = timezone.now()
    fallback = json.loads(statements.json_text({"big": 2**70, "at": now, "text": "é"}))
    assert fallback["big"] == 2**70 and fallback["text"] == "é"
    # json's DjangoJSONEncoder keeps milliseconds.
    assert datetime.fromisoformat(fallback["at"]) == now.replace(
        microsecond=now.microsecond // 1000 * 1000
    )
    assert datetime.fromisoformat(json.loads(statements.json_text({"at": now}))["at"]) == now


def test_batch_sizes_are_measured_as_json_measures_them():
    import json

    from delivery.kinds.function import _encoded_size

    for value in ([{"a": 1, "b": "x"}], [{"t": "é☃"}], [{"n": 2**70}], [{"f": 0.1}]):
        assert _encoded_size(value) == len(json.dumps(value, separators=(",", ":")))


def test_record_of_a_function_failure_with_lone_surrogates_stores_replacement_characters(hook):
    # A JavaScript string may hold a lone surrogate; PostgreSQL refuses the whole document.
    rows, _, token = deliveries_claim(destination=hook, token=_leased(hook, n=1))
    outcome = error_outcome(
        "bad_request",
        "Error",
        "bad \ud800 value",
        logs=[{"level": "log", "message": "s\udc00"}],
        requests=[{"url": "https://x.example/\ud800", "method": "GET"}],
    )
    assert deliveries_record(destination=hook, rows=rows, outcomes=[outcome], token=token) == 1
    row = EventDelivery.objects.get()
    assert row.status == DeliveryStatus.BAD_REQUEST
    assert row.error_message == "bad \ufffd value"
    assert row.logs == [{"level": "log", "message": "s\ufffd"}]
    assert row.requests[0]["url"] == "https://x.example/\ufffd"


def test_ledger_lease_renewal_extends_only_the_rows_its_token_holds(hook, settings):
    from datetime import timedelta

    from delivery.ledger.leases import leases_renew

    if connection.vendor != "postgresql":
        pytest.skip("renewal runs on PostgreSQL")
    _leased(hook, 3, token="mine")
    EventDelivery.objects.filter(message_id="m2").update(lease_token="theirs")
    EventDelivery.objects.update(next_attempt_at=timezone.now())
    EventDelivery.objects.filter(message_id="m1", lease_token="mine").update(
        status=DeliveryStatus.DELIVERED
    )
    assert leases_renew("mine") == 1
    renewed = EventDelivery.objects.get(lease_token="mine", status=DeliveryStatus.RETRYING)
    assert renewed.next_attempt_at > timezone.now() + timedelta(
        seconds=settings.DELIVERY_LEASE_SECONDS - 5
    )
    other = EventDelivery.objects.get(lease_token="theirs")
    assert other.next_attempt_at <= timezone.now()


def test_ledger_release_hands_rows_back_unattempted(hook):
    from delivery.ledger.rows import deliveries_release

    _leased(hook, 2, token="t9")
    assert deliveries_release(token="t9") == 2
    rows = list(EventDelivery.objects.all())
    assert {(r.lease_token, r.status, r.attempts) for r in rows} == {
        ("", DeliveryStatus.RETRYING, 0)
    }


def test_ledger_claim_of_expired_rows_only_leaves_a_live_holder_its_rows(hook):
    from datetime import timedelta

    _leased(hook, 2, token="entry")
    EventDelivery.objects.filter(message_id="m0").update(
        next_attempt_at=timezone.now() + timedelta(seconds=30)
    )
    EventDelivery.objects.filter(message_id="m1").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    claim = deliveries_claim(destination=hook, token="entry", expired_only=True)
    assert [row.message_id for row in claim.rows + claim.suspects] == ["m1"]
    assert EventDelivery.objects.get(message_id="m0").lease_token == "entry"


def test_deleting_a_workspace_deletes_its_ledger_without_a_database_constraint(hook):
    # The workspace column has no foreign key constraint (see EventDelivery.workspace): the
    # rows still go with their workspace.
    _leased(hook, n=2)
    hook.workspace.delete()
    assert not EventDelivery.objects.exists()
