"""The one permission module: every role check of the Public API, the admin, the browser
console and the services is a question asked here.

    can(user, Action.FUNCTION_EDIT, workspace, function) -> bool
    require(user, Action.FUNCTION_EDIT, workspace, function)   # raises PermissionDenied

An object of another workspace is never "forbidden" here: callers look objects up inside the
caller's workspace first (another workspace's object is a 404), and `require` raises NotFound
for an object whose workspace is not `workspace`, whatever called it.

Roles (per workspace, `Membership.all_resources=False` limits a role to the objects granted
through django-guardian):

- FUNCTION_VIEW: Owner; Functions Admin or Functions Read-only (all, or granted functions)
- FUNCTION_CREATE: Owner; Functions Admin over all functions
- FUNCTION_EDIT (save, settings, restore, delete): Owner; Functions Admin (all, or granted)
- FUNCTION_RUN (run code, saved or not): as FUNCTION_EDIT; with no function, any Functions Admin
- SOURCE_VIEW, SOURCE_ADMIN (connect, enable, deploy, instance settings and secrets,
  destinations, replay): Owner; Source Admin (all, or granted sources)
- SOURCE_CREATE: Owner; Source Admin over all sources
- INSTANCE_VIEW: FUNCTION_VIEW on its function, or SOURCE_ADMIN on its source
- INSTANCE_CHANGE (settings, secrets, enable, deploy to it, disconnect): SOURCE_ADMIN on its source
- DESTINATION_VIEW, DESTINATION_CHANGE, DELIVERIES_REPLAY: SOURCE_ADMIN on its source
- DELIVERIES_VIEW: SOURCE_ADMIN on its source, or FUNCTION_VIEW on its (insert) function
- AUDIT_VIEW, MEMBERS_MANAGE, TOKENS_MANAGE, WORKSPACE_CHANGE (alert webhook): Owner

Superusers (operators, like the owner `make run` creates) count as Owners of every workspace.
"""

from enum import StrEnum
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from guardian.shortcuts import get_objects_for_user

from workspace.errors import NotFound, PermissionDenied
from workspace.models import Membership, Role, Workspace

UserLike = User | AnonymousUser

_M = TypeVar("_M", bound=models.Model)


class Action(StrEnum):
    FUNCTION_VIEW = "function.view"
    FUNCTION_CREATE = "function.create"
    FUNCTION_EDIT = "function.edit"
    FUNCTION_RUN = "function.run"
    SOURCE_VIEW = "source.view"
    SOURCE_CREATE = "source.create"
    SOURCE_ADMIN = "source.admin"
    INSTANCE_VIEW = "instance.view"
    INSTANCE_CHANGE = "instance.change"
    DESTINATION_VIEW = "destination.view"
    DESTINATION_CHANGE = "destination.change"
    DELIVERIES_VIEW = "deliveries.view"
    DELIVERIES_REPLAY = "deliveries.replay"
    AUDIT_VIEW = "audit.view"
    MEMBERS_MANAGE = "members.manage"
    TOKENS_MANAGE = "tokens.manage"
    WORKSPACE_CHANGE = "workspace.change"


# Messages the API's 403 envelope and the console's 403 page show.
MESSAGES: dict[Action, str] = {
    Action.FUNCTION_VIEW: "Your roles do not let you view this function",
    Action.FUNCTION_CREATE: "Creating functions needs the Functions Admin role over all functions",
    Action.FUNCTION_EDIT: "Editing this function needs the Functions Admin role",
    Action.FUNCTION_RUN: "Running code needs the Functions Admin role on this function",
    Action.SOURCE_VIEW: "This needs the Source Admin role over the source",
    Action.SOURCE_CREATE: "Creating sources needs the Source Admin role over all sources",
    Action.SOURCE_ADMIN: "This needs the Source Admin role over the source",
    Action.INSTANCE_VIEW: "Your roles do not let you view this instance",
    Action.INSTANCE_CHANGE: "Changing this instance needs the Source Admin role over its source",
    Action.DESTINATION_VIEW: "This needs the Source Admin role over the destination's source",
    Action.DESTINATION_CHANGE: "This needs the Source Admin role over the destination's source",
    Action.DELIVERIES_VIEW: "Your roles do not let you view this destination's deliveries",
    Action.DELIVERIES_REPLAY: "Replaying needs the Source Admin role over the destination's source",
    Action.AUDIT_VIEW: "The audit trail is open to Workspace Owners",
    Action.MEMBERS_MANAGE: "Managing members needs the Workspace Owner role",
    Action.TOKENS_MANAGE: "Managing API tokens needs the Workspace Owner role",
    Action.WORKSPACE_CHANGE: "Changing workspace settings needs the Workspace Owner role",
}


def roles_of(user: UserLike, workspace: Workspace) -> dict[Role, bool]:
    """{role: all_resources} of `user` in `workspace`; superusers are Owners everywhere."""
    if not isinstance(user, User) or not user.is_active:
        return {}
    if user.is_superuser:
        return {Role.OWNER: True}
    cache: dict[str, dict[Role, bool]] = user.__dict__.setdefault("_workspace_roles", {})
    if workspace.pk not in cache:
        rows = Membership.objects.filter(workspace=workspace, user=user).values_list(
            "role", "all_resources"
        )
        cache[workspace.pk] = {Role(role): all_resources for role, all_resources in rows}
    return cache[workspace.pk]


def forget_roles(user: UserLike) -> None:
    """Drop the per-request role cache (after a membership change in the same request)."""
    user.__dict__.pop("_workspace_roles", None)


def workspaces_of(user: UserLike) -> models.QuerySet[Workspace]:
    if not isinstance(user, User) or not user.is_active:
        return Workspace.objects.none()
    if user.is_superuser:
        return Workspace.objects.all()
    return Workspace.objects.filter(memberships__user=user).distinct()


def _has_role(
    user: UserLike, workspace: Workspace, role: Role, perm: str, obj: models.Model | None
) -> bool:
    """`role` over all objects, or (with `obj`) over `obj` granted through guardian."""
    roles = roles_of(user, workspace)
    if role not in roles:
        return False
    if roles[role]:
        return True
    return obj is not None and bool(user.has_perm(perm, obj))


def _is_owner(user: UserLike, workspace: Workspace) -> bool:
    return Role.OWNER in roles_of(user, workspace)


def _function_view(user: UserLike, ws: Workspace, function: Any) -> bool:
    if function is None:
        return False
    return (
        _is_owner(user, ws)
        or _has_role(user, ws, Role.FUNCTIONS_ADMIN, "functions.view_functionclass", function)
        or _has_role(user, ws, Role.FUNCTIONS_ADMIN, "functions.change_functionclass", function)
        or _has_role(user, ws, Role.FUNCTIONS_READONLY, "functions.view_functionclass", function)
    )


def _function_edit(user: UserLike, ws: Workspace, function: Any) -> bool:
    if function is None:
        return False
    return _is_owner(user, ws) or _has_role(
        user, ws, Role.FUNCTIONS_ADMIN, "functions.change_functionclass", function
    )


def _function_create(user: UserLike, ws: Workspace, _obj: Any) -> bool:
    return _is_owner(user, ws) or bool(roles_of(user, ws).get(Role.FUNCTIONS_ADMIN))


def _function_run(user: UserLike, ws: Workspace, function: Any) -> bool:
    if function is None:
        return _is_owner(user, ws) or Role.FUNCTIONS_ADMIN in roles_of(user, ws)
    return _function_edit(user, ws, function)


def _source_admin(user: UserLike, ws: Workspace, source: Any) -> bool:
    if source is None:
        return False
    return _is_owner(user, ws) or _has_role(
        user, ws, Role.SOURCE_ADMIN, "delivery.change_source", source
    )


def _source_create(user: UserLike, ws: Workspace, _obj: Any) -> bool:
    return _is_owner(user, ws) or bool(roles_of(user, ws).get(Role.SOURCE_ADMIN))


# What instance_source reads, for select_related: delivery holds both keys
# (`Destination.insert_instance`, `Destination.function_instance`); these are their reverse names.
INSTANCE_SOURCE_PATHS = ("attached_destination__source", "destination__source")


def instance_destination(instance: Any) -> Any:
    """The destination an insert instance sits in front of, or the destination a
    destination-function instance is; None when it has neither."""
    destination = getattr(instance, "attached_destination", None)
    if destination is None:
        destination = getattr(instance, "destination", None)
    return destination


def instance_source(instance: Any) -> Any:
    """The source an instance receives events from, through its destination."""
    return getattr(instance_destination(instance), "source", None)


def _instance_view(user: UserLike, ws: Workspace, instance: Any) -> bool:
    return _function_view(user, ws, instance.function) or _source_admin(
        user, ws, instance_source(instance)
    )


def _instance_change(user: UserLike, ws: Workspace, instance: Any) -> bool:
    return _source_admin(user, ws, instance_source(instance))


def _destination_admin(user: UserLike, ws: Workspace, destination: Any) -> bool:
    return _source_admin(user, ws, destination.source)


def _deliveries_view(user: UserLike, ws: Workspace, destination: Any) -> bool:
    if _destination_admin(user, ws, destination):
        return True
    instance = getattr(destination, "function_instance", None)
    functions = [getattr(instance, "function", None)] if instance is not None else []
    insert = getattr(destination, "insert_instance", None)
    if insert is not None:
        functions.append(insert.function)
    return any(_function_view(user, ws, f) for f in functions if f is not None)


def _owner_only(user: UserLike, ws: Workspace, _obj: Any) -> bool:
    return _is_owner(user, ws)


_RULES = {
    Action.FUNCTION_VIEW: _function_view,
    Action.FUNCTION_CREATE: _function_create,
    Action.FUNCTION_EDIT: _function_edit,
    Action.FUNCTION_RUN: _function_run,
    Action.SOURCE_VIEW: _source_admin,
    Action.SOURCE_CREATE: _source_create,
    Action.SOURCE_ADMIN: _source_admin,
    Action.INSTANCE_VIEW: _instance_view,
    Action.INSTANCE_CHANGE: _instance_change,
    Action.DESTINATION_VIEW: _destination_admin,
    Action.DESTINATION_CHANGE: _destination_admin,
    Action.DELIVERIES_VIEW: _deliveries_view,
    Action.DELIVERIES_REPLAY: _destination_admin,
    Action.AUDIT_VIEW: _owner_only,
    Action.MEMBERS_MANAGE: _owner_only,
    Action.TOKENS_MANAGE: _owner_only,
    Action.WORKSPACE_CHANGE: _owner_only,
}


def _same_workspace(workspace: Workspace, obj: Any) -> bool:
    workspace_id = getattr(obj, "workspace_id", None)
    return workspace_id is None or workspace_id == workspace.pk


def can(user: UserLike, action: Action, workspace: Workspace, obj: Any = None) -> bool:
    """May `user` do `action` in `workspace` (on `obj`, when the action is about one)?"""
    if obj is not None and not _same_workspace(workspace, obj):
        return False
    return bool(_RULES[action](user, workspace, obj))


def require(
    user: UserLike,
    action: Action,
    workspace: Workspace,
    obj: Any = None,
    *,
    message: str | None = None,
    field: str | None = None,
) -> None:
    """Raise NotFound for an object of another workspace, PermissionDenied for a refusal."""
    if obj is not None and not _same_workspace(workspace, obj):
        raise NotFound("Resource not found")
    if not _RULES[action](user, workspace, obj):
        raise PermissionDenied(message or MESSAGES[action], field=field)


def viewable_functions(
    user: UserLike, workspace: Workspace, queryset: models.QuerySet[_M]
) -> models.QuerySet[_M]:
    """`queryset` (of FunctionClass) narrowed to what FUNCTION_VIEW allows."""
    queryset = queryset.filter(workspace=workspace)
    roles = roles_of(user, workspace)
    if Role.OWNER in roles or roles.get(Role.FUNCTIONS_ADMIN) or roles.get(Role.FUNCTIONS_READONLY):
        return queryset
    if Role.FUNCTIONS_ADMIN in roles or Role.FUNCTIONS_READONLY in roles:
        return get_objects_for_user(
            user,
            ["functions.view_functionclass", "functions.change_functionclass"],
            klass=queryset,
            any_perm=True,
            accept_global_perms=False,
        )
    return queryset.none()


def adminable_sources(
    user: UserLike, workspace: Workspace, queryset: models.QuerySet[_M]
) -> models.QuerySet[_M]:
    """`queryset` (of Source) narrowed to what SOURCE_ADMIN allows."""
    queryset = queryset.filter(workspace=workspace)
    roles = roles_of(user, workspace)
    if Role.OWNER in roles or roles.get(Role.SOURCE_ADMIN):
        return queryset
    if Role.SOURCE_ADMIN in roles:
        return get_objects_for_user(
            user, "delivery.change_source", klass=queryset, accept_global_perms=False
        )
    return queryset.none()
