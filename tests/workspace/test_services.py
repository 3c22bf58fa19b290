import pytest

from tests.factories import UserFactory, function_factory
from workspace.audit import SYSTEM, Actor
from workspace.errors import InvalidInput
from workspace.models import ApiToken, AuditEvent, Membership, Role, Workspace
from workspace.permissions import Action, can
from workspace.queries import api_token_by_raw
from workspace.services import (
    api_token_create,
    api_token_revoke,
    membership_grant,
    membership_revoke,
    workspace_create,
)


def test_workspace_create_makes_owner_and_audit(db):
    user = UserFactory()
    workspace = workspace_create(slug="acme", name="Acme", owner=user)
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.OWNER
    actions = list(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert sorted(actions) == ["Membership Granted", "Workspace Created"]


@pytest.mark.parametrize("slug", ["", "Not A Slug", "acme/evil"])
def test_workspace_create_bad_slug_refused(db, slug):
    with pytest.raises(InvalidInput) as error:
        workspace_create(slug=slug)
    assert error.value.field == "slug"
    assert not Workspace.objects.exists()


def test_workspace_create_duplicate_slug_refused(db):
    workspace_create(slug="acme")
    with pytest.raises(InvalidInput, match="already exists"):
        workspace_create(slug="acme")


def test_membership_grant_unknown_role_refused(workspace):
    with pytest.raises(InvalidInput) as error:
        membership_grant(workspace=workspace, user=UserFactory(), role="superhero", actor=SYSTEM)
    assert error.value.field == "role"
    assert not Membership.objects.exists()


def test_membership_grant_listed_functions_limits_access(workspace):
    granted = function_factory(workspace, display_name="granted")
    other = function_factory(workspace, display_name="other")
    user = UserFactory()
    membership_grant(
        workspace=workspace, user=user, role=Role.FUNCTIONS_ADMIN, actor=SYSTEM, objects=[granted]
    )
    assert can(user, Action.FUNCTION_EDIT, workspace, granted)
    assert not can(user, Action.FUNCTION_EDIT, workspace, other)
    assert not can(user, Action.FUNCTION_CREATE, workspace)  # creating needs the all-scope role
    assert can(user, Action.FUNCTION_VIEW, workspace, granted)
    assert not can(user, Action.FUNCTION_VIEW, workspace, other)


def test_membership_grant_object_of_other_workspace_refused(workspace):
    elsewhere = function_factory(workspace_create(slug="elsewhere"))
    with pytest.raises(InvalidInput, match="not in workspace"):
        membership_grant(
            workspace=workspace,
            user=UserFactory(),
            role=Role.FUNCTIONS_ADMIN,
            actor=SYSTEM,
            objects=[elsewhere],
        )
    assert not Membership.objects.filter(workspace=workspace).exists()


def test_membership_revoke_removes_access(workspace):
    function = function_factory(workspace)
    user = UserFactory()
    membership = membership_grant(
        workspace=workspace,
        user=user,
        role=Role.FUNCTIONS_READONLY,
        actor=SYSTEM,
        objects=[function],
    )
    membership_revoke(membership=membership, actor=SYSTEM, objects=[function])
    user = type(user).objects.get(pk=user.pk)  # drop guardian's per-object cache
    assert not can(user, Action.FUNCTION_VIEW, workspace, function)
    assert AuditEvent.objects.filter(action="Membership Revoked").count() == 1


def test_api_token_create_stores_only_hash(workspace):
    token, raw = api_token_create(workspace=workspace, name="ci", role=Role.OWNER, actor=SYSTEM)
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in stored.token_hash and raw not in repr(stored.__dict__)
    assert api_token_by_raw(raw) == token
    assert api_token_by_raw(raw + "x") is None
    assert not AuditEvent.objects.filter(diff__icontains=raw).exists()


def test_api_token_revoke_makes_token_unusable(workspace, actor):
    token, raw = api_token_create(workspace=workspace, name="ci", role=Role.OWNER, actor=actor)
    api_token_revoke(workspace=workspace, token=token, actor=actor)
    assert api_token_by_raw(raw) is None
    with pytest.raises(InvalidInput, match="already revoked"):
        api_token_revoke(workspace=workspace, token=token, actor=actor)


def test_api_token_actor_label_in_audit(workspace):
    token, _ = api_token_create(workspace=workspace, name="deployer", role=Role.OWNER, actor=SYSTEM)
    function_factory(workspace)  # SYSTEM actor
    from functions.services import function_update

    function = workspace.functions.get()
    function_update(function=function, actor=Actor(token=token), description="changed")
    event = AuditEvent.objects.filter(action="Function Updated").get()
    assert event.actor == "token:deployer" and event.actor_token == token


def test_api_token_revoke_from_other_workspace_refused(workspace, actor):
    token, raw = api_token_create(workspace=workspace, name="ci", role=Role.OWNER, actor=actor)
    with pytest.raises(InvalidInput) as error:
        api_token_revoke(workspace=workspace_create(slug="other"), token=token, actor=actor)
    assert error.value.field == "token"
    assert api_token_by_raw(raw) == token


def test_api_token_create_object_of_other_workspace_refused(workspace):
    elsewhere = function_factory(workspace_create(slug="elsewhere"))
    with pytest.raises(InvalidInput) as error:
        api_token_create(
            workspace=workspace,
            name="ci",
            role=Role.FUNCTIONS_ADMIN,
            actor=SYSTEM,
            objects=[elsewhere],
        )
    assert error.value.field == "objects"
    assert not ApiToken.objects.exists()


def test_membership_revoke_object_of_other_workspace_refused(workspace):
    user = UserFactory()
    membership = membership_grant(
        workspace=workspace, user=user, role=Role.FUNCTIONS_READONLY, actor=SYSTEM
    )
    elsewhere = function_factory(workspace_create(slug="elsewhere"))
    with pytest.raises(InvalidInput) as error:
        membership_revoke(membership=membership, actor=SYSTEM, objects=[elsewhere])
    assert error.value.field == "objects"
    assert Membership.objects.filter(pk=membership.pk).exists()
