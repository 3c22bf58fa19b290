import json

import pytest
from django.urls import reverse

from functions.instances import insert_instance_create, instance_settings_decrypted
from functions.models import FunctionInstance
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant, workspace_create

SECRET = "sk_live_the_real_secret_9876"
SCHEMA = [
    {"name": "apiKey", "label": "API key", "type": "STRING", "required": True, "sensitive": True}
]


@pytest.fixture
def staff_owner(owner):
    owner.is_staff = True
    owner.save()
    return owner


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


def _form(function, **changes):
    data = {
        "display_name": function.display_name,
        "description": function.description,
        "logo_url": function.logo_url,
        "code": function.code,
        "settings_schema": json.dumps(function.settings_schema),
        "batch_max_count": function.batch_max_count,
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_editor_save_makes_version_and_keeps_instances(client, staff_owner, deployed):
    function, instance = deployed
    client.force_login(staff_owner)
    url = reverse("admin:functions_functionclass_change", args=[function.pk])
    response = client.post(url, _form(function, code="// v2", _continue="Save"))
    assert response.status_code == 302
    assert function.versions.count() == 2
    instance.refresh_from_db()
    assert instance.version.number == 1


def test_editor_save_and_deploy_moves_checked_instances(client, staff_owner, deployed):
    function, instance = deployed
    client.force_login(staff_owner)
    url = reverse("admin:functions_functionclass_change", args=[function.pk])
    client.post(url, _form(function, code="// v2", _deploy="1", deploy_to=[instance.id]))
    instance.refresh_from_db()
    assert instance.version.number == 2
    assert AuditEvent.objects.filter(action="Function Deployed").count() == 1


def test_editor_bad_schema_shows_error_and_saves_nothing(client, staff_owner, deployed):
    function, _ = deployed
    client.force_login(staff_owner)
    url = reverse("admin:functions_functionclass_change", args=[function.pk])
    response = client.post(url, _form(function, settings_schema='[{"name": "bad-name"}]'))
    assert response.status_code == 200
    assert "is not a JavaScript identifier" in response.content.decode()
    assert function.versions.count() == 1


def test_editor_restore_version(client, staff_owner, deployed):
    function, _ = deployed
    client.force_login(staff_owner)
    url = reverse("admin:functions_functionclass_change", args=[function.pk])
    client.post(url, _form(function, code="// v2", _continue="Save"))
    first = function.versions.get(number=1)
    client.post(reverse("admin:functions_functionclass_restore", args=[function.pk, first.pk]))
    function.refresh_from_db()
    assert function.versions.count() == 3 and function.code == first.code


def test_editor_readonly_member_cannot_save(client, workspace, deployed):
    function, _ = deployed
    reader = UserFactory()
    membership_grant(workspace=workspace, user=reader, role=Role.FUNCTIONS_READONLY, actor=SYSTEM)
    client.force_login(reader)
    url = reverse("admin:functions_functionclass_change", args=[function.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(function, code="// hijack"))
    assert response.status_code == 403
    assert function.versions.count() == 1


def test_editor_other_workspace_not_found(client, deployed):
    function, _ = deployed
    stranger = UserFactory()
    elsewhere = workspace_create(slug="elsewhere")
    membership_grant(workspace=elsewhere, user=stranger, role=Role.OWNER, actor=SYSTEM)
    client.force_login(stranger)
    url = reverse("admin:functions_functionclass_change", args=[function.pk])
    response = client.get(url)
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert (
        function.display_name
        not in client.get(reverse("admin:functions_functionclass_changelist")).content.decode()
    )


def test_instance_page_shows_secret_masked_only(client, staff_owner, deployed):
    _, instance = deployed
    client.force_login(staff_owner)
    page = client.get(reverse("admin:functions_functioninstance_change", args=[instance.pk]))
    body = page.content.decode()
    assert SECRET not in body and SECRET[-4:] in body


def test_instance_page_masked_round_trip_keeps_secret(client, staff_owner, deployed):
    _, instance = deployed
    client.force_login(staff_owner)
    url = reverse("admin:functions_functioninstance_change", args=[instance.pk])
    masked = "•" * 10 + SECRET[-4:]
    client.post(
        url, {"name": "prod", "enabled": "", "settings_json": json.dumps({"apiKey": masked})}
    )
    instance = FunctionInstance.objects.get(pk=instance.pk)
    assert instance_settings_decrypted(instance) == {"apiKey": SECRET}
    assert instance.enabled is False


def test_audit_page_lists_events_read_only(client, staff_owner, deployed):
    client.force_login(staff_owner)
    page = client.get(reverse("admin:workspace_auditevent_changelist"))
    assert "Insert Function Instance Created" in page.content.decode()
    event = AuditEvent.objects.first()
    response = client.post(
        reverse("admin:workspace_auditevent_change", args=[event.pk]), {"action": "Tampered"}
    )
    assert response.status_code == 403
