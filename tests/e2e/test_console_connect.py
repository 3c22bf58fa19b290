"""Connect, Enable Function and Members as people use them in the browser, for the owner
`make run` prints (a superuser) and for a non-superuser Workspace Owner."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from functions.instances import instance_settings_decrypted
from functions.models import FunctionInstance
from tests.console_world import PASSWORD, build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NEW_SECRET = "sk_e2e_typed_secret_4242"


@pytest.fixture
def world(transactional_db):
    return build_world()


def login(page: Page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("#id_password")).to_have_count(0)


def shot(page: Page, name: str, take: bool, full_page: bool = False) -> None:
    if take:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


@pytest.mark.parametrize("role", ["superuser", "owner"])
def test_connect_insert_function_set_secret_enable_and_disconnect(world, page, live_server, role):
    login(page, live_server, world.users[role].username)
    base = f"{live_server.url}/admin/w/{world.workspace.slug}"
    take = role == "owner"
    page.goto(f"{base}/functions/{world.enrich.id}/connect/")
    page.get_by_role("button", name="Connect a destination").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label(re.compile("Spare hook")).check()
    shot(page, "connect-pick-destination.png", take)
    dialog.get_by_role("button", name="Connect to destination").click()

    expect(page.get_by_role("heading", name="Connect Enrich to Spare hook")).to_be_visible()
    expect(page.get_by_label("API Key")).to_have_attribute("type", "password")
    page.get_by_label("API Key").fill(NEW_SECRET)
    page.get_by_label("Region").fill("us")
    shot(page, "connect-settings.png", take)
    page.get_by_role("button", name="Save").click()

    # The destination's Functions tab: connected, disabled until enabled.
    switch = page.get_by_role("switch", name="Enable Function")
    expect(switch).to_have_attribute("aria-checked", "false")
    assert NEW_SECRET not in page.content()
    expect(page.get_by_text("••••••••••4242")).to_be_visible()
    switch.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Enable Enrich?")
    shot(page, "destination-functions-enable-dialog.png", take)
    dialog.get_by_role("button", name="Enable", exact=True).click()
    expect(page.get_by_role("switch", name="Enable Function")).to_have_attribute(
        "aria-checked", "true"
    )
    username = world.users[role].username
    expect(page.locator("[data-state]")).to_contain_text(f"Enabled by {username}")
    shot(page, "destination-functions.png", take)
    instance = FunctionInstance.objects.get(attached_destination=world.spare_hook)
    assert instance.enabled is True

    # Editing settings with the masked secret sent back keeps it.
    page.get_by_role("link", name="Edit settings").click()
    expect(page.get_by_label("API Key")).to_have_value("••••••••••4242")
    page.get_by_label("Region").fill("eu")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    instance.refresh_from_db()
    assert instance_settings_decrypted(instance) == {
        "apiKey": NEW_SECRET,
        "region": "eu",
        "verbose": False,
    }

    # Disconnect from the function's side.
    page.goto(f"{base}/functions/{world.enrich.id}/connect/")
    row = page.get_by_role("row").filter(has_text="Spare hook")
    row.get_by_role("button", name="Disconnect").click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("row").filter(has_text="Spare hook")).to_have_count(0)
    assert not FunctionInstance.objects.filter(pk=instance.pk).exists()


@pytest.mark.parametrize("role", ["superuser", "owner"])
def test_connect_destination_function_to_source_and_disconnect_on_destination(
    world, page, live_server, role
):
    login(page, live_server, world.users[role].username)
    base = f"{live_server.url}/admin/w/{world.workspace.slug}"
    page.goto(f"{base}/functions/{world.forward.id}/connect/")
    page.get_by_role("button", name="Connect a source").click()
    page.get_by_role("dialog").get_by_label(re.compile("Web")).check()
    page.get_by_role("dialog").get_by_role("button", name="Connect to source").click()
    page.get_by_label("Destination name").fill("Forward on web")
    page.get_by_label("Token").fill("tok_e2e_secret_7777")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Forward on web")).to_be_visible()
    assert "tok_e2e_secret_7777" not in page.content()
    page.get_by_role("button", name="Disconnect").click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("heading", name="Destinations")).to_be_visible()
    expect(page.get_by_text("Forward on web")).to_have_count(0)


def _add_member(page: Page, email: str, role_label: str, sources: list[str] = ()) -> str:
    page.get_by_label("Email").fill(email)
    form = page.locator("form").filter(has=page.get_by_label("Email"))
    form.get_by_label("Role").select_option(label=role_label)
    if sources:
        form.get_by_label("Chosen ones").check()
        for name in sources:
            form.get_by_role("group", name="Sources").get_by_label(name).check()
    form.get_by_role("button", name="Add member").click()
    return page.locator("[data-once-password]").inner_text()


@pytest.mark.parametrize("role", ["superuser", "owner"])
def test_members_add_people_who_log_in_with_their_role(world, page, browser, live_server, role):
    login(page, live_server, world.users[role].username)
    base = f"{live_server.url}/admin/w/{world.workspace.slug}"
    page.goto(f"{live_server.url}/admin/w/{world.workspace.slug}/catalog/")
    page.get_by_role("link", name="Members").click()
    reader_password = _add_member(page, "reader@acme.test", "Functions Read-only")
    expect(page.get_by_role("row").filter(has_text="reader@acme.test")).to_contain_text(
        "Functions Read-only"
    )
    admin_password = _add_member(page, "web-admin@acme.test", "Source Admin", sources=["Web"])
    expect(page.get_by_role("row").filter(has_text="web-admin@acme.test")).to_contain_text(
        "Source Admin (Web)"
    )
    shot(page, "members.png", role == "owner", full_page=True)
    page.reload()
    assert reader_password not in page.content() and admin_password not in page.content()

    # The reader sees the function and its connections, and nothing to change.
    reader = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    login(reader, live_server, "reader@acme.test", reader_password)
    expect(reader).to_have_url(re.compile("/catalog/$"))
    expect(reader.get_by_role("link", name="Members")).to_have_count(0)
    reader.goto(f"{base}/functions/{world.enrich.id}/connect/")
    expect(reader.get_by_role("row").filter(has_text="Web hook")).to_be_visible()
    expect(reader.get_by_role("button", name="Connect a destination")).to_have_count(0)
    expect(reader.get_by_role("button", name="Disconnect")).to_have_count(0)
    reader.goto(f"{base}/members/")
    expect(reader.get_by_role("alert")).to_contain_text(
        "Managing members needs the Workspace Owner"
    )
    reader.context.close()

    # The Source Admin of Web enables the insert function on Web hook, and sees no App.
    admin = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    login(admin, live_server, "web-admin@acme.test", admin_password)
    admin.goto(f"{base}/destinations/")
    expect(admin.get_by_role("link", name="App hook")).to_have_count(0)
    admin.get_by_role("link", name="Web hook").click()
    admin.get_by_role("link", name="Functions").last.click()
    admin.get_by_role("switch", name="Enable Function").click()
    admin.get_by_role("dialog").get_by_role("button", name="Enable", exact=True).click()
    expect(admin.locator("[data-state]")).to_contain_text("Enabled by web-admin@acme.test")
    admin.context.close()
    world.enrich_on_web.refresh_from_db()
    assert world.enrich_on_web.enabled is True


def test_members_create_and_revoke_token(world, page, live_server):
    login(page, live_server, world.users["owner"].username)
    page.goto(f"{live_server.url}/admin/w/{world.workspace.slug}/members/")
    form = page.locator("form").filter(has=page.get_by_label("Token name"))
    form.get_by_label("Token name").fill("deploy bot")
    form.get_by_label("Role").select_option(label="Functions Admin")
    form.get_by_role("button", name="Create token").click()
    raw = page.locator("[data-once-token]").inner_text()
    assert raw.startswith("fnt_")
    page.get_by_role("button", name="Revoke deploy bot").click()
    expect(page.get_by_role("row").filter(has_text="deploy bot")).to_contain_text("Revoked")
    assert raw not in page.content()
