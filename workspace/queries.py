"""Reads: token lookup and the permission checks every API call and page goes through."""

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from guardian.shortcuts import get_objects_for_user

from workspace.models import ApiToken, Membership, Role, Workspace
from workspace.services import hash_token

# Request users: the checks answer False for anonymous ones.
UserLike = User | AnonymousUser

_M = TypeVar("_M", bound=models.Model)


def api_token_by_raw(raw: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("workspace", "user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )


def roles_of(user: UserLike, workspace: Workspace) -> dict[Role, bool]:
    """{role: all_resources} of `user` in `workspace`."""
    if not isinstance(user, User):
        return {}
    rows = Membership.objects.filter(workspace=workspace, user=user).values_list(
        "role", "all_resources"
    )
    return {Role(role): all_resources for role, all_resources in rows}


def workspaces_of(user: UserLike) -> models.QuerySet[Workspace]:
    if not isinstance(user, User):
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).distinct()


def _granted(user: UserLike, perm: str, obj: models.Model) -> bool:
    return bool(user.has_perm(perm, obj))


def can_view_function(user: UserLike, workspace: Workspace, function: models.Model) -> bool:
    roles = roles_of(user, workspace)
    if Role.OWNER in roles:
        return True
    if roles.get(Role.FUNCTIONS_ADMIN) or roles.get(Role.FUNCTIONS_READONLY):
        return True
    if Role.FUNCTIONS_ADMIN in roles or Role.FUNCTIONS_READONLY in roles:
        return _granted(user, "functions.view_functionclass", function)
    return False


def can_edit_function(user: UserLike, workspace: Workspace, function: models.Model | None) -> bool:
    """Edit or delete `function`; with `function=None`, create a new one (all-scope only)."""
    roles = roles_of(user, workspace)
    if Role.OWNER in roles or roles.get(Role.FUNCTIONS_ADMIN):
        return True
    if Role.FUNCTIONS_ADMIN in roles and function is not None:
        return _granted(user, "functions.change_functionclass", function)
    return False


def can_admin_source(user: UserLike, workspace: Workspace, source: models.Model | None) -> bool:
    """Connect functions to, enable/disable and deploy on `source` (None: create sources)."""
    roles = roles_of(user, workspace)
    if Role.OWNER in roles or roles.get(Role.SOURCE_ADMIN):
        return True
    if Role.SOURCE_ADMIN in roles and source is not None:
        return _granted(user, "delivery.change_source", source)
    return False


def viewable_functions(
    user: UserLike, workspace: Workspace, queryset: models.QuerySet[_M]
) -> models.QuerySet[_M]:
    roles = roles_of(user, workspace)
    if Role.OWNER in roles or roles.get(Role.FUNCTIONS_ADMIN) or roles.get(Role.FUNCTIONS_READONLY):
        return queryset
    if Role.FUNCTIONS_ADMIN in roles or Role.FUNCTIONS_READONLY in roles:
        return get_objects_for_user(
            user, "functions.view_functionclass", klass=queryset, accept_global_perms=False
        )
    return queryset.none()
