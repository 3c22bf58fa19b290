import pytest

from tests.factories import UserFactory, WorkspaceFactory
from workspace.audit import SYSTEM
from workspace.models import Role
from workspace.services import membership_grant

pytestmark = pytest.mark.django_db


def test_console_member_lands_on_their_workspace_catalog(client, workspace, owner):
    client.force_login(owner)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/admin/w/{workspace.slug}/catalog/"
    assert b"Catalog" in response.content


def test_console_other_workspace_is_a_404_in_the_console_look(client, owner):
    other = WorkspaceFactory()
    client.force_login(owner)
    response = client.get(f"/admin/w/{other.slug}/catalog/")
    assert response.status_code == 404
    assert b"This page does not exist." in response.content


def test_console_superuser_is_owner_of_every_workspace(client, workspace):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(f"/admin/w/{workspace.slug}/catalog/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_console_readonly_member_sees_the_catalog(client, workspace):
    user = UserFactory()
    membership_grant(workspace=workspace, user=user, role=Role.FUNCTIONS_READONLY, actor=SYSTEM)
    client.force_login(user)
    assert client.get(f"/admin/w/{workspace.slug}/catalog/").status_code == 200
