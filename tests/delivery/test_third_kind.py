"""A third destination kind, added the way the README's "Destination kinds" says: a `Kind`
(`SingleEntryKind`) subclass and its line in the registry, nothing else. This one keeps what
it is sent in a list (`INBOXES`), with a `label` and a secret `token`. It shows up in the
catalog, is made through the Public API and the operators' admin form, shows its token
masked everywhere, and gets its events through the real path: the tracking API, the outbox,
the fan-out, the claim, the attempt and the recorded outcome."""

from typing import Any

import pytest
from django import forms
from django.urls import reverse

from delivery import tasks
from delivery.catalog import destination_entry, logos, option
from delivery.ingest import outbox
from delivery.kinds.base import SingleEntryKind
from delivery.kinds.registry import KINDS
from delivery.kinds.webhook import Settled
from delivery.ledger.outcomes import Outcome
from delivery.models import DeliveryStatus, Destination, EventDelivery
from functions.schema import is_masked, mask
from tests.api_client import error_of
from tests.delivery.helpers import post_batch, track
from tests.factories import UserFactory, source_factory
from workspace.audit import REDACTED
from workspace.errors import InvalidInput
from workspace.infra.secrets import decrypt_value, encrypt_value
from workspace.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKEN = "inbox-token-5678"
INBOXES: dict[str, list[dict[str, Any]]] = {}


def _token(destination: Destination) -> str:
    if not destination.kind_secrets_encrypted:
        return ""
    token: str = decrypt_value(destination.kind_secrets_encrypted)
    return token


class InboxKind(SingleEntryKind):
    name = "inbox"
    label = "Inbox"
    secret_settings = ("token",)

    def settings_checked(
        self, settings: Any, destination: Destination | None = None
    ) -> dict[str, Any]:
        if not isinstance(settings, dict) or set(settings) - {"label", "token"}:
            raise InvalidInput("settings are {label, token}", field="settings")
        if destination is not None:
            token = settings.get("token")
            kept = token is None or is_masked(token)
            settings = {**self.settings_stored(destination), **settings}
            settings["token"] = _token(destination) if kept else token
        if not isinstance(settings.get("label"), str) or not settings["label"]:
            raise InvalidInput("settings.label is required", field="settings.label")
        if not isinstance(settings.get("token"), str) or not settings["token"]:
            raise InvalidInput("settings.token is required", field="settings.token")
        return {"label": settings["label"], "token": settings["token"]}

    def settings_store(self, destination: Destination, settings: dict[str, Any]) -> None:
        destination.kind_settings = {"label": settings["label"]}
        destination.kind_secrets_encrypted = encrypt_value(settings["token"])

    def settings_stored(self, destination: Destination) -> dict[str, Any]:
        return {"label": destination.kind_settings.get("label"), "token": _token(destination)}

    def settings_masked(self, destination: Destination) -> dict[str, Any]:
        return {"label": destination.kind_settings.get("label"), "token": mask(_token(destination))}

    def snapshot(self, destination: Destination) -> dict[str, Any]:
        return {"label": destination.kind_settings.get("label"), "token": REDACTED}

    def entry(self) -> dict[str, Any]:
        return destination_entry(
            id=self.name,
            kind=self.name,
            name=self.label,
            slug=self.name,
            description="Keeps every event in a list.",
            logos=logos("/static/catalog/webhook.svg"),
            categories=["Raw Data"],
            options=[
                option("label", "string", "Label", "Which inbox.", True),
                option("token", "string", "Token", "A secret.", True),
            ],
        )

    def admin_fields(self, destination: Destination | None) -> dict[str, forms.Field]:
        return {
            "inbox_label": forms.CharField(required=False),
            "inbox_token": forms.CharField(required=False, help_text="Empty keeps the stored one."),
        }

    def admin_settings(
        self, data: dict[str, Any], destination: Destination | None
    ) -> tuple[str, Any]:
        settings = {"label": data.get("inbox_label"), "token": data.get("inbox_token") or None}
        if destination is None:
            return self.name, settings
        return self.name, {k: v for k, v in settings.items() if v}

    def send(
        self, destination: Destination, events: list[dict[str, Any]], settled: Settled | None
    ) -> list[Outcome]:
        INBOXES.setdefault(destination.pk, []).extend(events)
        return [Outcome(DeliveryStatus.DELIVERED) for _ in events]


@pytest.fixture(autouse=True)
def inbox_kind(monkeypatch):
    """Registered as registry.py lists a real kind, for this module's tests only."""
    monkeypatch.setitem(KINDS, InboxKind.name, InboxKind())
    INBOXES.clear()


def _create(api, source, **settings) -> Any:
    return api.post(
        "destinations",
        {"sourceId": source.id, "metadataId": "inbox", "settings": settings},
    )


def test_third_kind_is_in_the_destinations_catalog(api, workspace):
    entries = api.get("catalog/destinations").json()["data"]["destinationsCatalog"]
    assert [e["id"] for e in entries] == ["webhook", "inbox"]
    entry = api.get("catalog/destinations/inbox").json()["data"]["destinationMetadata"]
    assert (entry["kind"], entry["name"]) == ("inbox", "Inbox")
    assert [o["name"] for o in entry["options"]] == ["label", "token"]


def test_third_kind_created_through_the_api_shows_its_token_masked(api, workspace):
    source = source_factory(workspace)
    response = _create(api, source, label="orders", token=TOKEN)
    assert response.status_code == 200, response.json()
    shown = response.json()["data"]["destination"]
    assert shown["name"] == "Inbox" and shown["metadata"]["id"] == "inbox"
    assert shown["settings"] == {"label": "orders", "token": mask(TOKEN)}
    destination = Destination.objects.get(pk=shown["id"])
    assert destination.kind == "inbox" and _token(destination) == TOKEN
    assert TOKEN not in destination.kind_secrets_encrypted
    created = AuditEvent.objects.get(action="Integration Created", resource_id=destination.pk)
    assert created.diff["after"]["token"] == REDACTED and TOKEN not in str(created.diff)
    listed = api.get(f"destinations?sourceId={source.id}").json()["data"]["destinations"]
    assert listed[0]["settings"]["token"] == mask(TOKEN)

    update = api.patch(f"destinations/{destination.pk}", {"settings": shown["settings"]})
    assert update.status_code == 200, update.json()
    destination.refresh_from_db()
    assert _token(destination) == TOKEN
    changed = AuditEvent.objects.get(action="Integration Updated", resource_id=destination.pk)
    assert TOKEN not in str(changed.diff)


def test_third_kind_settings_are_checked_by_the_kind(api, workspace):
    response = _create(api, source_factory(workspace), label="orders")
    assert response.status_code == 422
    assert error_of(response)["field"] == "settings.token"
    assert not Destination.objects.exists()


def test_third_kind_created_and_changed_through_the_admin_form(client, workspace):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    source = source_factory(workspace)
    add = reverse("admin:delivery_destination_add")
    assert 'name="inbox_token"' in client.get(add).content.decode()
    form = {
        "source": source.pk,
        "name": "ops inbox",
        "kind": "inbox",
        "enabled": "on",
        "max_attempts": 9,
        "inbox_label": "ops",
        "inbox_token": TOKEN,
        "filters-TOTAL_FORMS": "0",
        "filters-INITIAL_FORMS": "0",
    }
    response = client.post(add, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    destination = Destination.objects.get(name="ops inbox")
    assert (destination.kind, _token(destination)) == ("inbox", TOKEN)

    change = reverse("admin:delivery_destination_change", args=[destination.pk])
    page = client.get(change).content.decode()
    assert "Inbox" in page and TOKEN not in page
    form.update(inbox_label="ops-2", inbox_token="")
    assert client.post(change, form).status_code == 302
    destination.refresh_from_db()
    assert destination.kind_settings == {"label": "ops-2"} and _token(destination) == TOKEN


def test_third_kind_console_page_shows_settings_masked(client, workspace):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    destination = Destination(
        workspace=workspace, source=source_factory(workspace), name="box", kind="inbox"
    )
    InboxKind().settings_store(destination, {"label": "ops", "token": TOKEN})
    destination.save()
    page = client.get(f"/admin/w/{workspace.slug}/destinations/{destination.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Inbox" in text and mask(TOKEN) in text and TOKEN not in text


def test_third_kind_receives_events_through_the_pipeline(api, client, workspace, monkeypatch):
    source = source_factory(workspace)
    created = _create(api, source, label="orders", token=TOKEN).json()["data"]["destination"]
    published: list[str] = []
    monkeypatch.setattr(outbox, "task_publish", lambda name, *args, **_: published.extend(args))
    outbox._ROUTING.clear()

    assert post_batch(client, source.write_key, track(3)).status_code == 200
    [entry_id] = published
    # What a worker runs for the published task: fan out, claim, attempt, record.
    assert tasks.process_outbox_entry(entry_id) == 3

    received = INBOXES[created["id"]]
    assert [event["userId"] for event in received] == ["u0", "u1", "u2"]
    rows = EventDelivery.objects.filter(destination_id=created["id"])
    assert {row.status for row in rows} == {DeliveryStatus.DELIVERED}
    assert {row.message_id for row in rows} == {event["messageId"] for event in received}
