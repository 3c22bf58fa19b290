"""Writes for sources, destinations and the insert function instance in front of one, each
with one audit event in its transaction."""

from typing import Any

from django.db import transaction

from delivery.catalog import HTTP_API
from delivery.kinds.base import Kind
from delivery.kinds.registry import KINDS, kind_of
from delivery.ledger.retry import MAX_ATTEMPTS, MIN_ATTEMPTS
from delivery.models import Destination, Source, function_instances_owned
from delivery.source_slugs import slug_checked, slug_for_name
from functions.instances import build_instance, instance_audit, instance_delete, instance_snapshot
from functions.models import FunctionClass, FunctionInstance
from workspace.audit import Actor, audit_record, diff_fields
from workspace.errors import InvalidInput
from workspace.models import Workspace


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    return name.strip()


def _check_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be a boolean", field=field)
    return value


def _audit_source(source: Source, actor: Actor, action: str, diff: Any = None) -> None:
    audit_record(
        workspace=source.workspace,
        actor=actor,
        action=action,
        resource_type="SOURCE",
        resource_id=source.id,
        resource_name=source.name,
        diff=diff,
    )


def audit_destination(
    destination: Destination, actor: Actor, action: str, diff: Any = None
) -> None:
    audit_record(
        workspace=destination.workspace,
        actor=actor,
        action=action,
        resource_type="DESTINATION",
        resource_id=destination.id,
        resource_name=destination.name,
        diff=diff,
    )


def _check_settings(settings: Any) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise InvalidInput("settings must be an object", field="settings")
    return settings


@transaction.atomic
def source_create(
    *,
    workspace: Workspace,
    actor: Actor,
    name: str = "",
    slug: str = "",
    metadata_id: str = HTTP_API,
    settings: dict[str, Any] | None = None,
    enabled: bool = True,
) -> Source:
    """A source named `name`, or `slug` (the Public API's createSource sends no name)."""
    if not name and not slug:
        raise InvalidInput("a name or a slug is required", field="name")
    source = Source.objects.create(
        workspace=workspace,
        name=_check_name(name or slug),
        slug=slug_checked(workspace, slug) if slug else slug_for_name(workspace, name),
        metadata_id=metadata_id or HTTP_API,
        settings=_check_settings(settings or {}),
        enabled=_check_bool(enabled, "enabled"),
    )
    _audit_source(source, actor, "Source Created")
    return source


def _source_state(source: Source) -> dict[str, Any]:
    return {"name": source.name, "slug": source.slug, "enabled": source.enabled}


@transaction.atomic
def source_update(
    *,
    source: Source,
    actor: Actor,
    name: str | None = None,
    enabled: bool | None = None,
    slug: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Source:
    before = _source_state(source)
    if name is not None:
        source.name = _check_name(name)
    if enabled is not None:
        source.enabled = _check_bool(enabled, "enabled")
    if slug is not None:
        source.slug = slug_checked(source.workspace, slug, exclude=source.pk)
    if settings is not None:
        source.settings = _check_settings(settings)
    source.save()
    _audit_source(source, actor, "Source Updated", diff_fields(before, _source_state(source)))
    return source


@transaction.atomic
def source_delete(*, source: Source, actor: Actor) -> None:
    _audit_source(source, actor, "Source Deleted")
    source.delete()


def destination_snapshot(destination: Destination) -> dict[str, Any]:
    return {
        "name": destination.name,
        "enabled": destination.enabled,
        "sourceId": destination.source_id,
        **kind_of(destination).snapshot(destination),
    }


def _check_source(workspace: Workspace, source: Source) -> None:
    if source.workspace_id != workspace.id:
        raise InvalidInput("sourceId not found", field="sourceId")


@transaction.atomic
def destination_create(
    *,
    workspace: Workspace,
    actor: Actor,
    source: Source,
    kind: str,
    name: str,
    settings: Any,
    metadata_id: str = "",
    enabled: bool = True,
) -> Destination:
    """A destination of `kind` (a name in delivery/kinds/registry.py) made from its catalog
    entry `metadata_id` (by default the kind's own name: the webhook's) with `settings`."""
    _check_source(workspace, source)
    found = KINDS.get(kind)
    if found is None:
        raise InvalidInput(f"unknown destination kind {kind!r}", field="kind")
    destination = Destination(
        workspace=workspace,
        source=source,
        name=_check_name(name),
        kind=found.name,
        enabled=_check_bool(enabled, "enabled"),
    )
    found.destination_prepare(destination, metadata_id=metadata_id or kind, settings=settings)
    destination.save()
    audit_destination(
        destination, actor, "Integration Created", {"after": destination_snapshot(destination)}
    )
    return destination


def _check_max_attempts(value: Any) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not (MIN_ATTEMPTS <= value <= MAX_ATTEMPTS)
    ):
        raise InvalidInput(
            f"maxAttempts must be from {MIN_ATTEMPTS} to {MAX_ATTEMPTS}", field="maxAttempts"
        )
    return value


def _hide_secret_changes(
    diff: dict[str, Any], kind: Kind, before: dict[str, Any], destination: Destination
) -> None:
    """Settings that may carry credentials (a webhook's URL and headers): the trail says that
    they changed, never from what to what (a masked URL would hide a changed token anyway)."""
    after = kind.settings_stored(destination) if kind.secret_settings else {}
    for field in kind.secret_settings:
        diff.pop(field, None)
        if before.get(field) != after.get(field):
            diff[field] = "changed"


# A kind keeps its settings in kind_settings / kind_secrets_encrypted (delivery/kinds/).
_UPDATED_FIELDS = [
    "name",
    "enabled",
    "max_attempts",
    "kind_settings",
    "kind_secrets_encrypted",
    "updated_at",
]


@transaction.atomic
def destination_update(
    *,
    destination: Destination,
    actor: Actor,
    name: str | None = None,
    enabled: bool | None = None,
    settings: Any = None,
    max_attempts: int | None = None,
) -> Destination:
    kind = kind_of(destination)
    before = destination_snapshot(destination)
    before_secrets = kind.settings_stored(destination) if kind.secret_settings else {}
    if name is not None:
        destination.name = _check_name(name)
    if enabled is not None:
        destination.enabled = _check_bool(enabled, "enabled")
    if max_attempts is not None:
        destination.max_attempts = _check_max_attempts(max_attempts)
    if settings is not None:
        kind.settings_store(destination, kind.settings_checked(settings, destination))
    # What this service changes only: a destination read before an insert function was
    # connected in front of it would otherwise save the insert key back to empty.
    destination.save(update_fields=_UPDATED_FIELDS)
    diff = diff_fields(before, destination_snapshot(destination))
    _hide_secret_changes(diff, kind, before_secrets, destination)
    action = "Integration Updated"
    if set(diff) == {"enabled"}:
        action = "Integration Enabled" if destination.enabled else "Integration Disabled"
    audit_destination(destination, actor, action, diff)
    return destination


@transaction.atomic
def destination_delete(*, destination: Destination, actor: Actor) -> None:
    """With its function instances: a destination function's is the destination, and the
    insert function instance in front of it is its own."""
    audit_destination(destination, actor, "Integration Deleted")
    owned = list(function_instances_owned([destination]).values_list("pk", flat=True))
    destination.delete()
    FunctionInstance.objects.filter(pk__in=owned).delete()


@transaction.atomic
def insert_instance_create(
    *,
    function: FunctionClass,
    destination: Destination,
    actor: Actor,
    name: str,
    settings: Any,
    enabled: bool = True,
) -> FunctionInstance:
    """An instance of the insert function `function` in front of `destination`, its only one."""
    if not function.is_insert:
        raise InvalidInput(f"Insert function {function.api_id} not found.", field="functionId")
    if destination.workspace_id != function.workspace_id:
        raise InvalidInput("integrationId not found", field="integrationId")
    # Locked, so two connections at once cannot both find the place free.
    row = Destination.objects.select_for_update().filter(pk=destination.pk)
    if row.values_list("insert_instance_id", flat=True).get() is not None:
        raise InvalidInput("this destination already has an insert function", field="integrationId")
    instance = build_instance(function=function, name=name, settings=settings, enabled=enabled)
    row.update(insert_instance=instance)
    destination.insert_instance = instance
    instance_audit(
        instance,
        actor=actor,
        verb="Created",
        diff={"after": instance_snapshot(instance), "integrationId": destination.id},
    )
    return instance


def function_disconnect(*, instance: FunctionInstance, actor: Actor) -> None:
    """Undo a connection: an insert function leaves the destination it sits in front of; a
    destination function's instance is a destination, which goes with it."""
    destination = Destination.objects.filter(function_instance=instance).first()
    if destination is not None:
        destination_delete(destination=destination, actor=actor)
    else:
        instance_delete(instance=instance, actor=actor)
