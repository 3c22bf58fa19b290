"""The Audit Trail page: owners read it with readable diffs; nobody else; nothing leaks."""

import pytest

from functions.services import function_update
from tests.factories import UserFactory, function_factory
from workspace.audit import SYSTEM, Actor
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant

pytestmark = pytest.mark.django_db


def _url(workspace, query=""):
    return f"/admin/w/{workspace.slug}/audit/{query}"


def test_console_audit_shows_code_changes_as_a_unified_diff(client, workspace, owner):
    function = function_factory(workspace, code="async function onTrack(e) {\n  return e\n}\n")
    function_update(
        function=function,
        actor=Actor(user=owner),
        code="async function onTrack(e) {\n  e.x = 1\n  return e\n}\n",
    )
    client.force_login(owner)
    response = client.get(_url(workspace, "?action=Function+Updated"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Function Updated</td>" in html and "Function Created</td>" not in html
    assert '<span class="add">+  e.x = 1</span>' in html


def test_console_audit_shows_a_secret_change_as_changed(client, workspace, owner):
    from django.db import transaction

    from workspace.audit import audit_record

    with transaction.atomic():
        audit_record(
            workspace=workspace,
            actor=SYSTEM,
            action="Insert Function Instance Updated",
            resource_type="INSERT_FUNCTION_INSTANCE",
            resource_id="i1",
            diff={
                "settings": {"region": {"from": "eu", "to": "us"}},
                "secretsChanged": ["apiKey"],
            },
        )
    client.force_login(owner)
    html = client.get(_url(workspace)).content.decode()
    assert "settings.apiKey</span>\n        <em>changed</em>" in html
    assert "<del>eu</del> → <ins>us</ins>" in html


@pytest.mark.parametrize("role", [Role.FUNCTIONS_ADMIN, Role.FUNCTIONS_READONLY, Role.SOURCE_ADMIN])
def test_console_audit_is_for_owners_only(client, workspace, role):
    user = UserFactory()
    membership_grant(workspace=workspace, user=user, role=role, actor=SYSTEM)
    client.force_login(user)
    response = client.get(_url(workspace))
    assert response.status_code == 403
    assert b"Workspace Owners" in response.content


def test_console_audit_has_no_write_path(client, workspace, owner):
    client.force_login(owner)
    count = AuditEvent.objects.count()
    assert client.post(_url(workspace), {"action": "x"}).status_code in {403, 405, 200}
    assert AuditEvent.objects.count() == count


def test_console_audit_pages_older_entries(client, workspace, owner):
    for n in range(55):
        function_factory(workspace, display_name=f"f{n}")
    client.force_login(owner)
    first = client.get(_url(workspace, "?action=Function+Created")).content.decode()
    assert first.count("Function Created</td>") == 50
    assert "Older entries" in first
