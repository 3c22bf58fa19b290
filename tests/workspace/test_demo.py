"""The demo webhook receiver answers the demo's own webhook and superusers, nobody else."""

from io import StringIO

import pytest
from django.core.management import call_command

from delivery.kinds.webhook_destination import webhook_headers, webhook_url
from delivery.models import Destination
from delivery.services import destination_update
from tests.factories import UserFactory
from workspace.audit import SYSTEM
from workspace.demo import receiver_token_create

EVENT = {"type": "track", "event": "Signed Up", "userId": "u1"}


def _post(client, authorization=None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return client.post("/demo/receiver", EVENT, content_type="application/json", **headers)


def _seed() -> Destination:
    call_command("seed_demo", stdout=StringIO())
    return Destination.objects.get(workspace__slug="acme", name="Demo webhook")


def test_demo_receiver_refuses_a_post_without_the_demo_token(client, db):
    assert _post(client).status_code == 404  # no token generated yet
    receiver_token_create()
    assert _post(client).status_code == 404
    assert _post(client, "Bearer guessed").status_code == 404


def test_demo_receiver_takes_the_demo_webhooks_post(client, db):
    webhook = _seed()
    authorization = webhook_headers(webhook)["Authorization"]
    assert authorization == f"Bearer {receiver_token_create()}"
    assert _post(client, authorization).json() == {"ok": True}


def test_demo_receiver_list_needs_a_superuser(client, db):
    response = client.get("/demo/receiver")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/demo/receiver").status_code == 404
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "received" in client.get("/demo/receiver").json()


@pytest.mark.parametrize("stale", ["http://127.0.0.1:8000/demo/receiver", "other-port"])
def test_seed_demo_binds_an_earlier_demo_webhook_to_the_receiver(db, stale):
    webhook = _seed()
    url = "http://127.0.0.1:9000/demo/receiver" if stale == "other-port" else stale
    destination_update(
        destination=webhook,
        actor=SYSTEM,
        settings={"url": url, "headers": {"Authorization": "Bearer demo-secret-token"}},
    )
    webhook = _seed()
    assert webhook_url(webhook) == "http://127.0.0.1:8000/demo/receiver"
    assert webhook_headers(webhook) == {"Authorization": f"Bearer {receiver_token_create()}"}


def test_seed_demo_leaves_a_demo_webhook_sent_elsewhere(db):
    webhook = _seed()
    destination_update(
        destination=webhook, actor=SYSTEM, settings={"url": "https://hooks.example/in"}
    )
    assert webhook_url(_seed()) == "https://hooks.example/in"
