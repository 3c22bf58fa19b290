"""Functions, versions and deploy through the Public API."""

import pytest

from functions.models import FunctionClass, FunctionInstance
from functions.services import function_update
from tests.api_client import api_for, audit_count, error_of
from tests.factories import WorkspaceFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import AuditEvent

CODE = "async function onTrack(event, settings) { return event }"
NEW = {
    "code": CODE,
    "displayName": "Enrich",
    "resourceType": "INSERT_DESTINATION",
    "settings": [
        {
            "name": "apiKey",
            "label": "API key",
            "description": "",
            "type": "STRING",
            "required": True,
            "sensitive": True,
        }
    ],
}


def test_create_function_answers_function_v1(api):
    response = api.post("functions", NEW)
    assert response.status_code == 200
    function = response.json()["data"]["function"]
    assert function["id"] == "ifnd_" + function["catalogId"]
    assert function["resourceType"] == "INSERT_DESTINATION"
    assert function["settings"][0]["sensitive"] is True
    assert (
        AuditEvent.objects.filter(action="Function Created", resource_id=function["id"]).count()
        == 1
    )


def test_destination_function_id_has_dfn_prefix(api):
    body = dict(NEW, resourceType="DESTINATION", settings=[])
    assert api.post("functions", body).json()["data"]["function"]["id"].startswith("dfn_")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW, "resourceType": "SOURCE"}, "resourceType"),
        ({**NEW, "displayName": "x" * 121}, "displayName"),
        ({**NEW, "displayName": 5}, "displayName"),
        ({**NEW, "code": ""}, "code"),
        ({**NEW, "colour": "red"}, "colour"),
        ({**NEW, "settings": [{"name": "1bad"}]}, "settings[0].name"),
        ({**NEW, "settings": [{"name": "ok", "type": "NUMBER"}]}, "settings[0].type"),
        ({**NEW, "settings": "apiKey"}, "settings"),
        ({**NEW, "batchMaxCount": 5000}, "batchMaxCount"),
        ({k: v for k, v in NEW.items() if k != "resourceType"}, "resourceType"),
    ],
)
def test_create_function_bad_input_is_422_naming_field(api, body, field):
    before = audit_count()
    response = api.post("functions", body)
    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert error_of(response)["type"] == "ValidationFailure"
    assert audit_count() == before and not FunctionClass.objects.exists()


def test_duplicate_display_name_is_422(api):
    api.post("functions", NEW)
    response = api.post("functions", NEW)
    assert response.status_code == 422 and error_of(response)["field"] == "displayName"


def test_list_requires_resource_type(api):
    response = api.get("functions")
    assert response.status_code == 422
    assert error_of(response)["field"] == "resourceType"


def test_list_filters_by_resource_type(api, workspace):
    function_factory(workspace, display_name="ins")
    function_factory(workspace, resource_type="DESTINATION", display_name="dst")
    items = api.get("functions", resourceType="DESTINATION").json()["data"]["functions"]
    assert [i["displayName"] for i in items] == ["dst"]
    assert "code" not in items[0]


@pytest.mark.parametrize("kind", ["SOURCE", "INSERT_SOURCE"])
def test_list_of_a_kind_this_product_lacks_is_empty(api, workspace, kind):
    function_factory(workspace, resource_type="DESTINATION", display_name="dst")
    data = api.get("functions", resourceType=kind).json()["data"]
    assert data["functions"] == [] and data["pagination"]["totalEntries"] == 0
    assert api.get("functions", resourceType="BOGUS").status_code == 422


def test_versions_deployed_at_is_a_string_or_absent(api, workspace):
    function = function_factory(workspace)
    _instance(workspace, function)
    function_update(function=function, actor=SYSTEM, code=CODE + "// two")
    api.post(f"functions/{function.api_id}/deploy")
    versions = api.get(f"functions/{function.api_id}/versions").json()["data"]["versions"]
    deployed = [v for v in versions if v["isDeployed"]]
    assert len(deployed) == 1 and isinstance(deployed[0]["deployedAt"], str)
    assert all("deployedAt" not in v for v in versions if not v["isDeployed"])


def test_get_accepts_prefixed_and_catalog_ids(api, workspace):
    function = function_factory(workspace)
    for ident in (function.api_id, function.id):
        assert api.get(f"functions/{ident}").json()["data"]["function"]["id"] == function.api_id
    assert api.get(f"functions/dfn_{function.id}").status_code == 404


def test_unknown_function_is_404(api):
    response = api.get("functions/ifnd_nope")
    assert response.status_code == 404
    assert error_of(response) == {"type": "NotFound", "message": "Resource not found"}


def test_update_makes_a_new_version_and_keeps_instances(api, workspace):
    function = function_factory(workspace)
    instance = _instance(workspace, function)
    response = api.patch(f"functions/{function.api_id}", {"code": CODE + "\n// v2"})
    assert response.status_code == 200
    assert response.json()["data"]["function"]["isLatestVersion"] is False
    versions = api.get(f"functions/{function.api_id}/versions").json()["data"]["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["isDeployed"] is True and versions[0]["isDeployed"] is False
    instance.refresh_from_db()
    assert instance.version_id == versions[1]["id"]


def test_update_refuses_resource_type(api, workspace):
    function = function_factory(workspace)
    response = api.patch(f"functions/{function.api_id}", {"resourceType": "DESTINATION"})
    assert response.status_code == 422 and error_of(response)["field"] == "resourceType"


def test_update_emits_one_audit_event(api, workspace):
    function = function_factory(workspace)
    before = audit_count()
    api.patch(f"functions/{function.api_id}", {"description": "new"})
    assert audit_count() == before + 1
    event = AuditEvent.objects.first()
    assert event.action == "Function Updated" and event.actor == "token:owner token"


def test_delete_answers_success_and_audits(api, workspace):
    function = function_factory(workspace)
    response = api.delete(f"functions/{function.api_id}")
    assert response.json() == {"data": {"status": "SUCCESS"}}
    assert not FunctionClass.objects.exists()
    assert AuditEvent.objects.first().action == "Function Deleted"


def test_version_get_and_restore(api, workspace):
    function = function_factory(workspace)
    first = function.versions.get()
    function_update(function=function, actor=SYSTEM, code=CODE + "// two")
    got = api.get(f"functions/{function.api_id}/versions/{first.id}").json()["data"]
    assert got["version"]["code"] == first.code
    response = api.post(f"functions/{function.api_id}/versions", {"versionId": first.id})
    restored = response.json()["data"]["version"]
    assert restored["number"] == 3 and restored["restoredFrom"] == first.id
    function.refresh_from_db()
    assert function.code == first.code
    assert AuditEvent.objects.first().action == "Function Version Restored"


def test_restore_unknown_version_is_422(api, workspace):
    function = function_factory(workspace)
    response = api.post(f"functions/{function.api_id}/versions", {"versionId": "nope"})
    assert response.status_code == 422 and error_of(response)["field"] == "versionId"
    assert api.get(f"functions/{function.api_id}/versions/nope").status_code == 404


def _instance(workspace, function):
    from delivery.services import insert_instance_create

    destination = webhook_factory(source_factory(workspace, name=f"src {function.id}"))
    return insert_instance_create(
        function=function, destination=destination, actor=SYSTEM, name="i", settings={}
    )


def test_deploy_moves_all_instances(api, workspace):
    function = function_factory(workspace)
    one, two = _instance(workspace, function), _instance(workspace, function)
    function_update(function=function, actor=SYSTEM, code=CODE + "// two")
    response = api.post(f"functions/{function.api_id}/deploy")
    assert response.json() == {"data": {"functionDeployment": {"status": "SUCCESS"}}}
    latest = function.versions.first().id
    assert {i.version_id for i in FunctionInstance.objects.filter(pk__in=[one.pk, two.pk])} == {
        latest
    }
    assert AuditEvent.objects.first().action == "Function Deployed"


def test_deploy_to_chosen_instances(api, workspace):
    function = function_factory(workspace)
    one, two = _instance(workspace, function), _instance(workspace, function)
    old = one.version_id
    function_update(function=function, actor=SYSTEM, code=CODE + "// two")
    api.post(f"functions/{function.api_id}/deploy", {"instanceIds": [one.id]})
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.version_id != old and two.version_id == old


def test_deploy_unknown_instance_is_422(api, workspace):
    function = function_factory(workspace)
    response = api.post(f"functions/{function.api_id}/deploy", {"instanceIds": ["zzz"]})
    assert response.status_code == 422 and error_of(response)["field"] == "instanceIds"


def test_functions_of_other_workspace_are_404_for_every_verb(workspace):
    function = function_factory(workspace)
    other = api_for(WorkspaceFactory(), "owner")
    path = f"functions/{function.api_id}"
    assert other.get(path).status_code == 404
    assert other.patch(path, {"description": "x"}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.post(path + "/deploy").status_code == 404
    assert other.get(path + "/versions").status_code == 404
    assert FunctionClass.objects.filter(pk=function.pk).exists()
