"""Writes for functions and their versions: create, update (Save), restore, deploy, delete.

Every function runs in one transaction and records exactly one AuditEvent."""

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from functions.models import (
    BATCH_MAX_COUNT_LIMITS,
    DEFAULT_BATCH_MAX_COUNT,
    DISPLAY_NAME_MAX,
    FunctionClass,
    FunctionInstance,
    FunctionVersion,
    ResourceType,
)
from functions.queries import latest_version
from functions.schema import validate_settings_schema
from workspace.audit import Actor, audit_record, diff_fields
from workspace.errors import InvalidInput
from workspace.models import Workspace

_EDITABLE = (
    "display_name",
    "description",
    "logo_url",
    "code",
    "settings_schema",
    "batch_max_count",
)


def _check_display_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("displayName is required", field="displayName")
    if len(name) > DISPLAY_NAME_MAX:
        raise InvalidInput(
            f"displayName is longer than {DISPLAY_NAME_MAX} characters", field="displayName"
        )
    return name.strip()


def _check_resource_type(value: Any) -> ResourceType:
    try:
        return ResourceType(value)
    except ValueError:
        allowed = ", ".join(ResourceType.values)
        raise InvalidInput(
            f"resourceType {value!r} is not one of {allowed}", field="resourceType"
        ) from None


def _check_batch_max_count(resource_type: ResourceType, value: Any) -> int:
    if value is None or value == 0:
        return DEFAULT_BATCH_MAX_COUNT
    limit = BATCH_MAX_COUNT_LIMITS[resource_type]
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
        raise InvalidInput(
            f"batchMaxCount must be an integer from 1 to {limit}", field="batchMaxCount"
        )
    return value


def _check_code(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("code is required", field="code")
    return code


def function_snapshot(function: FunctionClass) -> dict[str, Any]:
    """The audited view of a function; the schema holds no secret values, only their names."""
    return {field: getattr(function, field) for field in _EDITABLE}


def _audit(function: FunctionClass, actor: Actor, action: str, diff: Any = None) -> None:
    audit_record(
        workspace=function.workspace,
        actor=actor,
        action=action,
        resource_type="FUNCTION",
        resource_id=function.api_id,
        resource_name=function.display_name,
        diff=diff,
    )


def _new_version(
    function: FunctionClass, actor: Actor, restored_from: FunctionVersion | None = None
) -> FunctionVersion:
    last = function.versions.aggregate(n=Max("number"))["n"] or 0
    return FunctionVersion.objects.create(
        function=function,
        number=last + 1,
        code=function.code,
        settings_schema=function.settings_schema,
        author=actor.label,
        restored_from=restored_from,
    )


def _save_unique(function: FunctionClass) -> None:
    try:
        with transaction.atomic():
            function.save()
    except IntegrityError:
        raise InvalidInput(
            f"a function named {function.display_name!r} already exists", field="displayName"
        ) from None


@transaction.atomic
def function_create(
    *,
    workspace: Workspace,
    actor: Actor,
    resource_type: str,
    display_name: str,
    code: str,
    description: str = "",
    logo_url: str = "",
    settings_schema: Any = (),
    batch_max_count: int | None = None,
) -> FunctionClass:
    kind = _check_resource_type(resource_type)
    function = FunctionClass(
        workspace=workspace,
        resource_type=kind,
        display_name=_check_display_name(display_name),
        description=description or "",
        logo_url=logo_url or "",
        code=_check_code(code),
        settings_schema=validate_settings_schema(list(settings_schema)),
        batch_max_count=_check_batch_max_count(kind, batch_max_count),
        created_by=actor.acting_user,
    )
    _save_unique(function)
    version = _new_version(function, actor)
    _audit(
        function,
        actor,
        "Function Created",
        {"after": function_snapshot(function), "versionId": version.id},
    )
    return function


def _apply_changes(function: FunctionClass, changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise InvalidInput(
            f"unknown fields: {', '.join(sorted(unknown))}", field=sorted(unknown)[0]
        )
    checks = {
        "display_name": _check_display_name,
        "code": _check_code,
        "settings_schema": validate_settings_schema,
        "batch_max_count": lambda v: _check_batch_max_count(
            ResourceType(function.resource_type), v
        ),
        "description": lambda v: v or "",
        "logo_url": lambda v: v or "",
    }
    for field, value in changes.items():
        setattr(function, field, checks[field](value))


@transaction.atomic
def function_update(*, function: FunctionClass, actor: Actor, **changes: Any) -> FunctionClass:
    """Save: a change to code or settings schema makes a new version; instances stay pinned
    to theirs until deployed."""
    function = FunctionClass.objects.select_for_update().get(pk=function.pk)
    before = function_snapshot(function)
    _apply_changes(function, changes)
    after = function_snapshot(function)
    _save_unique(function)
    diff = diff_fields(before, after)
    if "code" in diff or "settings_schema" in diff:
        diff["versionId"] = _new_version(function, actor).id
    _audit(function, actor, "Function Updated", diff)
    return function


@transaction.atomic
def function_delete(*, function: FunctionClass, actor: Actor) -> None:
    _audit(
        function,
        actor,
        "Function Deleted",
        {"instances": list(function.instances.values_list("id", flat=True))},
    )
    # Instances pin versions with PROTECT: remove them first, then the versions go with the class.
    function.instances.all().delete()
    function.delete()


@transaction.atomic
def function_version_restore(
    *, function: FunctionClass, version: FunctionVersion, actor: Actor
) -> FunctionVersion:
    """Make an old version the new latest one (a new version with its code and schema)."""
    if version.function_id != function.pk:
        raise InvalidInput("versionId does not belong to this function", field="versionId")
    function = FunctionClass.objects.select_for_update().get(pk=function.pk)
    function.code = version.code
    function.settings_schema = version.settings_schema
    function.save(update_fields=["code", "settings_schema", "updated_at"])
    restored = _new_version(function, actor, restored_from=version)
    _audit(
        function,
        actor,
        "Function Version Restored",
        {"restoredFrom": version.id, "versionId": restored.id},
    )
    return restored


@transaction.atomic
def function_deploy(
    *, function: FunctionClass, actor: Actor, instance_ids: Sequence[str] | None = None
) -> list[FunctionInstance]:
    """Save & Deploy: move the chosen instances (all when `instance_ids` is None) to the latest
    version. Instances whose settings do not fit the new schema keep running their version
    until fixed: deploying them is refused, naming them."""
    from functions.instances import instance_settings_errors

    version = latest_version(function)
    instances = list(function.instances.select_for_update().order_by("id"))
    if instance_ids is not None:
        wanted = set(instance_ids)
        unknown = wanted - {i.id for i in instances}
        if unknown:
            raise InvalidInput(
                f"unknown instance ids: {', '.join(sorted(unknown))}", field="instanceIds"
            )
        instances = [i for i in instances if i.id in wanted]
    for instance in instances:
        errors = instance_settings_errors(instance, version.settings_schema)
        if errors:
            raise InvalidInput(f"instance {instance.id}: {'; '.join(errors)}", field="instanceIds")
    moved = {i.id: i.version_id for i in instances if i.version_id != version.id}
    FunctionInstance.objects.filter(id__in=moved).update(version=version, updated_at=timezone.now())
    function.deployed_at = timezone.now()
    function.save(update_fields=["deployed_at"])
    _audit(
        function,
        actor,
        "Function Deployed",
        {
            "versionId": version.id,
            "instances": {iid: {"from": old, "to": version.id} for iid, old in moved.items()},
        },
    )
    for instance in instances:
        instance.version = version
    return instances
