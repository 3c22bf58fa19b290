"""Insert function instances through the Public API, with the masked-secret round trip."""

import pytest

from functions.instances import instance_settings_decrypted
from functions.models import FunctionInstance
from tests.api_client import api_for, audit_count, error_of
from tests.factories import WorkspaceFactory, function_factory, source_factory, webhook_factory
from workspace.models import AuditEvent

SECRET = [
    {
        "name": "apiKey",
        "label": "API key",
        "description": "",
        "type": "STRING",
        "required": True,
        "sensitive": True,
    },
    {
        "name": "region",
        "label": "Region",
        "description": "",
        "type": "STRING",
        "required": False,
        "sensitive": False,
    },
]


@pytest.fixture
def insert_fn(workspace):
    return function_factory(workspace, settings_schema=SECRET)


@pytest.fixture
def hook(workspace):
    return webhook_factory(source_factory(workspace))


def _create(api, insert_fn, hook, **extra):
    body = {
        "functionId": insert_fn.id,
        "integrationId": hook.id,
        "name": "enrich",
        "settings": {"apiKey": "sk_live_123456789", "region": "eu"},
        **extra,
    }
    return api.post("insert-function-instances", body)


def test_create_answers_prefixless_class_id_and_masks_secrets(api, insert_fn, hook):
    response = _create(api, insert_fn, hook)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]["insertFunctionInstance"]
    assert data["classId"] == insert_fn.id and data["integrationId"] == hook.id
    assert data["enabled"] is True
    assert data["settings"] == {"apiKey": "••••••••••6789", "region": "eu"}
    assert "sk_live" not in response.content.decode()
    event = AuditEvent.objects.first()
    assert event.action == "Insert Function Instance Created"
    assert "sk_live" not in str(event.diff)


def test_create_tolerates_ifnd_prefix(api, insert_fn, hook):
    response = _create(api, insert_fn, hook, functionId=insert_fn.api_id)
    assert response.status_code == 200


def test_destination_function_id_is_refused_as_insert_function(api, workspace, hook):
    dest_fn = function_factory(workspace, resource_type="DESTINATION")
    before = audit_count()
    response = api.post(
        "insert-function-instances",
        {"functionId": dest_fn.api_id, "integrationId": hook.id, "name": "x", "settings": {}},
    )
    assert response.status_code == 422
    assert error_of(response)["message"] == f"Insert function {dest_fn.api_id} not found."
    assert error_of(response)["field"] == "functionId"
    assert audit_count() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"integrationId": "nope"}, "integrationId"),
        ({"functionId": "nope"}, "functionId"),
        ({"settings": {"region": "eu"}}, "settings.apiKey"),
        ({"settings": {"apiKey": "k", "unknown": 1}}, "settings.unknown"),
        ({"enabled": "yes"}, "enabled"),
        ({"name": "x" * 201}, "name"),
        ({"extra": 1}, "extra"),
    ],
)
def test_create_bad_input_is_422_and_creates_nothing(api, insert_fn, hook, change, field):
    response = _create(api, insert_fn, hook, **change)
    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert not FunctionInstance.objects.exists()


def test_second_insert_function_on_a_destination_is_422(api, insert_fn, hook):
    _create(api, insert_fn, hook)
    response = _create(api, insert_fn, hook)
    assert response.status_code == 422 and error_of(response)["field"] == "integrationId"


def test_list_requires_function_id(api, insert_fn, hook):
    _create(api, insert_fn, hook)
    assert error_of(api.get("insert-function-instances"))["field"] == "functionId"
    listed = api.get("insert-function-instances", functionId=insert_fn.id).json()["data"]
    assert len(listed["instances"]) == 1 and listed["pagination"]["totalEntries"] == 1


def test_masked_value_round_trip_keeps_the_secret(api, insert_fn, hook):
    created = _create(api, insert_fn, hook).json()["data"]["insertFunctionInstance"]
    response = api.patch(
        f"insert-function-instances/{created['id']}",
        {"settings": {**created["settings"], "region": "us"}},
    )
    assert response.status_code == 200
    instance = FunctionInstance.objects.get()
    assert instance_settings_decrypted(instance) == {"apiKey": "sk_live_123456789", "region": "us"}
    assert "6789" not in str(instance.encrypted_settings)


def test_patch_enabled_disables_with_its_audit_action(api, insert_fn, hook):
    created = _create(api, insert_fn, hook).json()["data"]["insertFunctionInstance"]
    before = audit_count()
    response = api.patch(f"insert-function-instances/{created['id']}", {"enabled": False})
    assert response.json()["data"]["insertFunctionInstance"]["enabled"] is False
    assert audit_count() == before + 1
    assert AuditEvent.objects.first().action == "Insert Function Instance Disabled"


def test_get_and_delete(api, insert_fn, hook):
    created = _create(api, insert_fn, hook).json()["data"]["insertFunctionInstance"]
    path = f"insert-function-instances/{created['id']}"
    assert api.get(path).json()["data"]["insertFunctionInstance"]["id"] == created["id"]
    assert api.delete(path).json() == {"data": {"status": "SUCCESS"}}
    assert api.get(path).status_code == 404
    assert AuditEvent.objects.first().action == "Insert Function Instance Deleted"


def test_other_workspace_gets_404(api, insert_fn, hook):
    created = _create(api, insert_fn, hook).json()["data"]["insertFunctionInstance"]
    other = api_for(WorkspaceFactory(), "owner")
    path = f"insert-function-instances/{created['id']}"
    assert other.get(path).status_code == 404
    assert other.patch(path, {"enabled": False}).status_code == 404
    assert other.delete(path).status_code == 404
    assert FunctionInstance.objects.get().enabled is True
