"""Reading rows that hold a lone surrogate: the embedded SQLite database keeps one inside
JSON text (as a `\\ud800` escape) where PostgreSQL refuses it, and rows written before
ingest refused them may exist. Read back, it is U+FFFD, and every page showing the row
still answers."""

import json
import uuid

import pytest
from django.utils import timezone

from delivery.models import EventDelivery, OutboxEntry
from tests.factories import UserFactory, source_factory, webhook_factory
from workspace.stored_json import (
    StoredJSONDecoder,
    stored_json_loads,
    stored_json_text,
    without_lone_surrogates,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(workspace, monkeypatch):
    """A row whose stored JSON text holds `"s\\ud800"` where it says `"s-placeholder"`."""
    hook = webhook_factory(source_factory(workspace))
    row = EventDelivery.objects.create(
        workspace=workspace,
        destination=hook,
        message_id="m1",
        event_type="track",
        event={"type": "track", "event": "x", "userId": "s-placeholder"},
        status="bad_request",
        logs=[{"level": "log", "message": "s-placeholder"}],
        received_at=timezone.now(),
    )
    for name in ("event", "logs"):
        field = EventDelivery._meta.get_field(name)
        real = field.from_db_value

        def from_db_value(value, expression, connection, real=real):
            text = value.replace("s-placeholder", "s\\ud800")
            return real(text, expression, connection)

        monkeypatch.setattr(field, "from_db_value", from_db_value)
    return row


def test_stored_lone_surrogate_reads_back_as_replacement_character(delivery):
    row = EventDelivery.objects.get(pk=delivery.pk)
    assert row.event["userId"] == "s\ufffd"
    assert row.logs == [{"level": "log", "message": "s\ufffd"}]


def test_event_deliveries_api_page_with_a_stored_lone_surrogate_answers(api, delivery):
    response = api.get(f"destinations/{delivery.destination_id}/event-deliveries")
    assert response.status_code == 200
    [row] = response.json()["data"]["eventDeliveries"]
    assert row["event"]["userId"] == "s\ufffd"
    assert row["logs"] == [{"level": "log", "message": "s\ufffd"}]


def test_event_deliveries_admin_pages_with_a_stored_lone_surrogate_answer(client, delivery):
    # The stock admin is the operators' tool.
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    listing = client.get("/admin/delivery/eventdelivery/")
    assert listing.status_code == 200
    assert b"m1" in listing.content
    page = client.get(f"/admin/delivery/eventdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert "s\ufffd" in page.content.decode()


def test_decoder_keeps_surrogate_pairs_and_escaped_backslashes():
    text = json.dumps({"a": "\U0001f680", "b": "\\ud800", "\udc00k": ["\ud800"]})
    assert json.loads(text, cls=StoredJSONDecoder) == {
        "a": "\U0001f680",
        "b": "\\ud800",
        "\ufffdk": ["\ufffd"],
    }


def test_outbox_events_decode_the_same_way():
    field = OutboxEntry._meta.get_field("events")
    # Stored as text (migration 0017), read as the decoder reads it.
    assert field.from_db_value('["a\\ud800"]', None, None) == ["a\ufffd"]
    assert without_lone_surrogates([{"x": 1.5, "y": None}]) == [{"x": 1.5, "y": None}]


@pytest.mark.parametrize(
    "events",
    [
        [{"type": "track", "userId": "u", "properties": {"t": "漢😀", "n": 1.5, "none": None}}],
        [{"type": "track", "userId": "u", "properties": {"big": 2**70}}],  # json writes it
    ],
)
def test_stored_json_is_written_by_orjson_or_json_and_read_back_the_same(workspace, events):
    source = source_factory(workspace)
    now = timezone.now()
    entry = OutboxEntry.objects.create(
        id=uuid.uuid4(), source=source, events=events, created_at=now, dispatched_at=now
    )
    assert OutboxEntry.objects.get(pk=entry.pk).events == events


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**70, "low": -(2**63) - 1, "top": 2**64 - 1, "n": 1.5},
        {"id": "1234567890123456789012", "n": 7},  # a long digit run inside a string
        [{"t": "漢😀\u2028", "none": None, "f": 1e300, "z": -0.0}],
    ],
)
def test_stored_json_text_reads_back_what_was_written(value):
    """The outbox's text is read by orjson where that is exact and by json where it is not
    (orjson turns an integer past 64 bits into a float without an error)."""
    text = stored_json_text(value)
    assert stored_json_loads(text) == value == stored_json_loads(text.encode())
    assert json.dumps(stored_json_loads(text)) == json.dumps(value)


def test_stored_json_text_reads_a_lone_surrogate_as_the_decoder_does():
    assert stored_json_loads('{"s": "a\\ud800"}') == {"s": "a\ufffd"}
