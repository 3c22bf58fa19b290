import json

import pytest
from django.utils import timezone

from delivery.models import EventDelivery, OutboxEntry
from tests.factories import webhook_factory
from tests.functions.console.conftest import url

pytestmark = pytest.mark.django_db
SCHEMA = [
    {"name": "label", "label": "Label", "type": "STRING", "required": True},
    {"name": "token", "label": "Token", "type": "STRING", "sensitive": True},
]
CODE = (
    "async function onTrack(event, settings) {\n"
    "  console.log('token', settings.token)\n"
    "  event.properties = { label: settings.label }\n"
    "  return event\n}\n"
)


def run(client, workspace, **body):
    return client.post(
        url(workspace, "function-run"), json.dumps(body), content_type="application/json"
    )


def test_run_unsaved_insert_returns_event_and_redacts_secret(client, workspace, functions_admin):
    client.force_login(functions_admin)
    response = run(
        client,
        workspace,
        resourceType="INSERT_DESTINATION",
        code=CODE,
        settingsSchema=SCHEMA,
        settings={"label": "gold", "token": "tok_secret_12345"},
        event={"type": "track", "event": "Signed Up"},
    )
    data = response.json()
    assert response.status_code == 200
    assert data["status"] == "success"
    assert data["output"]["properties"] == {"label": "gold"}
    assert "tok_secret_12345" not in json.dumps(data)


def test_run_missing_required_setting_is_invalid_settings(client, workspace, owner):
    client.force_login(owner)
    data = run(
        client,
        workspace,
        resourceType="INSERT_DESTINATION",
        code=CODE,
        settingsSchema=SCHEMA,
        settings={},
        event={"type": "track"},
    ).json()
    assert data["status"] == "invalid_settings"
    assert "label: required setting is missing" in data["error"]["message"]


def test_run_batch_gives_one_row_per_event(client, workspace, owner):
    client.force_login(owner)
    code = (
        "async function onBatch(events) {\n"
        "  if (events.length > 1) throw new ValidationError('too many')\n}\n"
    )
    data = run(
        client,
        workspace,
        resourceType="DESTINATION",
        code=code,
        events=[{"type": "track"}, {"type": "identify"}],
    ).json()
    assert [r["status"] for r in data["results"]] == ["message_rejected", "message_rejected"]


def test_run_compile_error_names_the_line(client, workspace, owner):
    client.force_login(owner)
    data = run(
        client,
        workspace,
        resourceType="DESTINATION",
        code="async function onTrack(event) {\n  let x = ;\n}",
        event={"type": "track"},
    ).json()
    assert data["status"] == "bad_request"
    assert data["error"]["message"].endswith("(line 2)")


def test_run_saved_function_refused_for_readonly(client, workspace, readonly, insert_function):
    client.force_login(readonly)
    response = run(
        client, workspace, functionId=insert_function.pk, code=CODE, event={"type": "track"}
    )
    assert response.status_code == 403


def test_run_unsaved_refused_for_readonly(client, workspace, readonly):
    client.force_login(readonly)
    response = run(
        client, workspace, resourceType="DESTINATION", code=CODE, event={"type": "track"}
    )
    assert response.status_code == 403
    assert "Functions Admin" in response.json()["error"]


def test_run_bad_input_is_a_message(client, workspace, owner):
    client.force_login(owner)
    response = run(client, workspace, resourceType="DESTINATION", code=CODE, event="nope")
    assert response.status_code == 400
    assert "event must be an object" in response.json()["error"]
    response = run(client, workspace, resourceType="NOPE", code=CODE, event={})
    assert response.status_code == 400


def test_samples_offer_recent_events_of_a_source(client, workspace, owner, source):
    now = timezone.now()
    OutboxEntry.objects.create(
        id="00000000-0000-0000-0000-000000000001",
        source=source,
        created_at=now,
        dispatched_at=now,
        events=[{"type": "track", "event": "Order Completed", "messageId": "m-1"}],
    )
    client.force_login(owner)
    response = client.get(url(workspace, "function-samples"), {"source": source.pk})
    assert response.status_code == 200
    assert response.json()["events"][0]["event"] == "Order Completed"


def test_samples_read_the_ledgers_of_every_destination_newest_first(
    client, workspace, owner, source
):
    # The outbox entries are gone (pruned): the events come from the destinations' ledgers.
    now = timezone.now()
    first, second = (
        webhook_factory(source),
        webhook_factory(source, url="https://hooks.example.com/two"),
    )
    for minutes, destination, message in [(3, first, "old"), (1, second, "new"), (2, first, "mid")]:
        EventDelivery.objects.create(
            workspace=workspace,
            destination=destination,
            message_id=message,
            event_type="track",
            event={"type": "track", "messageId": message},
            received_at=now - timezone.timedelta(minutes=minutes),
        )
    client.force_login(owner)
    response = client.get(url(workspace, "function-samples"), {"source": source.pk})
    assert [e["messageId"] for e in response.json()["events"]] == ["new", "mid", "old"]


def test_samples_refused_without_source_admin(client, workspace, functions_admin, source):
    client.force_login(functions_admin)
    response = client.get(url(workspace, "function-samples"), {"source": source.pk})
    assert response.status_code == 403


def test_samples_of_another_workspace_source_are_404(client, workspace, outsider, source):
    client.force_login(outsider)
    assert client.get(url(workspace, "function-samples"), {"source": source.pk}).status_code == 404
