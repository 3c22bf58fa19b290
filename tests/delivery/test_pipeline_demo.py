"""`make run`'s demo end to end on a real worker: seed_demo, an event on the demo source, the
insert function, and the demo webhook posting to this server's demo receiver."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from delivery.models import DeliveryStatus
from tests.delivery.helpers import post_batch, track, wait_final

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_demo_webhook_delivers_events_to_the_demo_receiver(client, live_server, worker):
    out = StringIO()
    call_command("seed_demo", "--receiver", f"{live_server.url}/demo/receiver", stdout=out)
    write_key = re.search(r"write key: (\S+)", out.getvalue()).group(1)
    assert post_batch(client, write_key, track(1, event="Demo Checked")).status_code == 200
    [row] = wait_final(1, destination__name="Demo webhook")
    assert row.status == DeliveryStatus.DELIVERED, row.error_message
    client.force_login(User.objects.get(username="owner@acme.test"))
    received = [
        entry
        for entry in client.get("/demo/receiver").json()["received"]
        if entry["body"].get("event") == "Demo Checked"
    ]
    assert [entry["body"]["properties"]["enrichedBy"] for entry in received] == ["acme-demo"]
    assert received[0]["headers"]["idempotency-key"] == row.message_id
