"""End to end on a real worker, Redis and PostgreSQL: insert functions and destination
functions, one test per final status they produce, and onBatch batching."""

import pytest

from delivery.models import DeliveryStatus, EventDelivery
from delivery.services import destination_create, insert_instance_create
from functions.models import FunctionInstance, ResourceType
from tests.delivery.helpers import post_batch, track, wait_final
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

INSERT = """
async function onTrack(event, settings) {
  if (event.properties.total < 101) return null
  if (event.properties.total === 101) throw new DropEvent("too small")
  if (event.properties.total === 102) throw new ValidationError("bad total")
  if (event.properties.total === 103) throw new Error("boom")
  event.properties.enriched = settings.tag
  return event
}
"""


def _insert_on(hook, code=INSERT, schema=None, settings=None):
    function = function_factory(hook.workspace, code=code, settings_schema=schema or [])
    return insert_instance_create(
        function=function, destination=hook, actor=SYSTEM, name="enrich", settings=settings or {}
    )


def test_insert_function_outcomes_per_event(client, workspace, worker, receiver):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    schema = [{"name": "tag", "type": "STRING"}]
    _insert_on(hook, schema=schema, settings={"tag": "gold"})
    post_batch(client, source.write_key, track(5))
    rows = {r.event["properties"]["total"]: r for r in wait_final(5, destination=hook)}
    assert rows[100].status == DeliveryStatus.FILTERED
    assert rows[101].status == DeliveryStatus.DROPPED
    assert rows[102].status == DeliveryStatus.MESSAGE_REJECTED
    assert rows[103].status == DeliveryStatus.BAD_REQUEST
    assert rows[103].error_message
    assert rows[104].status == DeliveryStatus.DELIVERED
    [sent] = receiver.bodies("/ok")
    assert sent["properties"] == {"total": 104, "enriched": "gold"}


def test_insert_function_with_settings_that_break_its_schema_is_invalid_settings(
    client, workspace, worker, receiver
):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    instance = _insert_on(hook)
    FunctionInstance.objects.filter(pk=instance.pk).update(settings={"stale": "x"})
    post_batch(client, source.write_key, track(1))
    [row] = wait_final(1, destination=hook)
    assert row.status == DeliveryStatus.INVALID_SETTINGS
    assert "stale" in row.error_message
    assert receiver.bodies("/ok") == []


def _destination_function(source, code):
    function = function_factory(source.workspace, resource_type=ResourceType.DESTINATION, code=code)
    return destination_create(
        kind="function",
        workspace=source.workspace,
        actor=SYSTEM,
        source=source,
        metadata_id=function.id,
        name="dest fn",
        settings={},
    )


def test_destination_function_unsupported_event_type_and_delivered(client, workspace, worker):
    source = source_factory(workspace)
    destination = _destination_function(
        source, "async function onTrack(event) { console.log('got', event.event) }"
    )
    events = [*track(1), {"type": "identify", "userId": "u9", "traits": {}}]
    post_batch(client, source.write_key, events)
    rows = {r.event_type: r for r in wait_final(2, destination=destination)}
    assert rows["track"].status == DeliveryStatus.DELIVERED
    assert rows["identify"].status == DeliveryStatus.UNSUPPORTED_EVENT_TYPE


def test_destination_function_retry_error_keeps_logs_and_is_retried(
    client, workspace, start_worker
):
    start_worker()
    source = source_factory(workspace)
    destination = _destination_function(
        source, "async function onTrack(e) { console.log('try'); throw new RetryError('later') }"
    )
    destination.max_attempts = 2
    destination.save(update_fields=["max_attempts"])
    post_batch(client, source.write_key, track(1))
    [row] = wait_final(1, destination=destination, timeout=30)
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == 2
    assert row.error_type == "RetryError"
    assert any("try" in str(line) for line in row.logs)


def test_destination_function_that_does_not_compile_is_bad_request(client, workspace, worker):
    source = source_factory(workspace)
    destination = _destination_function(source, "async function onTrack(e) { this is not js")
    post_batch(client, source.write_key, track(2))
    rows = wait_final(2, destination=destination)
    assert {r.status for r in rows} == {DeliveryStatus.BAD_REQUEST}


BATCH_CODE = """
async function onTrack(event) { throw new Error("single handler must not run") }
async function onBatch(events, settings) {
  console.log("batch of " + events.length)
  return events.filter(e => e.properties.total % 2 === 0)
}
"""


def test_on_batch_insert_function_flushes_at_batch_max_count(
    client, workspace, start_worker, receiver
):
    start_worker(DELIVERY_BATCH_WAIT_SECONDS="60")
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    instance = _insert_on(hook, code=BATCH_CODE)
    instance.function.batch_max_count = 4
    instance.function.save(update_fields=["batch_max_count"])
    for _ in range(2):
        post_batch(client, source.write_key, track(2))
    rows = wait_final(4, destination=hook, timeout=10)
    assert sorted(r.status for r in rows) == ["delivered", "delivered", "filtered", "filtered"]


def test_on_batch_insert_function_flushes_a_partial_batch_after_the_wait(
    client, workspace, worker, receiver
):
    source = source_factory(workspace)
    hook = webhook_factory(source, f"{receiver.url}/ok")
    _insert_on(hook, code=BATCH_CODE)
    post_batch(client, source.write_key, track(3))
    assert EventDelivery.objects.filter(destination=hook).count() <= 3
    rows = wait_final(3, destination=hook, timeout=15)
    assert sorted(r.status for r in rows) == ["delivered", "delivered", "filtered"]


SECRET = 'sk "live"\nk/y+1'
SECRET_SCHEMA = [{"name": "apiKey", "type": "STRING", "required": True, "sensitive": True}]
LEAKY = r"""
async function onTrack(event, settings) {
  const s = settings.apiKey
  const basic = Buffer.from('u:' + s).toString('base64')
  console.log(JSON.stringify(settings), encodeURIComponent(s), basic)
  throw new Error('failed with ' + JSON.stringify({key: s}))
}
"""


def test_destination_function_secret_forms_are_stored_redacted(client, workspace, worker):
    source = source_factory(workspace)
    function = function_factory(
        workspace, resource_type=ResourceType.DESTINATION, code=LEAKY, settings_schema=SECRET_SCHEMA
    )
    destination = destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        metadata_id=function.id,
        name="leaky",
        settings={"apiKey": SECRET},
    )
    post_batch(client, source.write_key, track(1))
    [row] = wait_final(1, destination=destination)
    assert row.status == DeliveryStatus.BAD_REQUEST
    stored = f"{row.error_message} {row.logs} {row.requests}"
    assert "[redacted]" in row.error_message and "[redacted]" in str(row.logs)
    assert "live" not in stored and "k/y" not in stored and "k%2Fy" not in stored


def test_destination_function_that_breaks_the_runtime_is_bad_request_not_retrying(
    client, workspace, worker
):
    source = source_factory(workspace)
    destination = _destination_function(
        source, "async function onTrack(e) { Object.prototype.toJSON = () => 5; return e }"
    )
    post_batch(client, source.write_key, track(2))
    rows = wait_final(2, destination=destination)
    assert {r.status for r in rows} == {DeliveryStatus.BAD_REQUEST}
    assert all("broke the runtime" in r.error_message for r in rows)
