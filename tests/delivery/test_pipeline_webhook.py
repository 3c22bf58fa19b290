"""End to end on a real worker, Redis and PostgreSQL: webhooks, filters, routing."""

import pytest

from delivery.models import DeliveryStatus, EventDelivery
from delivery.routing.filters import destination_filter_create
from delivery.services import destination_update
from tests.delivery.helpers import basic, post_batch, track, wait_final
from tests.factories import source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_webhook_delivered_with_headers_and_idempotency_key(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok", headers={"X-Token": "s3cret"})
    response = post_batch(client, source.write_key, track(3))
    assert response.status_code == 200
    assert response.json() == {"success": True}
    rows = wait_final(3, destination=hook)
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert {r.attempts for r in rows} == {1}
    sent = [r for r in receiver.requests if r["path"] == "/ok"]
    assert len(sent) == 3
    assert {s["headers"]["X-Token"] for s in sent} == {"s3cret"}
    assert {s["headers"]["Idempotency-Key"] for s in sent} == {r.message_id for r in rows}


def test_webhook_4xx_is_message_rejected_with_request_kept(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/status/400")
    post_batch(client, source.write_key, track(1))
    [row] = wait_final(1, destination=hook)
    assert row.status == DeliveryStatus.MESSAGE_REJECTED
    assert row.error_message.startswith("HTTP 400")
    assert row.requests[0]["status"] == 400


def test_webhook_5xx_retries_then_fails_when_attempts_run_out(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/status/503")
    destination_update(destination=hook, actor=SYSTEM, max_attempts=3)
    post_batch(client, source.write_key, track(2))
    rows = wait_final(2, destination=hook, timeout=40)
    assert {r.status for r in rows} == {DeliveryStatus.FAILED}
    assert {r.attempts for r in rows} == {3}
    assert {r.error_type for r in rows} == {"RetryError"}
    assert len(receiver.bodies("/status/503")) == 6


def test_webhook_429_is_retrying_with_a_next_attempt(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/status/429")
    post_batch(client, source.write_key, track(1))
    wait_for_attempt = wait_final  # noqa: F841
    import time

    deadline = time.monotonic() + 20
    while not EventDelivery.objects.filter(
        destination=hook, attempts__gte=1, lease_token=""
    ).exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    row = EventDelivery.objects.get(destination=hook)
    assert row.status == DeliveryStatus.RETRYING
    assert row.next_attempt_at is not None and row.next_attempt_at > row.updated_at


def test_destination_filter_drops_matching_events_before_delivery(
    client, workspace, worker, receiver
):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    destination_filter_create(
        destination=hook,
        actor=SYSTEM,
        title="no small orders",
        expression="properties.total < 101",
        action="drop_event",
    )
    destination_filter_create(
        destination=hook,
        actor=SYSTEM,
        title="no emails",
        expression='type = "track"',
        action="drop_properties",
        fields=["properties.email"],
    )
    post_batch(client, source.write_key, track(2, context={"ip": "1.2.3.4"}))
    rows = wait_final(2, destination=hook)
    by_user = {r.event["userId"]: r for r in rows}
    assert by_user["u0"].status == DeliveryStatus.FILTERED_BY_DESTINATION_FILTER
    assert by_user["u1"].status == DeliveryStatus.DELIVERED
    assert [b["userId"] for b in receiver.bodies("/ok")] == ["u1"]


def test_integrations_object_routes_per_destination(client, workspace, worker, receiver):
    source = source_factory(workspace)
    kept = webhook_factory(source, f"{receiver.url}/ok")
    skipped = webhook_factory(source, f"{receiver.url}/status/200")
    events = track(1, integrations={"All": False, kept.name: True})
    post_batch(client, source.write_key, events)
    wait_final(1, destination=kept)
    assert not EventDelivery.objects.filter(destination=skipped).exists()


def test_message_id_header_injection_never_reaches_the_webhook(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    injected = {"event": "x", "userId": "u", "messageId": "abc\r\nX-Injected: yes"}
    refused = client.post(
        "/v1/track", injected, content_type="application/json", **basic(source.write_key)
    )
    assert refused.status_code == 400
    assert "messageId may not contain control characters" in refused.json()["errors"][0]["message"]
    # A clean event after it shows the pipeline ran and had nothing else to send.
    clean = {"event": "x", "userId": "u", "messageId": "clean-1"}
    response = client.post(
        "/v1/track", clean, content_type="application/json", **basic(source.write_key)
    )
    assert response.status_code == 200
    [row] = wait_final(1, destination=hook)
    assert row.status == DeliveryStatus.DELIVERED and row.message_id == "clean-1"
    assert [r["headers"]["Idempotency-Key"] for r in receiver.requests] == ["clean-1"]
    assert not any("X-Injected" in r["headers"] for r in receiver.requests)
