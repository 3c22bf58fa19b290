"""The stock source and destination pages: operator tools for superusers; members get none."""

import pytest
from django.urls import reverse

from delivery.kinds.webhook_destination import webhook_headers, webhook_url
from delivery.models import Destination, DestinationFilter, Source
from functions.models import FunctionInstance
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import AuditEvent, Role
from workspace.services import membership_grant, workspace_create

HEADER_SECRET = "Bearer header-secret-0042"


@pytest.fixture
def logged_in(client, db):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _member_of(workspace, role=Role.OWNER):
    user = UserFactory()
    membership_grant(workspace=workspace, user=user, role=role, actor=SYSTEM)
    return user


def _function_destination(source, function, settings="{}"):
    return {
        "source": source.pk,
        "name": "crm",
        "kind": "function",
        "enabled": "on",
        "max_attempts": 9,
        "function": function.pk,
        "function_settings": settings,
        **_inline(),
    }


def _inline(prefix="filters", **row):
    data = {f"{prefix}-TOTAL_FORMS": "1" if row else "0", f"{prefix}-INITIAL_FORMS": "0"}
    data.update({f"{prefix}-0-{k}": v for k, v in row.items()})
    return data


def test_admin_source_create_goes_through_service(logged_in, workspace):
    response = logged_in.post(
        reverse("admin:delivery_source_add"),
        {"workspace": workspace.pk, "name": "app", "enabled": "on"},
    )
    assert response.status_code == 302
    source = Source.objects.get(name="app")
    assert AuditEvent.objects.filter(action="Source Created", resource_id=source.id).exists()


def test_admin_webhook_destination_headers_never_shown(logged_in, workspace):
    source = source_factory(workspace)
    response = logged_in.post(
        reverse("admin:delivery_destination_add"),
        {
            "source": source.pk,
            "name": "hook",
            "kind": "webhook",
            "enabled": "on",
            "webhook_url": "https://hooks.example.com/in",
            "max_attempts": 9,
            "webhook_headers": f'{{"Authorization": "{HEADER_SECRET}"}}',
            "function_settings": "{}",
            **_inline(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    destination = Destination.objects.get(name="hook")
    assert webhook_headers(destination) == {"Authorization": HEADER_SECRET}
    page = logged_in.get(reverse("admin:delivery_destination_change", args=[destination.pk]))
    assert HEADER_SECRET not in page.content.decode()
    assert "Authorization: [redacted]" in page.content.decode()


def test_admin_webhook_destination_bad_url_shows_error(logged_in, workspace):
    response = logged_in.post(
        reverse("admin:delivery_destination_add"),
        {
            "source": source_factory(workspace).pk,
            "name": "hook",
            "kind": "webhook",
            "webhook_url": "ftp://example.com",
            "max_attempts": 9,
            "function_settings": "{}",
            **_inline(),
        },
    )
    assert response.status_code == 200
    assert not Destination.objects.exists()


def test_admin_function_destination_checks_settings(logged_in, workspace):
    function = function_factory(
        workspace,
        resource_type="DESTINATION",
        settings_schema=[{"name": "apiKey", "type": "STRING", "required": True, "sensitive": True}],
    )
    data = {
        "source": source_factory(workspace).pk,
        "name": "crm",
        "kind": "function",
        "enabled": "on",
        "max_attempts": 9,
        "function": function.pk,
        "function_settings": "{}",
        **_inline(),
    }
    response = logged_in.post(reverse("admin:delivery_destination_add"), data)
    assert response.status_code == 200 and "apiKey: required" in response.content.decode()
    data["function_settings"] = '{"apiKey": "k-1"}'
    assert logged_in.post(reverse("admin:delivery_destination_add"), data).status_code == 302
    assert Destination.objects.get().kind == "function"


def test_admin_filter_malformed_expression_refused(logged_in, workspace):
    destination = webhook_factory(source_factory(workspace))
    url = reverse("admin:delivery_destination_change", args=[destination.pk])
    base = {
        "name": destination.name,
        "enabled": "on",
        "max_attempts": 9,
        "webhook_url": webhook_url(destination),
    }
    response = logged_in.post(
        url,
        base | _inline(title="bad", expression='event = "Order', action="drop_event", fields="[]"),
    )
    assert response.status_code == 200
    assert "invalid filter expression" in response.content.decode()
    assert not DestinationFilter.objects.exists()
    response = logged_in.post(
        url,
        base
        | _inline(
            title="no tests", expression="properties.test = true", action="drop_event", fields="[]"
        ),
    )
    assert response.status_code == 302
    assert DestinationFilter.objects.get().title == "no tests"
    assert AuditEvent.objects.filter(action="Destination Filter Created").count() == 1


def test_admin_connects_insert_function_to_destination(logged_in, workspace):
    destination = webhook_factory(source_factory(workspace))
    function = function_factory(
        workspace, settings_schema=[{"name": "label", "type": "STRING", "required": True}]
    )
    url = reverse("admin:delivery_destination_change", args=[destination.pk])
    base = {
        "name": destination.name,
        "enabled": "on",
        "max_attempts": 9,
        "webhook_url": webhook_url(destination),
        "insert_function": function.pk,
        **_inline(),
    }
    response = logged_in.post(url, base | {"insert_settings": "{}"})
    assert response.status_code == 200 and "label: required" in response.content.decode()
    response = logged_in.post(url, base | {"insert_settings": '{"label": "x"}'})
    assert response.status_code == 302
    destination.refresh_from_db()
    assert destination.insert_instance.function == function
    page = logged_in.get(url).content.decode()
    assert "version 1" in page and "enabled" in page


def test_admin_destination_pages_refuse_members(client, workspace):
    """Finding 1: a member of B was offered A's sources and functions on this page."""
    theirs = function_factory(workspace, resource_type="DESTINATION", display_name="A secret fn")
    source_factory(workspace, "A source")
    mine = workspace_create(slug="mine")
    client.force_login(_member_of(mine))
    page = client.get(reverse("admin:delivery_destination_add"))
    assert page.status_code == 403
    assert b"A secret fn" not in page.content and b"A source" not in page.content
    response = client.post(
        reverse("admin:delivery_destination_add"),
        _function_destination(source_factory(mine), theirs),
    )
    assert response.status_code == 403
    assert not Destination.objects.exists() and not FunctionInstance.objects.exists()


def test_admin_function_of_other_workspace_refused_for_operator(logged_in, workspace):
    theirs = function_factory(workspace_create(slug="other"), resource_type="DESTINATION")
    response = logged_in.post(
        reverse("admin:delivery_destination_add"),
        _function_destination(source_factory(workspace), theirs),
    )
    assert response.status_code == 200
    assert "Choose a function of the source&#x27;s workspace." in response.content.decode()
    assert not Destination.objects.exists() and not FunctionInstance.objects.exists()


def test_admin_destination_offers_insert_functions_of_its_workspace_only(logged_in, workspace):
    destination = webhook_factory(source_factory(workspace))
    function_factory(workspace, display_name="Ours")
    function_factory(workspace_create(slug="other"), display_name="Theirs")
    page = logged_in.get(reverse("admin:delivery_destination_change", args=[destination.pk]))
    assert "Ours" in page.content.decode() and "Theirs" not in page.content.decode()


@pytest.mark.parametrize("page", ["source", "destination", "eventdelivery"])
def test_admin_delivery_list_filters_hide_other_workspaces(client, workspace, page):
    """Finding 10: list filters showed other workspaces' and destinations' names."""
    webhook_factory(source_factory(workspace, "Their source"))
    client.force_login(_member_of(workspace_create(slug="mine", name="Mine")))
    response = client.get(reverse(f"admin:delivery_{page}_changelist"))
    assert response.status_code == 403
    body = response.content.decode()
    assert workspace.name not in body and "hooks.example.com" not in body
