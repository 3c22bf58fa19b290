"""The EventDelivery ledger: claims, lease fencing of outcome writes, bulk opening."""

import pytest
from django.utils import timezone

from delivery import ledger_writes
from delivery.attempts import lease_rows
from delivery.ledger import deliveries_claim, deliveries_open, deliveries_record
from delivery.models import DeliveryStatus, EventDelivery
from delivery.outcomes import Outcome, error_outcome
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
    late_rows, late_token = deliveries_claim(destination=hook, token=_leased(hook))
    # The lease ran out: the sweeper hands the row to another task, which finishes first.
    taken_over = lease_rows([late_rows[0].pk])
    rows, token = deliveries_claim(destination=hook, token=taken_over)
    assert (
        deliveries_record(destination=hook, rows=rows, outcomes=[Outcome("delivered")], token=token)
        == 1
    )
    late = error_outcome("bad_request", "Error", "too late")
    assert (
        deliveries_record(destination=hook, rows=late_rows, outcomes=[late], token=late_token) == 0
    )
    row = EventDelivery.objects.get()
    assert row.status == DeliveryStatus.DELIVERED
    assert row.error_type == ""
    assert row.attempts == 2
    assert row.lease_token == ""


def test_a_duplicate_task_with_the_same_token_claims_nothing(hook):
    token = _leased(hook, n=3)
    rows, _ = deliveries_claim(destination=hook, token=token)
    assert len(rows) == 3
    assert deliveries_claim(destination=hook, token=token)[0] == []
    assert {r.attempts for r in EventDelivery.objects.all()} == {1}


def test_record_writes_every_outcome_in_one_statement(hook, django_assert_num_queries):
    rows, token = deliveries_claim(destination=hook, token=_leased(hook, n=50))
    outcomes = [Outcome("delivered")] * 49 + [error_outcome("retry", "RetryError", "503")]
    with django_assert_num_queries(1):
        assert deliveries_record(destination=hook, rows=rows, outcomes=outcomes, token=token) == 50
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
        monkeypatch.setattr(ledger_writes.connection, "vendor", "sqlite")
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
        monkeypatch.setattr(ledger_writes.connection, "vendor", "sqlite")
    rows, token = deliveries_claim(destination=hook, token=_leased(hook, n=2))
    EventDelivery.objects.filter(pk=rows[0].pk).update(lease_token="someone-else")
    recorded = deliveries_record(
        destination=hook, rows=rows, outcomes=[Outcome("delivered")] * 2, token=token
    )
    assert recorded == 1
    first, second = EventDelivery.objects.order_by("id")
    assert (first.status, first.lease_token) == (DeliveryStatus.RETRYING, "someone-else")
    assert (second.status, second.lease_token) == (DeliveryStatus.DELIVERED, "")
