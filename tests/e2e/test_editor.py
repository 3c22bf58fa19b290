"""The function editor as a person uses it: log in, test unsaved code, Save & Deploy."""

import pytest

from functions.instances import insert_instance_create
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import Role
from workspace.services import membership_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SECRET = "sk_live_never_shown_4321"
SCHEMA = [
    {"name": "apiKey", "label": "API key", "type": "STRING", "required": True, "sensitive": True}
]


@pytest.fixture
def editor(live_server, page, workspace):
    user = UserFactory(username="editor@acme.test")
    user.set_password("pw-for-tests")
    user.save()
    membership_grant(workspace=workspace, user=user, role=Role.OWNER, actor=SYSTEM)
    function = function_factory(workspace, display_name="Enrich", settings_schema=SCHEMA)
    instance = insert_instance_create(
        function=function,
        actor=SYSTEM,
        name="prod",
        settings={"apiKey": SECRET},
        destination=webhook_factory(source_factory(workspace)),
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor@acme.test")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    # Members land on their workspace's console catalog.
    page.wait_for_url(f"{live_server.url}/admin/w/{workspace.slug}/catalog/")
    page.goto(f"{live_server.url}/admin/functions/functionclass/{function.pk}/change/")
    return function, instance


def test_editor_test_panel_runs_unsaved_code_and_redacts_secret(editor, page):
    page.fill(
        "#id_code",
        "async function onTrack(event, settings) {\n"
        "  console.log('key', settings.apiKey)\n"
        "  event.properties.tested = true\n  return event\n}\n",
    )
    page.fill("#test-settings", '{"apiKey": "sk_test_typed_in_panel_55"}')
    page.click("#test-run")
    page.wait_for_selector("#test-status:text('success')", timeout=20000)
    assert '"tested": true' in page.inner_text("#test-result")
    logs = page.inner_text("#test-logs")
    assert logs.startswith("key") and "sk_test_typed_in_panel_55" not in logs


def test_editor_test_panel_shows_handler_error(editor, page):
    page.fill("#id_code", "async function onTrack() { throw new ValidationError('no email') }")
    page.click("#test-run")
    page.wait_for_selector("#test-status:text('invalid_settings')", timeout=20000)
    assert "apiKey: required setting is missing" in page.inner_text("#test-error")
    page.fill("#test-settings", '{"apiKey": "k"}')
    page.click("#test-run")
    page.wait_for_selector("#test-status:text('message_rejected')", timeout=20000)
    assert "no email" in page.inner_text("#test-error")


def test_editor_save_and_deploy_moves_instance(editor, page):
    _, instance = editor
    page.fill("#id_code", "async function onTrack(event) { return event }")
    page.click("input[name=_deploy]")
    page.wait_for_selector("text=Deployed the latest version to 1 instance(s).")
    instance.refresh_from_db()
    assert instance.version.number == 2
    assert SECRET not in page.content()
