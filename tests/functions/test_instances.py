import json

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from delivery.services import insert_instance_create
from functions.instances import (
    instance_settings_decrypted,
    instance_settings_masked,
    instance_update,
)
from functions.models import FunctionInstance
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.errors import InvalidInput
from workspace.infra import secrets
from workspace.models import AuditEvent

SECRET = "sk_live_abcdefghijklmnop1234"
SCHEMA = [
    {"name": "apiKey", "label": "API key", "type": "STRING", "required": True, "sensitive": True},
    {"name": "region", "label": "Region", "type": "STRING", "required": False},
    {"name": "tags", "label": "Tags", "type": "ARRAY", "required": False},
    {"name": "mapping", "label": "Mapping", "type": "TEXT_MAP", "required": False},
    {"name": "debug", "label": "Debug", "type": "BOOLEAN", "required": False},
]


@pytest.fixture
def function(workspace):
    return function_factory(workspace, settings_schema=SCHEMA)


@pytest.fixture
def destination(workspace):
    return webhook_factory(source_factory(workspace))


def _instance(function, destination, actor, **settings):
    values = {"apiKey": SECRET, "region": "eu"} | settings
    return insert_instance_create(
        function=function, destination=destination, actor=actor, name="prod", settings=values
    )


def _raw_row(instance_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT settings, encrypted_settings FROM functions_functioninstance WHERE id = %s",
            [instance_id],
        )
        return json.dumps([str(col) for col in cursor.fetchone()])


def test_instance_secret_encrypted_in_raw_column(function, destination, actor):
    instance = _instance(function, destination, actor)
    raw = _raw_row(instance.id)
    assert SECRET not in raw and "eu" in raw
    assert instance_settings_decrypted(instance)["apiKey"] == SECRET


def test_instance_secret_absent_from_repr_and_audit(function, destination, actor):
    instance = _instance(function, destination, actor)
    assert SECRET not in repr(instance) and SECRET not in str(instance)
    instance_update(instance=instance, actor=actor, settings={"apiKey": SECRET + "-new"})
    diffs = json.dumps(list(AuditEvent.objects.values_list("diff", flat=True)))
    assert SECRET not in diffs and "[redacted]" in diffs
    assert AuditEvent.objects.get(action="Insert Function Instance Updated").diff[
        "secretsChanged"
    ] == ["apiKey"]


def test_instance_masked_value_round_trip_keeps_secret(function, destination, actor):
    instance = _instance(function, destination, actor)
    shown = instance_settings_masked(instance)
    assert shown["apiKey"].startswith("•") and shown["apiKey"].endswith(SECRET[-4:])
    assert SECRET not in json.dumps(shown)
    instance_update(instance=instance, actor=actor, settings=shown | {"region": "us"})
    instance.refresh_from_db()
    values = instance_settings_decrypted(instance)
    assert values == {"apiKey": SECRET, "region": "us"}


def test_instance_masked_value_without_stored_secret_refused(function, destination, actor):
    with pytest.raises(InvalidInput, match="masked"):
        _instance(function, destination, actor, apiKey="••••••••••1234")
    assert not FunctionInstance.objects.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"apiKey": None}, "apiKey: required setting is missing"),
        ({"tags": "not-a-list"}, "tags: expected ARRAY"),
        ({"mapping": {"a": 1}}, "mapping: expected TEXT_MAP"),
        ({"debug": "yes"}, "debug: expected BOOLEAN"),
        ({"unknown": "x"}, "unknown: unknown setting"),
    ],
)
def test_instance_bad_settings_refused(function, destination, actor, values, message):
    with pytest.raises(InvalidInput, match=message) as error:
        _instance(function, destination, actor, **values)
    assert error.value.field.startswith("settings.")
    assert not FunctionInstance.objects.exists()
    assert not AuditEvent.objects.filter(resource_type="INSERT_FUNCTION_INSTANCE").exists()


def test_instance_enable_toggle_audited_as_enabled_disabled(function, destination, actor):
    instance = _instance(function, destination, actor)
    instance_update(instance=instance, actor=actor, enabled=False)
    instance_update(instance=instance, actor=actor, enabled=True)
    actions = list(
        AuditEvent.objects.filter(resource_id=instance.id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "Insert Function Instance Created",
        "Insert Function Instance Disabled",
        "Insert Function Instance Enabled",
    ]


def test_instance_one_insert_function_per_destination(function, destination, actor):
    _instance(function, destination, actor)
    with pytest.raises(InvalidInput) as error:
        _instance(function, destination, actor)
    assert error.value.field == "integrationId"


def test_instance_destination_function_refused_as_insert(workspace, destination, actor):
    dfn = function_factory(workspace, resource_type="DESTINATION")
    with pytest.raises(InvalidInput, match=f"Insert function {dfn.api_id} not found"):
        insert_instance_create(
            function=dfn, destination=destination, actor=actor, name="x", settings={}
        )


def test_rotate_encryption_keys_reencrypts_with_first_key(function, destination, actor, settings):
    from django.core.management import call_command

    old_key = Fernet.generate_key().decode()
    settings.FUNCTIONS_ENCRYPTION_KEYS = [old_key]
    secrets.reset_keys()
    instance = _instance(function, destination, actor)
    new_key = Fernet.generate_key().decode()
    settings.FUNCTIONS_ENCRYPTION_KEYS = [new_key, old_key]
    secrets.reset_keys()
    call_command("rotate_encryption_keys")
    settings.FUNCTIONS_ENCRYPTION_KEYS = [new_key]
    secrets.reset_keys()
    instance.refresh_from_db()
    assert instance_settings_decrypted(instance)["apiKey"] == SECRET


def test_decrypt_with_unknown_key_fails_clearly(function, destination, actor, settings):
    instance = _instance(function, destination, actor)
    settings.FUNCTIONS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    secrets.reset_keys()
    with pytest.raises(secrets.DecryptionFailed):
        instance_settings_decrypted(instance)


def test_development_key_generated_once_with_warning(settings, caplog):
    settings.FUNCTIONS_ENCRYPTION_KEYS = []
    secrets.reset_keys()
    token = secrets.encrypt_value("x")
    assert settings.FUNCTIONS_DEV_KEY_FILE.exists()
    assert "FUNCTIONS_ENCRYPTION_KEYS is not set" in caplog.text
    secrets.reset_keys()
    assert secrets.decrypt_value(token) == "x"


def test_insert_instance_on_destination_of_other_workspace_refused(function, actor):
    from workspace.services import workspace_create

    foreign = webhook_factory(source_factory(workspace_create(slug="other")))
    with pytest.raises(InvalidInput) as error:
        insert_instance_create(
            function=function, destination=foreign, actor=actor, name="x", settings={}
        )
    assert error.value.field == "integrationId"
    assert not FunctionInstance.objects.exists()
