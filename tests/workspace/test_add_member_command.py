"""`manage.py add_member`: a person who can log in to the console with a role."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import WorkspaceFactory, function_factory, source_factory
from workspace.models import AuditEvent, Membership, Role
from workspace.permissions import Action, can

pytestmark = pytest.mark.django_db


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command("add_member", *args, stdout=out)
    return out.getvalue()


def test_add_member_prints_generated_password_once_that_logs_in():
    workspace = WorkspaceFactory(slug="acme")
    out = _run("acme", "ann@acme.test", "--role", "owner")
    password = out.split("password: ")[1].strip()
    assert "ann@acme.test is Workspace Owner of acme" in out
    client = Client()
    assert _signs_in(client, "ann@acme.test", password)
    assert client.get("/admin/w/acme/members/").status_code == 200
    assert AuditEvent.objects.filter(workspace=workspace, action="Member Added").count() == 1


def test_add_member_is_idempotent_for_an_existing_user():
    WorkspaceFactory(slug="acme")
    _run("acme", "ann@acme.test", "--role", "owner", "--password", "first-pass-1")
    out = _run("acme", "ann@acme.test", "--role", "owner")
    assert "password" not in out
    assert Membership.objects.filter(user__username="ann@acme.test").count() == 1
    assert _signs_in(Client(), "ann@acme.test", "first-pass-1")


def test_add_member_limits_role_to_listed_functions_and_sources():
    workspace = WorkspaceFactory(slug="acme")
    enrich, other = function_factory(workspace), function_factory(workspace)
    web, app = source_factory(workspace, "web"), source_factory(workspace, "app")
    _run("acme", "fa@acme.test", "--role", "functions_admin", "--functions", enrich.api_id)
    _run("acme", "sa@acme.test", "--role", "source_admin", "--sources", web.id)
    fa = Membership.objects.get(user__username="fa@acme.test").user
    sa = Membership.objects.get(user__username="sa@acme.test").user
    assert can(fa, Action.FUNCTION_EDIT, workspace, enrich)
    assert not can(fa, Action.FUNCTION_EDIT, workspace, other)
    assert can(sa, Action.SOURCE_ADMIN, workspace, web)
    assert not can(sa, Action.SOURCE_ADMIN, workspace, app)
    assert Membership.objects.get(user=sa).role == Role.SOURCE_ADMIN


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "a@b.test", "--role", "owner"], "no workspace 'nope'"),
        (["acme", "not-an-email", "--role", "owner"], "is not an email address"),
        (["acme", "a@b.test", "--role", "source_admin", "--sources", "zzz"], "unknown sources"),
        (["acme", "a@b.test", "--role", "owner", "--functions", "x"], "--functions goes with"),
    ],
)
def test_add_member_refuses_unusable_input(args, message):
    WorkspaceFactory(slug="acme")
    with pytest.raises(CommandError, match=message):
        _run(*args)


def _signs_in(client, username: str, password: str) -> bool:
    """The login form, as a person uses it (django-axes wants the request)."""
    response = client.post("/admin/login/", {"username": username, "password": password})
    return response.status_code == 302
