import pytest

from delivery.services import insert_instance_create
from functions.models import FunctionClass, FunctionInstance, FunctionVersion, ResourceType
from functions.services import (
    function_create,
    function_delete,
    function_deploy,
    function_update,
    function_version_restore,
    latest_version,
)
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.errors import InvalidInput
from workspace.models import AuditEvent

SECRET_SCHEMA = [
    {
        "name": "apiKey",
        "label": "API key",
        "description": "",
        "type": "STRING",
        "required": True,
        "sensitive": True,
    }
]


def _create(workspace, actor, **overrides):
    fields = {
        "resource_type": "INSERT_DESTINATION",
        "display_name": "Enrich",
        "code": "async function onTrack(e) { return e }",
        "settings_schema": [],
    }
    fields.update(overrides)
    return function_create(workspace=workspace, actor=actor, **fields)


def test_function_create_makes_first_version_and_audit(workspace, actor):
    function = _create(workspace, actor)
    assert function.api_id == f"ifnd_{function.id}"
    assert [v.number for v in function.versions.all()] == [1]
    event = AuditEvent.objects.get(action="Function Created")
    assert event.resource_id == function.api_id and event.actor == actor.label


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"display_name": "x" * 121}, "displayName"),
        ({"display_name": "  "}, "displayName"),
        ({"resource_type": "SOURCE"}, "resourceType"),
        ({"code": ""}, "code"),
        (
            {"settings_schema": [{"name": "not-an-identifier", "type": "STRING"}]},
            "settings[0].name",
        ),
        ({"settings_schema": [{"name": "a"}, {"name": "a"}]}, "settings[1].name"),
        ({"settings_schema": [{"name": "a", "type": "NUMBER"}]}, "settings[0].type"),
        ({"settings_schema": [{"name": "a", "sensitive": "yes"}]}, "settings[0].sensitive"),
        ({"settings_schema": [{"name": "a", "colour": "red"}]}, "settings[0]"),
        ({"batch_max_count": 1001}, "batchMaxCount"),
    ],
)
def test_function_create_bad_input_refused_with_field(workspace, actor, overrides, field):
    with pytest.raises(InvalidInput) as error:
        _create(workspace, actor, **overrides)
    assert error.value.field == field
    assert not FunctionClass.objects.exists()
    assert not FunctionVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="Function Created").exists()


def test_function_create_display_name_at_limit_accepted(workspace, actor):
    assert len(_create(workspace, actor, display_name="x" * 120).display_name) == 120


def test_function_create_duplicate_display_name_refused(workspace, actor):
    _create(workspace, actor)
    with pytest.raises(InvalidInput) as error:
        _create(workspace, actor)
    assert error.value.field == "displayName"


def test_function_update_code_makes_version_instances_stay(workspace, actor):
    function = _create(workspace, actor)
    webhook = webhook_factory(source_factory(workspace))
    instance = insert_instance_create(
        function=function, destination=webhook, actor=actor, name="i", settings={}
    )
    function_update(function=function, actor=actor, code="async function onTrack(e) {}")
    assert function.versions.count() == 2
    instance.refresh_from_db()
    assert instance.version.number == 1


def test_function_update_description_only_makes_no_version(workspace, actor):
    function = _create(workspace, actor)
    function_update(function=function, actor=actor, description="now documented")
    assert function.versions.count() == 1
    event = AuditEvent.objects.get(action="Function Updated")
    assert event.diff == {"description": {"from": "", "to": "now documented"}}


def test_function_update_unknown_field_refused(workspace, actor):
    function = _create(workspace, actor)
    with pytest.raises(InvalidInput) as error:
        function_update(function=function, actor=actor, resource_type="DESTINATION")
    assert error.value.field == "resource_type"


def test_function_version_is_immutable(workspace, actor):
    version = latest_version(_create(workspace, actor))
    version.code = "changed"
    with pytest.raises(TypeError, match="immutable"):
        version.save()


def test_function_version_restore_makes_new_latest(workspace, actor):
    function = _create(workspace, actor, code="// one")
    first = latest_version(function)
    function_update(function=function, actor=actor, code="// two")
    restored = function_version_restore(function=function, version=first, actor=actor)
    assert restored.number == 3 and restored.code == "// one"
    assert restored.restored_from == first
    function.refresh_from_db()
    assert function.code == "// one"


def test_function_version_restore_of_other_function_refused(workspace, actor):
    one = _create(workspace, actor, display_name="one")
    two = _create(workspace, actor, display_name="two")
    with pytest.raises(InvalidInput) as error:
        function_version_restore(function=one, version=latest_version(two), actor=actor)
    assert error.value.field == "versionId"


def test_function_deploy_moves_chosen_instances_only(workspace, actor):
    function = _create(workspace, actor)
    source = source_factory(workspace)
    one, two = (
        insert_instance_create(
            function=function,
            destination=webhook_factory(source, url=u),
            actor=actor,
            name=u,
            settings={},
        )
        for u in ("https://a.example.com", "https://b.example.com")
    )
    function_update(function=function, actor=actor, code="// v2")
    function_deploy(function=function, actor=actor, instance_ids=[one.id])
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.version.number, two.version.number) == (2, 1)
    function_deploy(function=function, actor=actor)
    two.refresh_from_db()
    assert two.version.number == 2
    assert AuditEvent.objects.filter(action="Function Deployed").count() == 2


def test_function_deploy_unknown_instance_refused(workspace, actor):
    function = _create(workspace, actor)
    with pytest.raises(InvalidInput) as error:
        function_deploy(function=function, actor=actor, instance_ids=["nope"])
    assert error.value.field == "instanceIds"
    assert not AuditEvent.objects.filter(action="Function Deployed").exists()


def test_function_deploy_refused_when_settings_miss_new_required(workspace, actor):
    function = _create(workspace, actor)
    instance = insert_instance_create(
        function=function,
        actor=actor,
        name="i",
        settings={},
        destination=webhook_factory(source_factory(workspace)),
    )
    function_update(function=function, actor=actor, settings_schema=SECRET_SCHEMA)
    with pytest.raises(InvalidInput, match="apiKey: required"):
        function_deploy(function=function, actor=actor)
    instance.refresh_from_db()
    assert instance.version.number == 1


def test_function_delete_removes_instances_and_audits(workspace, actor):
    function = _create(workspace, actor)
    insert_instance_create(
        function=function,
        actor=actor,
        name="i",
        settings={},
        destination=webhook_factory(source_factory(workspace)),
    )
    function_delete(function=function, actor=actor)
    assert not FunctionClass.objects.exists() and not FunctionInstance.objects.exists()
    assert AuditEvent.objects.filter(action="Function Deleted").count() == 1


def test_function_factory_destination_kind(workspace):
    assert function_factory(workspace, resource_type=ResourceType.DESTINATION).api_id.startswith(
        "dfn_"
    )
