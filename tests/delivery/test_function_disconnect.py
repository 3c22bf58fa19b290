"""function_disconnect: an insert function leaves its destination; a destination function's
destination goes with its instance."""

import pytest

from delivery.models import Destination
from delivery.services import destination_create, function_disconnect, insert_instance_create
from functions.models import FunctionInstance, ResourceType
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_function_disconnect_insert_keeps_the_destination(workspace):
    destination = webhook_factory(source_factory(workspace))
    instance = insert_instance_create(
        function=function_factory(workspace),
        destination=destination,
        actor=SYSTEM,
        name="i",
        settings={},
    )
    function_disconnect(instance=instance, actor=SYSTEM)
    assert not FunctionInstance.objects.filter(pk=instance.pk).exists()
    assert Destination.objects.filter(pk=destination.pk).exists()
    assert AuditEvent.objects.filter(action="Insert Function Instance Deleted").count() == 1


def test_function_disconnect_destination_function_removes_its_destination(workspace):
    function = function_factory(workspace, resource_type=ResourceType.DESTINATION)
    destination = destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=source_factory(workspace),
        metadata_id=function.id,
        name="d",
        settings={},
    )
    instance = destination.function_instance
    function_disconnect(instance=instance, actor=SYSTEM)
    assert not Destination.objects.filter(pk=destination.pk).exists()
    assert not FunctionInstance.objects.filter(pk=instance.pk).exists()
    assert AuditEvent.objects.filter(action="Integration Deleted").count() == 1
