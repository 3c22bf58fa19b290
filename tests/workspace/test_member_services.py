"""member_add and membership_remove: people, their logins and their roles' object grants."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory, function_factory
from workspace.audit import SYSTEM
from workspace.errors import InvalidInput
from workspace.models import AuditEvent, Membership, Role
from workspace.services import member_add, membership_grant, membership_remove

pytestmark = pytest.mark.django_db


def test_member_add_creates_login_with_generated_password(workspace):
    user, password = member_add(
        workspace=workspace, email="Ann@Acme.test", role=Role.SOURCE_ADMIN, actor=SYSTEM
    )
    assert user.username == "ann@acme.test" and user.check_password(password)
    assert Membership.objects.get(user=user).role == Role.SOURCE_ADMIN
    event = AuditEvent.objects.get(action="Member Added")
    assert event.diff == {"created": True, "passwordSet": True}
    assert password not in str(event.diff)


def test_member_add_existing_login_keeps_its_password(workspace):
    existing = UserFactory(username="bob@acme.test")
    user, password = member_add(
        workspace=workspace, email="bob@acme.test", role=Role.OWNER, actor=SYSTEM
    )
    assert user == existing and password is None
    assert user.check_password("pw-for-tests")


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-an-email", Role.OWNER, "email"), ("c@acme.test", "boss", "role")],
)
def test_member_add_refuses_bad_input_without_creating_a_login(workspace, email, role, field):
    with pytest.raises(InvalidInput) as error:
        member_add(workspace=workspace, email=email, role=role, actor=SYSTEM)
    assert error.value.field == field
    assert not get_user_model().objects.filter(username=email).exists()


def test_membership_remove_keeps_grants_another_role_needs(workspace, owner):
    function = function_factory(workspace)
    user = UserFactory()
    admin = membership_grant(
        workspace=workspace, user=user, role=Role.FUNCTIONS_ADMIN, actor=SYSTEM, objects=[function]
    )
    membership_grant(
        workspace=workspace,
        user=user,
        role=Role.FUNCTIONS_READONLY,
        actor=SYSTEM,
        objects=[function],
    )
    membership_remove(membership=admin, actor=SYSTEM)
    user = get_user_model().objects.get(pk=user.pk)
    assert not user.has_perm("functions.change_functionclass", function)
    assert user.has_perm("functions.view_functionclass", function)
    assert AuditEvent.objects.filter(action="Membership Revoked").count() == 1


def test_membership_remove_refuses_the_last_owner(workspace, owner):
    membership = Membership.objects.get(user=owner)
    with pytest.raises(InvalidInput, match="last Workspace Owner"):
        membership_remove(membership=membership, actor=SYSTEM)
    assert Membership.objects.filter(pk=membership.pk).exists()
