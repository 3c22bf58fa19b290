"""Writes for workspaces, memberships, object grants and API tokens; each with its audit event."""

import hashlib
import secrets
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from workspace.audit import SYSTEM, Actor, audit_record
from workspace.errors import InvalidInput
from workspace.models import ApiToken, Membership, Role, Workspace

TOKEN_PREFIX = "fnt_"

# Object permissions granted for a listed-scope role, per role.
_ROLE_OBJECT_PERMS = {
    Role.FUNCTIONS_ADMIN: ("functions.view_functionclass", "functions.change_functionclass"),
    Role.FUNCTIONS_READONLY: ("functions.view_functionclass",),
    Role.SOURCE_ADMIN: ("delivery.change_source",),
}


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def workspace_create(
    *, slug: str, name: str = "", owner: User | None = None, actor: Actor = SYSTEM
) -> Workspace:
    if not slug or slugify(slug) != slug:
        raise InvalidInput(
            f"slug {slug!r} must be lowercase letters, digits and dashes", field="slug"
        )
    if Workspace.objects.filter(slug=slug).exists():
        raise InvalidInput(f"workspace {slug!r} already exists", field="slug")
    workspace = Workspace.objects.create(slug=slug, name=name or slug)
    audit_record(
        workspace=workspace,
        actor=actor,
        action="Workspace Created",
        resource_type="WORKSPACE",
        resource_id=workspace.id,
        resource_name=workspace.name,
    )
    if owner is not None:
        membership_grant(workspace=workspace, user=owner, role=Role.OWNER, actor=actor)
    return workspace


def _validate_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(Role.values)
        raise InvalidInput(f"unknown role {role!r}; one of {allowed}", field="role") from None


def _check_objects(workspace: Workspace, objects: Sequence[models.Model]) -> None:
    for obj in objects:
        if getattr(obj, "workspace_id", None) != workspace.id:
            raise InvalidInput(f"{obj} is not in workspace {workspace.slug}", field="objects")


@transaction.atomic
def membership_grant(
    *,
    workspace: Workspace,
    user: User,
    role: str,
    actor: Actor,
    objects: Sequence[models.Model] | None = None,
) -> Membership:
    """Give `user` a role in the workspace: over all resources, or only over `objects`."""
    checked = _validate_role(role)
    if objects is not None and checked not in _ROLE_OBJECT_PERMS:
        raise InvalidInput(
            f"role {checked.value} cannot be limited to listed resources", field="role"
        )
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace,
        user=user,
        role=checked,
        defaults={"all_resources": objects is None},
    )
    _check_objects(workspace, objects or ())
    for obj in objects or ():
        for perm in _ROLE_OBJECT_PERMS[checked]:
            assign_perm(perm, user, obj)
    audit_record(
        workspace=workspace,
        actor=actor,
        action="Membership Granted",
        resource_type="MEMBERSHIP",
        resource_id=str(membership.pk),
        resource_name=str(user.get_username()),
        diff={
            "role": checked.value,
            "scope": [str(o.pk) for o in objects] if objects is not None else "all",
        },
    )
    return membership


@transaction.atomic
def membership_revoke(
    *, membership: Membership, actor: Actor, objects: Sequence[models.Model] = ()
) -> None:
    role = Role(membership.role)
    _check_objects(membership.workspace, objects)
    for obj in objects:
        for perm in _ROLE_OBJECT_PERMS.get(role, ()):
            remove_perm(perm, membership.user, obj)
    audit_record(
        workspace=membership.workspace,
        actor=actor,
        action="Membership Revoked",
        resource_type="MEMBERSHIP",
        resource_id=str(membership.pk),
        resource_name=str(membership.user.get_username()),
        diff={"role": role.value},
    )
    membership.delete()


def _check_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not an email address", field="email") from None
    return email


@transaction.atomic
def member_add(
    *,
    workspace: Workspace,
    email: str,
    role: str,
    actor: Actor,
    objects: Sequence[models.Model] | None = None,
    password: str | None = None,
) -> tuple[User, str | None]:
    """Give the person with `email` a role, creating their login first if they have none.
    Returns the user and the password generated for a new login (shown once, never stored
    in clear); an existing login keeps its password unless `password` is given."""
    email = _check_email(email)
    _validate_role(role)
    user = get_user_model().objects.filter(username__iexact=email).first()
    generated = None
    created = user is None
    if user is None:
        generated = None if password else secrets.token_urlsafe(12)
        user = get_user_model().objects.create(username=email, email=email)
    if password or generated:
        user.set_password(password or generated)
        user.save(update_fields=["password"])
    audit_record(
        workspace=workspace,
        actor=actor,
        action="Member Added",
        resource_type="USER",
        resource_id=str(user.pk),
        resource_name=email,
        diff={"created": created, "passwordSet": bool(password or generated)},
    )
    membership_grant(workspace=workspace, user=user, role=role, actor=actor, objects=objects)
    return user, generated


def _granted_objects(membership: Membership, perm: str) -> list[models.Model]:
    found: models.QuerySet[models.Model] = get_objects_for_user(
        membership.user, perm, accept_global_perms=False
    )
    return list(found.filter(workspace_id=membership.workspace_id))


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Actor) -> None:
    """Take a role away, with the object grants it holds that no other role of the person
    in this workspace still needs; the last Workspace Owner stays."""
    role = Role(membership.role)
    others = Membership.objects.filter(workspace=membership.workspace, user=membership.user)
    others = others.exclude(pk=membership.pk)
    if role == Role.OWNER and not (
        Membership.objects.filter(workspace=membership.workspace, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .filter(user__api_token__isnull=True)
        .exists()
    ):
        raise InvalidInput("the last Workspace Owner cannot be removed", field="membership")
    kept = {perm for other in others for perm in _ROLE_OBJECT_PERMS.get(Role(other.role), ())}
    for perm in set(_ROLE_OBJECT_PERMS.get(role, ())) - kept:
        for obj in _granted_objects(membership, perm):
            remove_perm(perm, membership.user, obj)
    membership_revoke(membership=membership, actor=actor)


@transaction.atomic
def api_token_create(
    *,
    workspace: Workspace,
    name: str,
    role: str,
    actor: Actor,
    objects: Sequence[models.Model] | None = None,
) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is shown once and never stored."""
    if not name or len(name) > 100:
        raise InvalidInput("name must be 1 to 100 characters", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user_model = get_user_model()
    service_user = user_model.objects.create(
        username=f"token-{secrets.token_hex(6)}@{workspace.slug}", is_active=True
    )
    service_user.set_unusable_password()
    service_user.save(update_fields=["password"])
    token = ApiToken.objects.create(
        workspace=workspace,
        user=service_user,
        name=name,
        token_hash=hash_token(raw),
        token_prefix=raw[:10],
    )
    membership_grant(
        workspace=workspace, user=service_user, role=role, actor=actor, objects=objects
    )
    audit_record(
        workspace=workspace,
        actor=actor,
        action="API Token Created",
        resource_type="API_TOKEN",
        resource_id=token.id,
        resource_name=name,
        diff={"role": role},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, workspace: Workspace, token: ApiToken, actor: Actor) -> ApiToken:
    if token.workspace_id != workspace.id:
        raise InvalidInput("token not found", field="token")
    if token.revoked_at is not None:
        raise InvalidInput("token is already revoked", field="token")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    token.user.is_active = False
    token.user.save(update_fields=["is_active"])
    audit_record(
        workspace=token.workspace,
        actor=actor,
        action="API Token Revoked",
        resource_type="API_TOKEN",
        resource_id=token.id,
        resource_name=token.name,
    )
    return token
