"""Function instances: settings values (sensitive ones encrypted), enable toggle, lifecycle."""

from typing import Any

from django.db import transaction

from functions.models import FunctionClass, FunctionInstance
from functions.queries import latest_version
from functions.schema import (
    is_masked,
    mask,
    sensitive_names,
    setting_value_errors,
    validate_setting_values,
)
from workspace.audit import REDACTED, Actor, audit_record, diff_fields
from workspace.errors import InvalidInput
from workspace.infra.secrets import decrypt_value, encrypt_value


def instance_settings_decrypted(instance: FunctionInstance) -> dict[str, Any]:
    """Every setting value in clear, for the runtime only."""
    values = dict(instance.settings)
    for name, token in instance.encrypted_settings.items():
        values[name] = decrypt_value(token)
    return values


def instance_settings_masked(instance: FunctionInstance) -> dict[str, Any]:
    """What people and API clients see: sensitive values as bullets + last 4 characters."""
    values = dict(instance.settings)
    for name, token in instance.encrypted_settings.items():
        values[name] = mask(decrypt_value(token))
    return values


def instance_settings_redacted(instance: FunctionInstance) -> dict[str, Any]:
    values = dict(instance.settings)
    values.update({name: REDACTED for name in instance.encrypted_settings})
    return values


def instance_settings_errors(instance: FunctionInstance, schema: list[dict[str, Any]]) -> list[str]:
    return setting_value_errors(schema, instance_settings_decrypted(instance))


def store_instance_settings(
    instance: FunctionInstance, schema: list[dict[str, Any]], values: Any
) -> None:
    """Validate and store `values`; a masked value sent back keeps the stored secret."""
    if not isinstance(values, dict):
        raise InvalidInput("settings must be an object", field="settings")
    current = instance_settings_decrypted(instance) if not instance._state.adding else {}
    secret = sensitive_names(schema)
    for name, value in values.items():
        if name in secret and is_masked(value) and current.get(name) is None:
            raise InvalidInput(
                f"settings.{name}: a masked value was sent but no secret is "
                "stored; send the real value",
                field=f"settings.{name}",
            )
    merged = {
        name: current.get(name) if name in secret and is_masked(value) else value
        for name, value in values.items()
    }
    validate_setting_values(schema, merged)
    instance.settings = {k: v for k, v in merged.items() if k not in secret and v is not None}
    instance.encrypted_settings = {
        k: encrypt_value(v) for k, v in merged.items() if k in secret and v not in (None, "")
    }


def build_instance(
    *,
    function: FunctionClass,
    name: str,
    settings: Any,
    enabled: bool,
) -> FunctionInstance:
    """A saved instance on the function's latest version; the caller attaches it (delivery
    holds the keys) and records the audit event."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled must be a boolean", field="enabled")
    version = latest_version(function)
    instance = FunctionInstance(
        workspace=function.workspace,
        function=function,
        version=version,
        name=name.strip(),
        enabled=enabled,
    )
    store_instance_settings(instance, version.settings_schema, settings)
    instance.save()
    return instance


def instance_audit(instance: FunctionInstance, *, actor: Actor, verb: str, diff: Any) -> None:
    """One audit event on the instance: "Insert Function Instance Created", ..."""
    kind, label = "DESTINATION_FUNCTION_INSTANCE", "Destination Function Instance"
    if instance.function.is_insert:
        kind, label = "INSERT_FUNCTION_INSTANCE", "Insert Function Instance"
    audit_record(
        workspace=instance.workspace,
        actor=actor,
        action=f"{label} {verb}",
        resource_type=kind,
        resource_id=instance.id,
        resource_name=instance.name,
        diff=diff,
    )


def instance_snapshot(instance: FunctionInstance) -> dict[str, Any]:
    return {
        "name": instance.name,
        "enabled": instance.enabled,
        "versionId": instance.version_id,
        "settings": instance_settings_redacted(instance),
    }


def _redacted_diff(instance: FunctionInstance, before: dict[str, Any]) -> dict[str, Any]:
    after = instance_snapshot(instance)
    diff = diff_fields(
        {k: v for k, v in before.items() if k != "settings"},
        {k: v for k, v in after.items() if k != "settings"},
    )
    settings_diff = diff_fields(before["settings"], after["settings"])
    if settings_diff:
        diff["settings"] = settings_diff
    return diff


@transaction.atomic
def instance_update(
    *,
    instance: FunctionInstance,
    actor: Actor,
    name: str | None = None,
    settings: Any = None,
    enabled: bool | None = None,
) -> FunctionInstance:
    instance = (
        FunctionInstance.objects.select_for_update().select_related("function").get(pk=instance.pk)
    )
    before = instance_snapshot(instance)
    old_secrets = dict(instance.encrypted_settings)
    old_values = instance_settings_decrypted(instance)
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidInput("name must be 1 to 200 characters", field="name")
        instance.name = name.strip()
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise InvalidInput("enabled must be a boolean", field="enabled")
        instance.enabled = enabled
    if settings is not None:
        store_instance_settings(instance, instance.version.settings_schema, settings)
    instance.save()
    diff = _redacted_diff(instance, before)
    new_values = instance_settings_decrypted(instance)
    changed_secrets = sorted(
        k
        for k in set(old_secrets) | set(instance.encrypted_settings)
        if old_values.get(k) != new_values.get(k)
    )
    if changed_secrets:
        diff["secretsChanged"] = changed_secrets
    verb = "Updated"
    if set(diff) == {"enabled"}:
        verb = "Enabled" if instance.enabled else "Disabled"
    instance_audit(instance, actor=actor, verb=verb, diff=diff)
    return instance


@transaction.atomic
def instance_delete(*, instance: FunctionInstance, actor: Actor) -> None:
    instance_audit(
        instance, actor=actor, verb="Deleted", diff={"before": instance_snapshot(instance)}
    )
    instance.delete()
