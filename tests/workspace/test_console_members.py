"""The Members page: people and roles, API tokens; Workspace Owners only."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.console_pages import base, client_for
from tests.console_world import build_world
from workspace.models import ApiToken, AuditEvent, Membership, Role
from workspace.permissions import Action, can

pytestmark = pytest.mark.django_db

OWNERS = {
    "owner": 200,
    "superuser": 200,
    "functions_admin": 403,
    "functions_admin_subset": 403,
    "readonly": 403,
    "source_admin": 403,
    "source_admin_subset": 403,
    "outsider": 404,
}


@pytest.fixture
def world(db):
    return build_world()


def _add(world, as_role="owner", **data):
    fields = {"member-email": "new@acme.test", "member-role": "functions_readonly"}
    fields.update({f"member-{k}": v for k, v in data.items()})
    fields.setdefault("member-scope", "all")
    return client_for(world, as_role).post(f"{base(world)}/members/add/", fields)


@pytest.mark.parametrize(("role", "status"), OWNERS.items())
def test_members_page_per_role(world, role, status):
    response = client_for(world, role).get(f"{base(world)}/members/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "readonly@acme.test" in html and "Functions Read-only" in html
        assert "@acme&gt;" not in html and "@acme<" not in html  # token users are not people


def test_members_nav_tab_only_for_owners(world):
    catalog = f"{base(world)}/catalog/"
    assert ">Members</a>" in client_for(world, "owner").get(catalog).content.decode()
    assert ">Members</a>" not in client_for(world, "readonly").get(catalog).content.decode()


@pytest.mark.parametrize(("role", "status"), OWNERS.items())
def test_member_add_per_role(world, role, status):
    assert _add(world, as_role=role).status_code == status
    exists = get_user_model().objects.filter(username="new@acme.test").exists()
    assert exists is (status == 200)


def test_member_add_shows_password_once_and_it_logs_in(world):
    response = _add(world)
    password = response.context["password"]
    assert password and password in response.content.decode()
    again = client_for(world, "owner").get(f"{base(world)}/members/").content.decode()
    assert password not in again
    client = Client()
    # As a person does it: the login form (django-axes wants the request to authenticate).
    signed_in = client.post("/admin/login/", {"username": "new@acme.test", "password": password})
    assert signed_in.status_code == 302
    assert client.get(f"{base(world)}/catalog/").status_code == 200
    assert AuditEvent.objects.filter(action="Member Added", resource_name="new@acme.test").exists()


def test_member_add_with_chosen_functions_limits_the_role(world):
    _add(world, **{"role": "functions_admin", "scope": "chosen", "functions": [world.enrich.id]})
    user = get_user_model().objects.get(username="new@acme.test")
    assert can(user, Action.FUNCTION_EDIT, world.workspace, world.enrich)
    assert not can(user, Action.FUNCTION_EDIT, world.workspace, world.other)
    html = client_for(world, "owner").get(f"{base(world)}/members/").content.decode()
    assert 'Functions Admin <span class="console-quiet">(Enrich)' in html


def test_member_add_chosen_scope_without_objects_is_refused(world):
    response = _add(world, **{"role": "source_admin", "scope": "chosen"})
    assert response.status_code == 400
    assert "Choose at least one of the sources" in response.content.decode()


def test_member_add_existing_person_gets_another_role_without_new_password(world):
    response = _add(world, **{"email": "readonly@acme.test", "role": "source_admin"})
    assert response.context["password"] is None
    roles = set(
        Membership.objects.filter(user__username="readonly@acme.test").values_list(
            "role", flat=True
        )
    )
    assert roles == {Role.FUNCTIONS_READONLY, Role.SOURCE_ADMIN}


def test_member_add_bad_email_keeps_the_form(world):
    response = _add(world, email="not-an-email")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_membership_remove_takes_role_and_its_grants(world):
    membership = Membership.objects.get(
        user=world.users["functions_admin_subset"], workspace=world.workspace
    )
    url = f"{base(world)}/members/roles/{membership.pk}/remove/"
    assert client_for(world, "readonly").post(url).status_code == 403
    assert client_for(world, "owner").post(url).status_code == 302
    user = world.users["functions_admin_subset"]
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not user.has_perm("functions.change_functionclass", world.enrich)


def test_membership_remove_keeps_the_last_owner(world):
    membership = Membership.objects.get(user=world.users["owner"], workspace=world.workspace)
    response = client_for(world, "owner").post(
        f"{base(world)}/members/roles/{membership.pk}/remove/", follow=True
    )
    assert "The last Workspace Owner cannot be removed" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_remove_of_other_workspace_is_404(world):
    outsider = world.users["outsider"]
    membership = Membership.objects.exclude(workspace=world.workspace).get(user=outsider)
    url = f"{base(world)}/members/roles/{membership.pk}/remove/"
    assert client_for(world, "owner").post(url).status_code == 404


@pytest.mark.parametrize(("role", "status"), OWNERS.items())
def test_token_create_per_role_shows_token_once(world, role, status):
    fields = {"token-name": "deploy bot", "token-role": "source_admin", "token-scope": "all"}
    response = client_for(world, role).post(f"{base(world)}/members/tokens/", fields)
    assert response.status_code == status
    if status == 200:
        raw = response.context["raw_token"]
        assert raw.startswith("fnt_") and raw in response.content.decode()
        page = client_for(world, role).get(f"{base(world)}/members/").content.decode()
        assert raw not in page and "deploy bot" in page
        token = ApiToken.objects.get(name="deploy bot")
        assert Membership.objects.get(user=token.user).role == Role.SOURCE_ADMIN


def test_token_create_with_chosen_sources(world):
    fields = {
        "token-name": "web only",
        "token-role": "source_admin",
        "token-scope": "chosen",
        "token-sources": [world.web.id],
    }
    client_for(world, "owner").post(f"{base(world)}/members/tokens/", fields)
    token = ApiToken.objects.get(name="web only")
    assert can(token.user, Action.SOURCE_ADMIN, world.workspace, world.web)
    assert not can(token.user, Action.SOURCE_ADMIN, world.workspace, world.app)


@pytest.mark.parametrize(("role", "status"), OWNERS.items())
def test_token_revoke_per_role(world, role, status):
    token = ApiToken.objects.get(workspace=world.workspace, name="ci")
    url = f"{base(world)}/members/tokens/{token.id}/revoke/"
    expected = 302 if status == 200 else status
    assert client_for(world, role).post(url).status_code == expected
    token.refresh_from_db()
    assert (token.revoked_at is not None) is (expected == 302)


def test_token_revoke_twice_says_so(world):
    token = ApiToken.objects.get(workspace=world.workspace, name="ci")
    url = f"{base(world)}/members/tokens/{token.id}/revoke/"
    client_for(world, "owner").post(url)
    response = client_for(world, "owner").post(url, follow=True)
    assert "Token is already revoked" in response.content.decode()
