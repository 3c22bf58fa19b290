"""Fuzzing the Public API bodies (create function, source, destination, preview, insert
function instance, updates) with hostile raw bytes: never a 5xx, every 4xx in the
`{"errors": [{type, message, field}]}` envelope, and a refused request stores nothing."""

import json

import pytest
from django.db.models import Model
from hypothesis import event, given
from hypothesis import strategies as st

from delivery.models import Destination, Source
from functions.models import FunctionClass, FunctionInstance, FunctionVersion
from tests.api_client import api_for
from tests.factories import function_factory, source_factory, webhook_factory
from tests.fuzz import FUZZ, any_text, assert_envelope, bodies, good, mostly
from workspace.models import AuditEvent

pytestmark = pytest.mark.django_db

STORED: list[type[Model]] = [
    FunctionClass,
    FunctionVersion,
    FunctionInstance,
    Source,
    Destination,
    AuditEvent,
]
text = st.one_of(good("Enrich"), any_text.map(json.dumps))
CODE = good("async function onTrack(event) { return event }")
SETTING = good(
    [{"name": "tag", "label": "Tag", "description": "", "type": "STRING", "required": False}]
)
EVENT = good({"type": "track", "event": "Signed Up", "userId": "u1", "properties": {}})

FUNCTION_FIELDS = {
    "code": CODE,
    "displayName": text,
    "description": text,
    "logoUrl": good("https://example.com/logo.png"),
    "resourceType": st.sampled_from(['"INSERT_DESTINATION"', '"DESTINATION"', '"\\ud800"']),
    "settings": SETTING,
}
PREVIEW_FIELDS = {
    "code": CODE,
    "resourceType": good("INSERT_DESTINATION"),
    "event": mostly(EVENT),
    "settings": good({"tag": "x"}),
}


@pytest.fixture
def world(workspace, settings):
    settings.FUNCTIONS_TIMEOUT_MS = 1000
    function = function_factory(workspace)
    source = source_factory(workspace)
    hook = webhook_factory(source)
    api = api_for(workspace, "owner")
    return {"api": api, "function": function, "source": source, "hook": hook}


def _counts() -> list[int]:
    return [model.objects.count() for model in STORED]


def _send(world, method: str, path: str, raw: bytes) -> None:
    before = _counts()
    response = world["api"].call(method, path, raw=raw)
    event(f"{method} {path.split('/')[0]}: HTTP {response.status_code}")
    assert_envelope(response, allowed={"type", "message", "field"})
    if response.status_code >= 400:
        assert _counts() == before


@FUZZ
@given(raw=bodies(FUNCTION_FIELDS))
def test_api_fuzz_create_function(world, raw):
    _send(world, "POST", "functions", raw)


@FUZZ
@given(raw=bodies({"name": text, "enabled": good(True)}))
def test_api_fuzz_create_source(world, raw):
    _send(world, "POST", "sources", raw)


@FUZZ
@given(data=st.data())
def test_api_fuzz_create_destination(world, data):
    settings = st.one_of(
        good({"url": "https://hooks.example/in", "headers": {"X-A": "1"}}),
        good({"url": "https://hooks.example/in", "headers": {"X-A": "1\r\nX-B: 2"}}),
    )
    fields = {
        "sourceId": good(world["source"].id),
        "metadataId": good("webhook"),
        "name": text,
        "enabled": good(True),
        "settings": mostly(settings),
    }
    _send(world, "POST", "destinations", data.draw(bodies(fields)))


@FUZZ
@given(raw=bodies(PREVIEW_FIELDS))
def test_api_fuzz_preview(world, raw):
    _send(world, "POST", "functions/preview", raw)


@FUZZ
@given(data=st.data())
def test_api_fuzz_create_insert_instance(world, data):
    fields = {
        "functionId": good(world["function"].id),
        "integrationId": good(world["hook"].id),
        "name": text,
        "enabled": good(False),
        "settings": good({}),
    }
    _send(world, "POST", "insert-function-instances", data.draw(bodies(fields)))


@FUZZ
@given(raw=bodies({k: v for k, v in FUNCTION_FIELDS.items() if k != "resourceType"}))
def test_api_fuzz_update_function(world, raw):
    _send(world, "PATCH", f"functions/{world['function'].api_id}", raw)
