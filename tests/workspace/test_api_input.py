"""Bad input to the Public API: every case answers a 4xx in the documented envelope
(`{"errors": [{type, message, field}]}`), never a 500, and changes nothing."""

import json

import pytest

from functions.models import FunctionClass
from tests.api_client import audit_count, error_of
from tests.factories import function_factory, source_factory, webhook_factory
from workspace.json_input import MAX_JSON_DEPTH, json_depth

pytestmark = pytest.mark.django_db

NEW_FUNCTION = {
    "code": "async function onTrack(e) { return e }",
    "displayName": "Enrich",
    "resourceType": "INSERT_DESTINATION",
}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.fixture
def objects(api, workspace):
    """An id for every path parameter of the endpoints that take a body."""
    function = function_factory(workspace)
    source = source_factory(workspace)
    hook = webhook_factory(source)
    created = api.post(
        "insert-function-instances",
        {"functionId": function.id, "integrationId": hook.id, "name": "i", "settings": {}},
    )
    assert created.status_code == 200, created.json()
    return {
        "function": function.api_id,
        "source": source.id,
        "destination": hook.id,
        "instance": created.json()["data"]["insertFunctionInstance"]["id"],
    }


BODY_ENDPOINTS = [
    ("POST", "functions"),
    ("PATCH", "functions/{function}"),
    ("POST", "functions/{function}/versions"),
    ("POST", "functions/{function}/deploy"),
    ("POST", "functions/{function}/preview"),
    ("POST", "functions/preview"),
    ("POST", "insert-function-instances"),
    ("PATCH", "insert-function-instances/{instance}"),
    ("POST", "sources"),
    ("PATCH", "sources/{source}"),
    ("POST", "destinations"),
    ("PATCH", "destinations/{destination}"),
    ("POST", "destinations/{destination}/event-deliveries/replay"),
]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_body_nested_3000_deep_is_400_on_every_endpoint(api, objects, method, path):
    before = audit_count()
    response = api.call(method, path.format(**objects), raw=_nested(3000))
    assert response.status_code == 400
    assert error_of(response) == {
        "type": "bad-request",
        "message": f"The body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels",
        "field": "body",
    }
    assert audit_count() == before


def test_body_nested_to_the_limit_still_parses(api):
    # The preview's event is free-form; the limit counts from the body itself.
    event = {"type": "track", "event": "x", "properties": {}}
    node = event["properties"]
    for _ in range(MAX_JSON_DEPTH - 3):
        node["a"] = {}
        node = node["a"]
    body = {"code": NEW_FUNCTION["code"], "resourceType": "INSERT_DESTINATION", "event": event}
    assert json_depth(json.dumps(body)) == MAX_JSON_DEPTH
    response = api.post("functions/preview", {**body, "settings": {}})
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "success"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"displayName": NaN}', "NaN is not valid JSON"),
        (b'{"displayName": Infinity}', "Infinity is not valid JSON"),
        (b'{"displayName": -Infinity}', "-Infinity is not valid JSON"),
        (b'{"displayName": 1e400}', "The number 1e400 is out of range"),
        (b'{"displayName": "a\\u0000b"}', "The body contains a NUL character (\\u0000)"),
        (b'{"displayName": "\xff"}', "The body is not valid UTF-8"),
    ],
)
def test_unstorable_json_values_are_400(api, raw, message):
    response = api.post("functions", raw=raw)
    assert response.status_code == 400
    assert error_of(response)["message"].startswith(message)
    assert error_of(response)["field"] == "body"
    assert not FunctionClass.objects.exists()


def test_lone_surrogate_in_a_body_is_refused_not_replaced(api):
    raw = json.dumps({**NEW_FUNCTION, "resourceType": "\ud800"}).encode()
    assert b"\\ud800" in raw
    response = api.post("functions", raw=raw)
    assert response.status_code == 400
    assert error_of(response)["type"] == "bad-request"
    assert "lone UTF-16 surrogate (\\ud800)" in error_of(response)["message"]
    assert not FunctionClass.objects.exists()


def test_surrogate_pair_in_a_body_is_kept(api):
    response = api.post("functions", {**NEW_FUNCTION, "displayName": "Rocket \U0001f680"})
    assert response.status_code == 200
    assert FunctionClass.objects.get().display_name == "Rocket \U0001f680"


def test_surrogate_bytes_in_a_query_parameter_are_422_not_500(api):
    # A query string cannot carry a lone surrogate: its UTF-8 form (ED A0 80) is invalid
    # and Django decodes it as replacement characters.
    response = api.client.get("/api/functions?resourceType=%ED%A0%80")
    assert response.status_code == 422
    assert error_of(response)["field"] == "resourceType"
    assert "\ufffd" in error_of(response)["message"]


@pytest.mark.parametrize(
    "cursor",
    [
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==",  # 99...9 (22 digits): past PostgreSQL's bigint
        "LTE=",  # -1
        "MWUz",  # 1e3
        "IDUg",  # " 5 "
        "2aM=",  # Arabic-Indic 3
        "not base64!",
    ],
)
def test_forged_cursor_is_422(api, cursor):
    response = api.get("functions", resourceType="DESTINATION", **{"pagination[cursor]": cursor})
    assert response.status_code == 422
    assert error_of(response) == {
        "type": "ValidationFailure",
        "message": "pagination.cursor is not a cursor this API gave out",
        "field": "pagination.cursor",
    }


def test_cursor_past_the_end_is_an_empty_page(api, workspace):
    function_factory(workspace)
    cursor = "OTk5OTk5OTk5OTk5OTk5OTk5"  # 18 nines
    response = api.get(
        "functions", resourceType="INSERT_DESTINATION", **{"pagination.cursor": cursor}
    )
    assert response.status_code == 200
    assert response.json()["data"]["functions"] == []


def test_audit_events_resource_type_with_surrogate_bytes_is_an_empty_list(api):
    response = api.client.get("/api/audit-events?resourceType=%ED%A0%80")
    assert response.status_code == 200
    assert response.json()["data"]["events"] == []


def test_preview_output_with_a_lone_surrogate_answers_escaped(api):
    # JavaScript strings may hold lone surrogates; the answer escapes them (`\ud800`).
    code = 'async function onTrack(e) { e.properties.x = "s\\ud800"; return e }'
    body = {"code": code, "resourceType": "INSERT_DESTINATION", "settings": {}}
    event = {"type": "track", "event": "x", "properties": {}}
    response = api.post("functions/preview", {**body, "event": event})
    assert response.status_code == 200
    assert b'"x":"s\\ud800"' in response.content
    assert response.json()["data"]["output"]["properties"]["x"] == "s\ud800"
