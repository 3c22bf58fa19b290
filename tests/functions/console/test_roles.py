"""Every write of the function screens, forged by a member whose role does not offer it."""

import json

import pytest

from delivery.services import destination_create
from functions.models import FunctionClass
from tests.functions.console.conftest import member, url
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
CODE = "async function onTrack(e) { return e }"


def writes(function, instance):
    version = function.versions.get()
    return [
        ("function-create", {}, {"resourceType": "DESTINATION", "displayName": "X", "code": CODE}),
        ("function-save", {"function_id": function.pk}, {"code": CODE}),
        (
            "function-deploy",
            {"function_id": function.pk},
            {"code": CODE, "instanceIds": [instance.id]},
        ),
        ("function-restore", {"function_id": function.pk, "version_id": version.pk}, None),
        ("function-delete", {"function_id": function.pk}, None),
    ]


def forge(client, workspace, name, kwargs, body):
    if body is None:
        return client.post(url(workspace, name, **kwargs))
    return client.post(url(workspace, name, **kwargs), json.dumps(body), "application/json")


def test_roles_readonly_every_write_refused_and_nothing_changes(
    client, workspace, readonly, insert_function, instance
):
    client.force_login(readonly)
    before = AuditEvent.objects.count()
    for name, kwargs, body in writes(insert_function, instance):
        response = forge(client, workspace, name, kwargs, body)
        assert response.status_code == 403, name
        if body is None:
            # Console pages refuse in the console's look.
            assert b"console-error" in response.content
    assert AuditEvent.objects.count() == before
    assert FunctionClass.objects.count() == 1


def test_roles_other_workspace_every_write_is_404(
    client, workspace, outsider, insert_function, instance
):
    client.force_login(outsider)
    for name, kwargs, body in writes(insert_function, instance):
        assert forge(client, workspace, name, kwargs, body).status_code == 404, name


def test_roles_subset_admin_cannot_touch_other_functions(
    client, workspace, subset_admin, destination_function
):
    client.force_login(subset_admin)
    for name in ("function", "function-versions", "function-delete"):
        page = client.get(url(workspace, name, function_id=destination_function.pk))
        assert page.status_code == 403, name
    response = client.post(
        url(workspace, "function-save", function_id=destination_function.pk),
        json.dumps({"code": CODE}),
        "application/json",
    )
    assert response.status_code == 403


def test_roles_subset_admin_authors_granted_function(
    client, workspace, subset_admin, insert_function
):
    client.force_login(subset_admin)
    response = client.post(
        url(workspace, "function-save", function_id=insert_function.pk),
        json.dumps({"code": CODE, "settingsSchema": insert_function.settings_schema}),
        "application/json",
    )
    assert response.status_code == 200
    assert insert_function.versions.count() == 2


def test_roles_source_admin_alone_sees_no_function(client, workspace, source, insert_function):
    user = member(workspace, Role.SOURCE_ADMIN)
    client.force_login(user)
    assert "Enrich" not in client.get(url(workspace, "catalog")).content.decode()
    page = client.get(url(workspace, "function", function_id=insert_function.pk))
    assert page.status_code == 403


def test_roles_deploy_dialog_lists_destination_function_instance(
    client, workspace, owner, destination_function, source
):
    destination_create(
        kind="function",
        workspace=workspace,
        actor=SYSTEM,
        source=source,
        metadata_id=destination_function.id,
        name="CRM",
        settings={},
    )
    client.force_login(owner)
    response = client.get(url(workspace, "function", function_id=destination_function.pk))
    [row] = response.context["instances"]
    assert (row["name"], row["destination"], row["source"], row["selectable"]) == (
        "CRM",
        "CRM",
        "web",
        True,
    )


@pytest.mark.parametrize(
    ("who", "link"),
    [
        ("owner", "Connect a destination"),
        ("functions_admin", "Connections"),
        ("readonly", "Connections"),
    ],
)
def test_roles_connect_link_offered_only_to_who_may_connect(
    request, client, workspace, source, insert_function, who, link
):
    # Connecting takes the Source Admin role over a source; the others may still look.
    client.force_login(request.getfixturevalue(who))
    html = client.get(url(workspace, "function", function_id=insert_function.pk)).content.decode()
    connect = url(workspace, "connect", function_id=insert_function.pk)
    assert f'<a href="{connect}">{link}</a>' in html
