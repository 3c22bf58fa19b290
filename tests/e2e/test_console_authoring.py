"""The authoring half of the console as people use it in Chromium: catalog, New Function,
settings, test runs, Create, Save, Save & Deploy, Versions (diff, Restore), batch tests and
the read-only editor."""

import os
from pathlib import Path

import pytest

from delivery.services import insert_instance_create
from functions.models import FunctionClass, ResourceType
from tests.factories import UserFactory, function_factory, source_factory, webhook_factory
from workspace.audit import SYSTEM
from workspace.models import Role
from workspace.services import membership_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TEST_SECRET = "tok_e2e_secret_7777"
RUN_TIMEOUT = 30000


def login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/**")


def person(workspace, username, role=Role.OWNER, superuser=False):
    user = UserFactory(username=username, is_superuser=superuser, is_staff=superuser)
    user.set_password(PASSWORD)
    user.save()
    if not superuser:
        membership_grant(workspace=workspace, user=user, role=role, actor=SYSTEM)
    return user


@pytest.fixture(params=["superuser", "owner"])
def owner_page(request, live_server, page, workspace):
    """Logged in as the owner `make run` prints (a superuser), or as a non-superuser owner."""
    superuser = request.param == "superuser"
    person(workspace, f"{request.param}@acme.test", superuser=superuser)
    login(page, live_server, f"{request.param}@acme.test")
    page.kind = request.param
    return page


def set_text(page, name, text):
    """Replace an editor's text the way a paste does (no auto-closed brackets)."""
    box = page.get_by_role("textbox", name=name)
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(text)


def shot(page, name, kind):
    """README screenshots, refreshed on demand (CONSOLE_SCREENSHOTS=1), not on every run."""
    if kind == "superuser" and os.environ.get("CONSOLE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def add_setting(page, label, *, required=False, encrypted=False, screenshot=None):
    page.get_by_role("button", name="+ Add Setting").click()
    dialog = page.get_by_role("dialog")
    fields = dialog.get_by_role("group", name="Setting")
    fields.get_by_label("Label", exact=True).fill(label)
    if required:
        fields.get_by_label("Required").check()
    if encrypted:
        fields.get_by_label("Encrypted").check()
    fields.get_by_label("Description").fill(f"{label} of the account")
    if screenshot:
        screenshot()
    dialog.get_by_role("button", name="Add Setting").click()


INSERT_CODE = """async function onTrack(event, settings) {
  console.log('token is', settings.apiToken)
  event.properties = { ...event.properties, tier: settings.tier }
  return event
}
"""


def test_console_create_insert_function_from_catalog(owner_page, live_server, workspace):
    page = owner_page
    function_factory(workspace, display_name="Send to CRM", resource_type=ResourceType.DESTINATION)
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/catalog/")
    page.get_by_role("link", name="New Function").click()
    page.get_by_label("Insert").check()
    page.get_by_role("button", name="Next: Build Function").click()
    code = page.get_by_role("textbox", name="Code")
    code.wait_for()
    assert "async function onIdentify(event, settings)" in code.inner_text()
    set_text(page, "Code", INSERT_CODE)

    page.get_by_role("tab", name="Settings").click()
    add_setting(page, "Tier", required=True)
    assert page.get_by_role("dialog").is_hidden()
    add_setting(page, "API Token", encrypted=True, screenshot=lambda: settings_shot(page))
    settings = page.locator("#settings-list")
    assert "apiToken" in settings.inner_text() and "REQUIRED" in settings.inner_text()
    add_setting(page, "Temporary")
    page.get_by_role("button", name="Delete Temporary").click()
    page.get_by_role("button", name="Edit Tier").click()
    page.get_by_role("dialog").get_by_label("Description").fill("Plan of the account")
    page.get_by_role("dialog").get_by_role("button", name="Save Setting").click()
    assert "Temporary" not in settings.inner_text()
    assert "Plan of the account" in settings.inner_text()

    page.get_by_role("tab", name="Test").click()
    test_settings = page.get_by_role("form", name="Test settings")
    assert test_settings.get_by_label("API Token").get_attribute("type") == "password"
    test_settings.get_by_label("Tier").fill("gold")
    test_settings.get_by_label("API Token").fill(TEST_SECRET)
    page.get_by_role("link", name="customize the event yourself").click()
    set_text(page, "Payload", '{"type": "track", "event": "Signed Up", "properties": {}}')
    page.get_by_role("button", name="Run", exact=True).click()
    output = page.locator("#output")
    output.get_by_text("Status: success").wait_for(timeout=RUN_TIMEOUT)
    assert '"tier": "gold"' in output.inner_text()
    assert "token is [redacted]" in output.inner_text()
    assert TEST_SECRET not in page.content()
    output.scroll_into_view_if_needed()
    shot(page, "editor-test-run", page.kind)

    page.get_by_role("button", name="Next: Configure & Create").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("x" * 121)
    dialog.get_by_role("button", name="Create Function").click()
    assert "at most 120" in dialog.get_by_role("alert").inner_text()
    dialog.get_by_label("Name").fill("Tier enricher")
    dialog.get_by_label("Description").fill("Adds the account tier")
    dialog.get_by_label("Logo").fill("https://cdn.example.com/tier.png")
    dialog.get_by_role("button", name="Create Function").click()
    page.get_by_text("Created Tier enricher.").wait_for()

    function = FunctionClass.objects.get(display_name="Tier enricher")
    assert function.resource_type == ResourceType.INSERT_DESTINATION
    assert [(s["name"], s["required"], s["sensitive"]) for s in function.settings_schema] == [
        ("tier", True, False),
        ("apiToken", False, True),
    ]
    assert "tier: settings.tier" in function.code
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/catalog/")
    assert page.locator("img[src='https://cdn.example.com/tier.png']").count() <= 1
    assert (
        "Adds the account tier"
        in page.get_by_role("listitem").filter(has_text="Tier enricher").inner_text()
    )
    shot(page, "catalog", page.kind)


def settings_shot(page):
    shot(page, "settings-builder", getattr(page, "kind", ""))


@pytest.fixture
def deployed(workspace):
    function = function_factory(workspace, display_name="Enrich")
    instances = [
        insert_instance_create(
            function=function,
            actor=SYSTEM,
            name=name,
            settings={},
            destination=webhook_factory(source_factory(workspace, name=source), url=url),
        )
        for name, source, url in (
            ("prod", "Website", "https://hooks.example.com/prod"),
            ("staging", "iOS app", "https://hooks.example.com/staging"),
        )
    ]
    return function, instances


def test_console_save_deploy_to_one_instance_and_restore(
    owner_page, live_server, workspace, deployed
):
    page = owner_page
    function, (prod, staging) = deployed
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/functions/{function.pk}/")
    set_text(page, "Code", "async function onTrack(event) {\n  return event\n}\n")
    page.keyboard.press("ControlOrMeta+s")
    page.get_by_text("Saved as version 2. Instances are unchanged.").wait_for()
    prod.refresh_from_db()
    assert prod.version.number == 1

    set_text(page, "Code", "async function onTrack(event) {\n  event.v = 3\n  return event\n}\n")
    page.get_by_role("tab", name="Settings").click()
    add_setting(page, "Region")
    page.get_by_role("button", name="Save & Deploy").click()
    dialog = page.get_by_role("dialog")
    assert dialog.get_by_label("Deploy to prod").is_checked()
    assert dialog.get_by_label("Deploy to staging").is_checked()
    assert "iOS app" in dialog.inner_text() and "v1" in dialog.inner_text()
    dialog.get_by_label("Deploy to staging").uncheck()
    shot(page, "save-and-deploy", page.kind)
    dialog.get_by_role("button", name="Save & Deploy").click()
    page.get_by_text("Saved as version 3 and deployed to 1 instance(s).").wait_for()
    prod.refresh_from_db()
    staging.refresh_from_db()
    assert (prod.version.number, staging.version.number) == (3, 1)

    page.get_by_role("link", name="Versions").click()
    page.get_by_role("link", name="Compare version 1").click()
    page.locator("#diff-code .cm-mergeView").wait_for()
    assert "event.v = 3" in page.locator("#diff-code").inner_text()
    assert "seen = true" in page.locator("#diff-code").inner_text()
    assert "Region (region)" in page.locator("#diff-settings").inner_text()
    shot(page, "versions-diff", page.kind)
    page.get_by_role("button", name="Restore version 1").click()
    page.get_by_text("Restored version 1 as version 4.").wait_for()
    function.refresh_from_db()
    assert "seen = true" in function.code
    prod.refresh_from_db()
    assert prod.version.number == 3


BATCH_CODE = """async function onTrack(event) {}
async function onBatch(events, settings) {
  console.log('batch of', events.length)
  if (events.some((e) => !e.userId)) throw new ValidationError('userId missing')
}
"""


def test_console_batch_test_of_destination_function(live_server, page, workspace):
    person(workspace, "dest@acme.test")
    login(page, live_server, "dest@acme.test")
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/functions/new/")
    page.get_by_label("Destination").check()
    page.get_by_role("button", name="Build", exact=True).click()
    assert page.get_by_role("button", name="Configure", exact=True).is_visible()
    set_text(page, "Code", BATCH_CODE)
    page.get_by_role("link", name="customize the event yourself").click()
    set_text(page, "Payload", '[{"type": "track", "userId": "u1"}, {"type": "identify"}]')
    page.get_by_role("button", name="Run", exact=True).click()
    rows = page.locator("#output table.fn-batch tbody tr")
    rows.first.wait_for(timeout=RUN_TIMEOUT)
    assert rows.count() == 2
    assert "message_rejected" in rows.nth(1).inner_text()
    assert "userId missing" in rows.nth(1).inner_text()
    assert "batch of 2" in page.locator("#output").inner_text()

    # An invalid payload replaces the previous output entirely.
    set_text(page, "Payload", "[{")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Payload is not valid JSON").wait_for()
    assert "batch of 2" not in page.locator("#output").inner_text()

    # Logs are capped at 4 KB, with a notice.
    set_text(page, "Payload", '{"type": "track"}')
    set_text(
        page,
        "Code",
        "async function onTrack() {\n"
        "  for (let i = 0; i < 200; i++) console.log('x'.repeat(40))\n}\n",
    )
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Logs are capped at 4 KB").wait_for(timeout=RUN_TIMEOUT)

    # Ctrl/Cmd+Enter runs; code that does not compile is marked on its line.
    set_text(page, "Payload", '{"type": "track"}')
    set_text(page, "Code", "async function onTrack(event) {\n  let x = ;\n}\n")
    page.keyboard.press("ControlOrMeta+Enter")
    page.get_by_text("Status: bad_request").wait_for(timeout=RUN_TIMEOUT)
    assert "(line 2)" in page.locator("#output").inner_text()
    marked = page.locator("#code-editor .cm-lintRange-error")
    marked.first.wait_for()
    assert "let x" in marked.first.inner_text()


def test_console_use_sample_event_offers_a_sample_per_type(live_server, page, workspace):
    person(workspace, "sample@acme.test")
    source_factory(workspace, name="Website")
    login(page, live_server, "sample@acme.test")
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/functions/new/?type=insert")
    page.get_by_role("button", name="Use Sample Event").click()
    page.get_by_label("Source").select_option(label="Website")
    page.get_by_text("No recent events from this source").wait_for()
    page.get_by_label("Event", exact=True).select_option(label="Sample identify event")
    assert "peter@example.com" in page.get_by_role("textbox", name="Payload").inner_text()


def test_console_readonly_member_sees_read_only_editor(live_server, page, workspace):
    function = function_factory(workspace, display_name="Enrich")
    person(workspace, "viewer@acme.test", role=Role.FUNCTIONS_READONLY)
    login(page, live_server, "viewer@acme.test")
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/functions/{function.pk}/")
    code = page.get_by_role("textbox", name="Code")
    code.wait_for()
    assert code.get_attribute("contenteditable") == "false"
    assert "  event.properties.seen = true" in code.inner_text()
    code.click()
    page.keyboard.type("broken")
    assert "broken" not in code.inner_text()
    for label in ("Save", "Save & Deploy", "Run", "+ Add Setting"):
        assert page.get_by_role("button", name=label, exact=True).count() == 0


def test_console_refused_save_keeps_the_edit_and_says_why(live_server, page, workspace, deployed):
    from workspace.services import membership_revoke

    function, _ = deployed
    user = person(workspace, "admin@acme.test", role=Role.FUNCTIONS_ADMIN)
    login(page, live_server, "admin@acme.test")
    page.goto(f"{live_server.url}/admin/w/{workspace.slug}/functions/{function.pk}/")
    page.get_by_role("button", name="Save & Deploy").click()
    dialog = page.get_by_role("dialog")
    assert dialog.get_by_label("Deploy to prod").is_disabled()
    assert "Needs the Source Admin role over this source" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()

    # The role is taken away while the edit is open: Save is refused, the edit stays.
    membership = user.memberships.get(workspace=workspace, role=Role.FUNCTIONS_ADMIN)
    membership_revoke(membership=membership, actor=SYSTEM)
    membership_grant(workspace=workspace, user=user, role=Role.FUNCTIONS_READONLY, actor=SYSTEM)
    set_text(page, "Code", "async function onTrack(event) {\n  return 'typed by hand'\n}\n")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("alert").filter(has_text="Not allowed").wait_for()
    assert "Functions Admin" in page.get_by_role("alert").inner_text()
    assert "typed by hand" in page.get_by_role("textbox", name="Code").inner_text()
    assert function.versions.count() == 1
