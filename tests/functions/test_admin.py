"""The stock function and instance pages: operator tools for superusers; members get none."""

import json

import pytest
from django.urls import reverse

from delivery.services import insert_instance_create
from functions.instances import instance_settings_decrypted
from functions.models import FunctionClass, FunctionInstance
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant, workspace_create

SECRET = "sk_live_the_real_secret_9876"
SCHEMA = [
    {"name": "apiKey", "label": "API key", "type": "STRING", "required": True, "sensitive": True}
]
EVENT = {"type": "track", "event": "Order Completed", "messageId": "m-1", "properties": {}}


@pytest.fixture
def operator(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def deployed(workspace):
    function = function_factory(workspace, settings_schema=SCHEMA, display_name="Enrich")
    instance = insert_instance_create(
        function=function,
        actor=SYSTEM,
        name="prod",
        destination=webhook_factory(source_factory(workspace)),
        settings={"apiKey": SECRET},
    )
    return function, instance


def member(workspace, role, objects=None):
    user = UserFactory()
    membership_grant(workspace=workspace, user=user, role=role, actor=SYSTEM, objects=objects)
    return user


def _form(function, **changes):
    data = {
        "display_name": function.display_name,
        "description": function.description,
        "logo_url": function.logo_url,
        "code": function.code,
        "settings_schema": json.dumps(function.settings_schema),
        "batch_max_count": function.batch_max_count,
    }
    data.update(changes)
    return data


def _change_url(function):
    return reverse("admin:functions_functionclass_change", args=[function.pk])


def test_function_admin_add_page_creates_through_service(client, operator, workspace):
    client.force_login(operator)
    url = reverse("admin:functions_functionclass_add")
    assert client.get(url).status_code == 200
    data = {
        "workspace": workspace.pk,
        "resource_type": "INSERT_DESTINATION",
        "display_name": "Made by hand",
        "description": "",
        "logo_url": "",
        "code": "async function onTrack(event) { return event }",
        "settings_schema": "[]",
        "batch_max_count": 1,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    function = FunctionClass.objects.get(display_name="Made by hand")
    assert function.versions.count() == 1
    assert AuditEvent.objects.filter(action="Function Created", resource_name="Made by hand")


def test_function_admin_save_makes_version_and_keeps_instances(client, operator, deployed):
    function, instance = deployed
    client.force_login(operator)
    response = client.post(_change_url(function), _form(function, code="// v2", _continue="Save"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert function.versions.count() == 2
    instance.refresh_from_db()
    assert instance.version.number == 1
    page = client.get(_change_url(function)).content.decode()
    assert "Version 2 by" in page and "Version 1 by" in page


def test_function_admin_bad_schema_shows_error_and_saves_nothing(client, operator, deployed):
    function, _ = deployed
    client.force_login(operator)
    bad = _form(function, settings_schema='[{"name": "x-"}]')
    response = client.post(_change_url(function), bad)
    assert response.status_code == 200
    assert "is not a JavaScript identifier" in response.content.decode()
    assert function.versions.count() == 1


def test_function_admin_test_panel_runs_unsaved_code(client, operator, deployed):
    function, _ = deployed
    client.force_login(operator)
    response = client.post(
        reverse("admin:functions_functionclass_test", args=[function.pk]),
        json.dumps(
            {
                "code": "async function onTrack(e) { throw new Error('boom') }",
                "event": EVENT,
                "settings": {"apiKey": "k"},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "bad_request"


def test_function_admin_test_panel_bad_body_is_422(client, operator, deployed):
    function, _ = deployed
    client.force_login(operator)
    url = reverse("admin:functions_functionclass_test", args=[function.pk])
    for body in ("not json", "[1, 2]"):
        assert client.post(url, body, content_type="application/json").status_code == 422


@pytest.mark.parametrize("role", [Role.FUNCTIONS_READONLY, Role.OWNER])
def test_function_admin_test_endpoint_refuses_members(client, workspace, deployed, role):
    """Finding 2: a Read-only member ran arbitrary code (with fetch) through this endpoint."""
    function, _ = deployed
    client.force_login(member(workspace, role))
    response = client.post(
        reverse("admin:functions_functionclass_test", args=[function.pk]),
        json.dumps({"code": "async function onTrack(e) { return e }", "event": EVENT}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert b"status" not in response.content


@pytest.mark.parametrize("role", [Role.OWNER, Role.FUNCTIONS_ADMIN, Role.FUNCTIONS_READONLY])
def test_function_admin_pages_refuse_members(client, workspace, deployed, role):
    function, _ = deployed
    client.force_login(member(workspace, role))
    assert client.get(reverse("admin:functions_functionclass_changelist")).status_code == 403
    assert client.get(reverse("admin:functions_functionclass_add")).status_code == 403
    response = client.post(_change_url(function), _form(function, code="// hijack"))
    assert response.status_code in (302, 403)
    assert function.versions.count() == 1


def test_instance_page_shows_secret_masked_only(client, operator, deployed):
    _, instance = deployed
    client.force_login(operator)
    page = client.get(reverse("admin:functions_functioninstance_change", args=[instance.pk]))
    body = page.content.decode()
    assert SECRET not in body and SECRET[-4:] in body


def test_instance_page_masked_round_trip_keeps_secret(client, operator, deployed):
    _, instance = deployed
    client.force_login(operator)
    url = reverse("admin:functions_functioninstance_change", args=[instance.pk])
    masked = "•" * 10 + SECRET[-4:]
    client.post(
        url, {"name": "prod", "enabled": "", "settings_json": json.dumps({"apiKey": masked})}
    )
    instance = FunctionInstance.objects.get(pk=instance.pk)
    assert instance_settings_decrypted(instance) == {"apiKey": SECRET}
    assert instance.enabled is False


def test_instance_settings_refused_to_functions_admin_without_source_admin(
    client, workspace, deployed
):
    """Finding 7: Functions Admin changed an instance's secret in the admin (the API refuses)."""
    _, instance = deployed
    client.force_login(member(workspace, Role.FUNCTIONS_ADMIN))
    url = reverse("admin:functions_functioninstance_change", args=[instance.pk])
    response = client.post(
        url, {"name": "prod", "enabled": "on", "settings_json": json.dumps({"apiKey": "stolen"})}
    )
    assert response.status_code in (302, 403)
    assert instance_settings_decrypted(FunctionInstance.objects.get(pk=instance.pk)) == {
        "apiKey": SECRET
    }
    assert not AuditEvent.objects.filter(action__startswith="Insert Function Instance Upd")


def test_function_admin_other_workspace_functions_not_listed_to_members(client, deployed):
    function, _ = deployed
    elsewhere = workspace_create(slug="elsewhere")
    client.force_login(member(elsewhere, Role.OWNER))
    response = client.get(reverse("admin:functions_functionclass_changelist"))
    assert response.status_code == 403
    assert function.display_name not in response.content.decode()


def test_audit_page_lists_events_read_only(client, operator, deployed):
    client.force_login(operator)
    page = client.get(reverse("admin:workspace_auditevent_changelist"))
    assert "Insert Function Instance Created" in page.content.decode()
    event = AuditEvent.objects.first()
    response = client.post(
        reverse("admin:workspace_auditevent_change", args=[event.pk]), {"action": "Tampered"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action != "Tampered"
