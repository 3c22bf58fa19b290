"""Webhook URLs treated like secrets: masked userinfo and query values in the API, the admin,
the audit trail and delivery records; a masked URL sent back keeps the stored one."""

import pytest
from django.urls import reverse

from delivery.kinds.url_masking import masked_url, url_unmasked
from delivery.kinds.webhook import webhook_send
from delivery.kinds.webhook_destination import webhook_url
from delivery.models import Destination
from delivery.services import destination_create, destination_update
from tests.api_client import error_of
from tests.factories import UserFactory, source_factory
from workspace.audit import SYSTEM
from workspace.errors import InvalidInput
from workspace.models import AuditEvent

TOKEN = "tok-9f8e7d6c5b4a"
SECRET_URL = f"https://bot:{TOKEN}@hooks.example/in?token={TOKEN}&team=core"
SHOWN = "https://••••@hooks.example/in?token=••••••&team=••••••"


def webhook_factory(source, url, headers=None):
    return destination_create(
        kind="webhook",
        workspace=source.workspace,
        actor=SYSTEM,
        source=source,
        name="hook",
        settings={"url": url, "headers": headers or {}},
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SECRET_URL, SHOWN),
        ("https://hooks.example/in", "https://hooks.example/in"),
        ("http://127.0.0.1:8000/demo?k=v#frag", "http://127.0.0.1:8000/demo?k=••••••#••••••"),
        ("https://hooks.example/in?abc123", "https://hooks.example/in?••••••"),
        ("https://:pw@hooks.example/", "https://••••@hooks.example/"),
        ("https://[::1/", "••••••"),
    ],
)
def test_masked_url_hides_userinfo_query_and_fragment(url, shown):
    assert masked_url(url) == shown


def test_url_unmasked_keeps_the_stored_url_for_its_masked_form():
    assert url_unmasked(SHOWN, SECRET_URL) == SECRET_URL
    assert url_unmasked("https://hooks.example/v2", SECRET_URL) == "https://hooks.example/v2"
    with pytest.raises(InvalidInput) as error:
        url_unmasked("https://hooks.example/v2?token=••••••", SECRET_URL)
    assert error.value.field == "settings.url"


def test_url_masking_api_shows_the_url_masked_and_keeps_it_on_update(api, workspace):
    hook = webhook_factory(source_factory(workspace), SECRET_URL)
    shown = api.get(f"destinations/{hook.id}").json()["data"]["destination"]["settings"]
    assert shown["url"] == SHOWN
    listed = api.get("destinations").content.decode()
    assert TOKEN not in listed
    update = api.patch(f"destinations/{hook.id}", {"name": "renamed", "settings": shown})
    assert update.status_code == 200, update.json()
    assert webhook_url(Destination.objects.get()) == SECRET_URL


def test_url_masking_api_refuses_a_masked_url_that_is_not_the_stored_one(api, workspace):
    hook = webhook_factory(source_factory(workspace), SECRET_URL)
    response = api.patch(
        f"destinations/{hook.id}", {"settings": {"url": SHOWN.replace("/in", "/v2")}}
    )
    assert response.status_code == 422 and error_of(response)["field"] == "settings.url"
    assert webhook_url(Destination.objects.get()) == SECRET_URL


def test_url_masking_audit_says_changed_never_the_values(workspace, actor):
    hook = webhook_factory(source_factory(workspace), SECRET_URL, headers={"X-Key": "k-1"})
    new_url = SECRET_URL.replace(TOKEN, "tok-rotated-0001")
    destination_update(
        destination=hook, actor=actor, settings={"url": new_url, "headers": {"X-Key": "k-2"}}
    )
    created, updated = AuditEvent.objects.filter(resource_id=hook.id).order_by("id")
    assert created.diff["after"]["url"] == SHOWN
    assert updated.diff == {"url": "changed", "headers": "changed"}
    assert TOKEN not in str(created.diff) and "tok-rotated" not in str(updated.diff)


def test_url_masking_audit_unchanged_url_is_not_in_the_diff(workspace, actor):
    hook = webhook_factory(source_factory(workspace), SECRET_URL)
    destination_update(destination=hook, actor=actor, name="renamed", settings={"url": SHOWN})
    assert AuditEvent.objects.order_by("-id").first().diff == {
        "name": {"from": "hook", "to": "renamed"}
    }


def test_url_masking_admin_pages_show_the_url_masked(client, operator, workspace):
    hook = webhook_factory(source_factory(workspace), SECRET_URL)
    client.force_login(operator)  # the stock admin is the operators' tool
    listing = client.get(reverse("admin:delivery_destination_changelist")).content.decode()
    change = reverse("admin:delivery_destination_change", args=[hook.pk])
    page = client.get(change).content.decode()
    assert TOKEN not in listing and TOKEN not in page
    assert SHOWN.replace("&", "&amp;") in page
    # A search by URL text would reveal the token character by character.
    found = client.get(reverse("admin:delivery_destination_changelist"), {"q": "tok-9f"})
    assert "0 destinations" in found.content.decode()


def test_url_masking_admin_save_with_the_masked_url_keeps_the_stored_one(
    client, operator, workspace
):
    hook = webhook_factory(source_factory(workspace), SECRET_URL)
    client.force_login(operator)  # the stock admin is the operators' tool
    change = reverse("admin:delivery_destination_change", args=[hook.pk])
    response = client.post(
        change,
        {
            "name": "renamed",
            "enabled": "on",
            "max_attempts": 9,
            "webhook_url": SHOWN,
            "webhook_headers": "",
            "insert_settings": "{}",
            "filters-TOTAL_FORMS": "0",
            "filters-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Destination.objects.get()
    assert (stored.name, webhook_url(stored)) == ("renamed", SECRET_URL)


def test_url_masking_delivery_records_keep_the_url_masked(settings, receiver):
    """The request record kept with an event that did not get through (a delivered one keeps
    none) has the URL masked."""
    settings.FUNCTIONS_ALLOW_PRIVATE_FETCH = True
    url = receiver.url.replace("http://", f"http://bot:{TOKEN}@") + f"/ok?token={TOKEN}"
    [delivered] = webhook_send(url=url, headers={}, events=[{"type": "track", "messageId": "m1"}])
    assert delivered.status == "delivered" and delivered.requests == []

    def refuse(handler, body):
        handler.send_response(400)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    receiver.on_request = refuse
    [refused] = webhook_send(url=url, headers={}, events=[{"type": "track", "messageId": "m2"}])
    assert refused.status == "message_rejected"
    assert TOKEN not in str(refused.requests) and "token=••••••" in refused.requests[0]["url"]


@pytest.fixture
def operator(db):
    return UserFactory(is_superuser=True, is_staff=True)
