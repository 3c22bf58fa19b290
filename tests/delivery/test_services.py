import json

import pytest
from django.db import connection
from django.utils import timezone

from delivery.kinds.webhook_destination import webhook_headers
from delivery.models import (
    DeliveryStatus,
    Destination,
    DestinationFilter,
    EventDelivery,
    Source,
)
from delivery.replay import deliveries_replay_selected
from delivery.routing.filters import destination_filter_create, destination_filter_delete
from delivery.services import (
    destination_create,
    destination_delete,
    destination_update,
    source_create,
    source_update,
)
from functions.instances import instance_settings_decrypted
from functions.models import FunctionInstance
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.errors import InvalidInput
from workspace.models import AuditEvent
from workspace.services import workspace_create

TOKEN = "Bearer super-secret-header-value"


def test_source_create_has_write_key_and_audit(workspace, actor):
    source = source_create(workspace=workspace, actor=actor, name="web")
    assert len(source.write_key) == 32
    assert AuditEvent.objects.filter(action="Source Created", resource_id=source.id).exists()


def test_source_update_bad_name_refused(workspace, actor):
    source = source_factory(workspace)
    with pytest.raises(InvalidInput) as error:
        source_update(source=source, actor=actor, name="x" * 201)
    assert error.value.field == "name"
    assert Source.objects.get().name == "web"


def test_webhook_headers_encrypted_and_redacted(workspace, actor):
    destination = webhook_factory(source_factory(workspace), headers={"Authorization": TOKEN})
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind_secrets_encrypted FROM delivery_destination")
        assert TOKEN not in cursor.fetchone()[0]
    assert webhook_headers(destination) == {"Authorization": TOKEN}
    assert TOKEN not in json.dumps(list(AuditEvent.objects.values_list("diff", flat=True)))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"url": "ftp://example.com"}, "settings.url"),
        ({"url": "not a url"}, "settings.url"),
        ({"url": "https://example.com", "headers": {"a": 1}}, "settings.headers"),
        ({"url": "https://example.com", "colour": "red"}, "settings"),
    ],
)
def test_webhook_bad_settings_refused(workspace, actor, values, field):
    with pytest.raises(InvalidInput) as error:
        destination_create(
            kind="webhook",
            workspace=workspace,
            actor=actor,
            source=source_factory(workspace),
            name="hook",
            settings=values,
        )
    assert error.value.field == field
    assert not Destination.objects.exists()


def test_destination_function_instance_is_the_destination(workspace, actor):
    function = function_factory(
        workspace,
        resource_type="DESTINATION",
        settings_schema=[{"name": "apiKey", "type": "STRING", "required": True, "sensitive": True}],
    )
    destination = destination_create(
        kind="function",
        workspace=workspace,
        actor=actor,
        source=source_factory(workspace),
        metadata_id=function.id,
        name="to CRM",
        settings={"apiKey": "k-123456789"},
    )
    assert destination.kind == "function"
    assert instance_settings_decrypted(destination.function_instance) == {"apiKey": "k-123456789"}
    assert AuditEvent.objects.filter(action="Integration Created").count() == 1


def test_destination_create_function_with_insert_function_refused(workspace, actor):
    with pytest.raises(InvalidInput) as error:
        destination_create(
            kind="function",
            workspace=workspace,
            actor=actor,
            source=source_factory(workspace),
            metadata_id=function_factory(workspace).id,
            name="x",
            settings={},
        )
    assert error.value.field == "metadataId"
    assert not FunctionInstance.objects.exists()


def test_destination_source_of_other_workspace_refused(workspace, actor):
    foreign = source_factory(workspace_create(slug="other"))
    with pytest.raises(InvalidInput) as error:
        destination_create(
            kind="webhook",
            workspace=workspace,
            actor=actor,
            source=foreign,
            name="x",
            settings={"url": "https://example.com"},
        )
    assert error.value.field == "sourceId"


def test_destination_disable_audited(workspace, actor):
    destination = webhook_factory(source_factory(workspace))
    destination_update(destination=destination, actor=actor, enabled=False)
    assert AuditEvent.objects.filter(action="Integration Disabled").count() == 1


@pytest.mark.parametrize("attempts", [0, 10, "9", True])
def test_destination_max_attempts_bounds(workspace, actor, attempts):
    destination = webhook_factory(source_factory(workspace))
    with pytest.raises(InvalidInput) as error:
        destination_update(destination=destination, actor=actor, max_attempts=attempts)
    assert error.value.field == "maxAttempts"


def test_destination_delete_removes_function_instance(workspace, actor):
    function = function_factory(workspace, resource_type="DESTINATION")
    destination = destination_create(
        kind="function",
        workspace=workspace,
        actor=actor,
        source=source_factory(workspace),
        metadata_id=function.id,
        name="to CRM",
        settings={},
    )
    destination_delete(destination=destination, actor=actor)
    assert not FunctionInstance.objects.exists()
    assert AuditEvent.objects.filter(action="Integration Deleted").count() == 1


def test_destination_create_function_of_other_workspace_refused(workspace, actor):
    foreign = function_factory(workspace_create(slug="other"), resource_type="DESTINATION")
    with pytest.raises(InvalidInput) as error:
        destination_create(
            kind="function",
            workspace=workspace,
            actor=actor,
            source=source_factory(workspace),
            metadata_id=foreign.id,
            name="theirs",
            settings={},
        )
    assert error.value.field == "metadataId"
    assert not Destination.objects.exists() and not FunctionInstance.objects.exists()


def test_destination_function_instance_on_source_of_other_workspace_refused(workspace, actor):
    with pytest.raises(InvalidInput) as error:
        destination_create(
            kind="function",
            workspace=workspace,
            actor=actor,
            source=source_factory(workspace_create(slug="other")),
            metadata_id=function_factory(workspace, resource_type="DESTINATION").id,
            name="crm",
            settings={},
        )
    assert error.value.field == "sourceId"
    assert not FunctionInstance.objects.exists()


def test_destination_filter_delete_of_other_destination_refused(workspace, actor):
    source = source_factory(workspace)
    hook, other = webhook_factory(source), webhook_factory(source, "https://b.example/")
    item = destination_filter_create(
        destination=other, actor=actor, title="t", expression='type = "track"', action="drop_event"
    )
    with pytest.raises(InvalidInput) as error:
        destination_filter_delete(destination=hook, item=item, actor=actor)
    assert error.value.field == "filterId"
    assert DestinationFilter.objects.filter(pk=item.pk).exists()
    destination_filter_delete(destination=other, item=item, actor=actor)
    assert not DestinationFilter.objects.exists()


def _failed_delivery(destination):
    return EventDelivery.objects.create(
        workspace=destination.workspace,
        destination=destination,
        message_id="m-1",
        event_type="track",
        event={},
        status=DeliveryStatus.FAILED,
        attempts=9,
        received_at=timezone.now(),
    )


def test_deliveries_replay_selected_of_other_workspace_refused(workspace, actor):
    mine = _failed_delivery(webhook_factory(source_factory(workspace)))
    theirs = _failed_delivery(webhook_factory(source_factory(workspace_create(slug="other"))))
    selected = EventDelivery.objects.filter(pk__in=[mine.pk, theirs.pk])
    with pytest.raises(InvalidInput) as error:
        deliveries_replay_selected(workspace=workspace, deliveries=selected, actor=actor)
    assert error.value.field == "deliveries"
    assert set(EventDelivery.objects.values_list("status", flat=True)) == {"failed"}
    count = deliveries_replay_selected(
        workspace=workspace, deliveries=EventDelivery.objects.filter(pk=mine.pk), actor=actor
    )
    assert count == 1
