"""The stock workspace, token and audit pages: operator tools for superusers only."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from workspace.audit import SYSTEM
from workspace.models import ApiToken, Role
from workspace.queries import api_token_by_raw
from workspace.services import api_token_create, membership_grant

REVOKE_URL = "admin:workspace_apitoken_changelist"


@pytest.fixture
def owner_token(workspace):
    return api_token_create(workspace=workspace, name="owner ci", role=Role.OWNER, actor=SYSTEM)


def _revoke(client, token):
    return client.post(
        reverse(REVOKE_URL), {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )


@pytest.mark.parametrize("role", [Role.FUNCTIONS_READONLY, Role.FUNCTIONS_ADMIN, Role.OWNER])
def test_token_revoke_action_refused_to_members(client, workspace, owner_token, role):
    """Finding 4: any member could revoke any token, an owner's included."""
    token, raw = owner_token
    member = UserFactory()
    membership_grant(workspace=workspace, user=member, role=role, actor=SYSTEM)
    client.force_login(member)
    assert _revoke(client, token).status_code == 403
    assert api_token_by_raw(raw) == token


def test_token_revoke_action_for_operator(client, owner_token):
    token, raw = owner_token
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = _revoke(client, token)
    assert response.status_code == 200 and b"Revoked." in response.content
    assert api_token_by_raw(raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


@pytest.mark.parametrize(
    "page", ["workspace_workspace", "workspace_apitoken", "workspace_auditevent"]
)
def test_workspace_stock_pages_refused_to_members(client, workspace, owner, page):
    client.force_login(owner)
    assert client.get(reverse(f"admin:{page}_changelist")).status_code == 403


@pytest.fixture
def every_model(workspace):
    from django.utils import timezone

    from delivery.models import EventDelivery
    from delivery.services import insert_instance_create
    from tests.factories import function_factory, source_factory, webhook_factory

    hook = webhook_factory(source_factory(workspace))
    function = function_factory(workspace)
    insert_instance_create(function=function, destination=hook, actor=SYSTEM, name="i", settings={})
    EventDelivery.objects.create(
        workspace=workspace,
        destination=hook,
        message_id="m-1",
        event_type="track",
        event={},
        status="failed",
        received_at=timezone.now(),
    )
    api_token_create(workspace=workspace, name="ci", role=Role.OWNER, actor=SYSTEM)


def test_operator_pages_of_every_model_answer(client, every_model):
    """Every stock page (list, add, change, delete) answers a superuser without error; the
    pages a model does not offer (adding an audit event, say) answer 403."""
    from django.contrib import admin

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    statuses = {}
    for model in admin.site._registry:
        if model._meta.app_label not in ("workspace", "functions", "delivery"):
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        row = model.objects.first()
        assert row is not None, model
        for url in (
            reverse(f"{name}_changelist"),
            reverse(f"{name}_add"),
            reverse(f"{name}_change", args=[row.pk]),
            reverse(f"{name}_delete", args=[row.pk]),
        ):
            statuses[url] = client.get(url).status_code
    assert set(statuses.values()) <= {200, 403}, statuses
    assert list(statuses.values()).count(200) >= 20, statuses
