"""The insert function instance in front of a destination is the destination's own
(`Destination.insert_instance`): it goes with the destination however that is deleted (the
destination, its source, its destination function), while deleting the instance only
detaches it; one per destination, one destination per instance. A destination function
destination's own instance goes with it too."""

import pytest
from django.urls import reverse

from delivery.models import Destination
from delivery.services import (
    destination_create,
    destination_delete,
    destination_update,
    insert_instance_create,
    source_delete,
)
from functions.instances import instance_delete
from functions.models import FunctionInstance, ResourceType
from functions.services import function_delete
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.errors import InvalidInput

pytestmark = pytest.mark.django_db


def _insert(destination: Destination, name: str = "enrich") -> FunctionInstance:
    return insert_instance_create(
        function=function_factory(destination.workspace, display_name=name),
        destination=destination,
        actor=SYSTEM,
        name=name,
        settings={},
    )


def _function_destination(workspace, source) -> Destination:
    function = function_factory(
        workspace, display_name="crm", resource_type=ResourceType.DESTINATION
    )
    return destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        metadata_id=function.id,
        name="to CRM",
        settings={},
    )


def test_insert_instance_create_attaches_both_ways(workspace):
    destination = webhook_factory(source_factory(workspace))
    instance = _insert(destination)
    assert Destination.objects.get(pk=destination.pk).insert_instance == instance
    assert FunctionInstance.objects.get(pk=instance.pk).attached_destination == destination


def test_insert_instance_create_second_one_refused(workspace):
    destination = webhook_factory(source_factory(workspace))
    first = _insert(destination)
    with pytest.raises(InvalidInput) as error:
        _insert(destination, name="second")
    assert error.value.field == "integrationId"
    assert Destination.objects.get(pk=destination.pk).insert_instance == first
    assert FunctionInstance.objects.count() == 1


def test_destination_delete_removes_its_insert_instance(workspace):
    destination = webhook_factory(source_factory(workspace))
    _insert(destination)
    destination_delete(destination=destination, actor=SYSTEM)
    assert not Destination.objects.exists() and not FunctionInstance.objects.exists()


def test_source_delete_removes_the_insert_instances_of_its_destinations(workspace):
    source = source_factory(workspace)
    kept = webhook_factory(source_factory(workspace, name="app"))
    _insert(webhook_factory(source, url="https://a.example.com/in"), name="a")
    _insert(webhook_factory(source, url="https://b.example.com/in"), name="b")
    kept_insert = _insert(kept, name="kept")
    source_delete(source=source, actor=SYSTEM)
    assert list(FunctionInstance.objects.all()) == [kept_insert]
    assert Destination.objects.get().insert_instance == kept_insert


def test_source_delete_removes_its_destination_functions_instances(workspace):
    source = source_factory(workspace)
    destination = _function_destination(workspace, source)
    insert = _insert(destination)
    own = destination.function_instance
    source_delete(source=source, actor=SYSTEM)
    assert not FunctionInstance.objects.filter(pk__in=[own.pk, insert.pk]).exists()
    # The function itself stays: only its instance was the destination's.
    assert own.function.__class__.objects.filter(pk=own.function_id).exists()


def test_destination_function_delete_removes_the_insert_instance_in_front(workspace):
    destination = _function_destination(workspace, source_factory(workspace))
    insert = _insert(destination)
    function_delete(function=destination.function_instance.function, actor=SYSTEM)
    assert not Destination.objects.exists()
    assert not FunctionInstance.objects.filter(pk=insert.pk).exists()


def test_insert_instance_delete_keeps_the_destination_detached(workspace):
    destination = webhook_factory(source_factory(workspace))
    instance = _insert(destination)
    instance_delete(instance=instance, actor=SYSTEM)
    assert Destination.objects.get(pk=destination.pk).insert_instance is None
    assert _insert(destination, name="again").attached_destination == destination


def test_destination_update_from_an_earlier_read_keeps_the_insert_instance(workspace):
    destination = webhook_factory(source_factory(workspace))
    earlier = Destination.objects.get(pk=destination.pk)
    instance = _insert(destination)
    destination_update(destination=earlier, actor=SYSTEM, name="renamed")
    assert Destination.objects.get(pk=destination.pk).insert_instance == instance


def test_admin_delete_selected_removes_insert_instances(workspace, client):
    destination = webhook_factory(source_factory(workspace))
    _insert(destination)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:delivery_destination_changelist"),
        {"action": "delete_selected", "_selected_action": [destination.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Destination.objects.exists() and not FunctionInstance.objects.exists()


def test_admin_delete_confirmation_lists_the_insert_instance(workspace, client):
    destination = webhook_factory(source_factory(workspace))
    _insert(destination, name="enrich-me")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:delivery_destination_changelist"),
        {"action": "delete_selected", "_selected_action": [destination.pk]},
    )
    assert response.status_code == 200
    assert "Function instances: 1" in response.content.decode()
    page = client.get(reverse("admin:delivery_destination_delete", args=[destination.pk]))
    assert "enrich-me" in page.content.decode()
