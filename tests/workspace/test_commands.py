from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import function_factory
from workspace.models import ApiToken, Membership, Role, Workspace
from workspace.permissions import Action, can
from workspace.queries import api_token_by_raw


def _call(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_create_workspace_command_makes_owner(db):
    output = _call("create_workspace", "acme", "--owner", "boss@acme.test")
    workspace = Workspace.objects.get(slug="acme")
    assert "acme" in output
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER


def test_create_api_token_command_prints_token_once(db):
    _call("create_workspace", "acme", "--owner", "boss@acme.test")
    raw = _call("create_api_token", "acme", "--role", "owner")
    token = api_token_by_raw(raw)
    assert token is not None and token.workspace.slug == "acme"
    assert raw not in ApiToken.objects.get().token_hash


def test_create_api_token_command_limits_to_listed_functions(db):
    _call("create_workspace", "acme", "--owner", "boss@acme.test")
    workspace = Workspace.objects.get()
    listed, other = function_factory(workspace), function_factory(workspace)
    raw = _call(
        "create_api_token", "acme", "--role", "functions_admin", "--functions", listed.api_id
    )
    user = api_token_by_raw(raw).user
    assert can(user, Action.FUNCTION_EDIT, workspace, listed)
    assert not can(user, Action.FUNCTION_EDIT, workspace, other)


def test_create_api_token_command_unknown_function_fails(db):
    _call("create_workspace", "acme", "--owner", "boss@acme.test")
    with pytest.raises(CommandError, match="unknown function ids"):
        _call("create_api_token", "acme", "--role", "functions_admin", "--functions", "nope")
    assert not ApiToken.objects.exists()


def test_create_api_token_command_unknown_workspace_fails(db):
    with pytest.raises(CommandError, match="no workspace"):
        _call("create_api_token", "nope", "--role", "owner")


def test_seed_demo_is_idempotent(db):
    first = _call("seed_demo")
    second = _call("seed_demo")
    assert "owner@acme.test" in first and "write key" in second
    workspace = Workspace.objects.get(slug="acme")
    assert workspace.functions.count() == 1 and workspace.sources.count() == 1
