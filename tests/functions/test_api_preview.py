"""Test runs through the API: the production runtime, test settings checked and redacted."""

from functions.models import FunctionInstance
from tests.api_client import api_for, error_of
from tests.factories import function_factory

LOGGING = (
    "async function onTrack(event, settings) {\n"
    "  console.log('key', settings.apiKey)\n"
    "  event.properties.seen = true\n  return event\n}\n"
)
SCHEMA = [
    {
        "name": "apiKey",
        "label": "k",
        "description": "",
        "type": "STRING",
        "required": True,
        "sensitive": True,
    }
]
EVENT = {"type": "track", "event": "Signed Up", "properties": {}}


def test_preview_saved_function_runs_and_redacts_secrets(api, workspace):
    fn = function_factory(workspace, code=LOGGING, settings_schema=SCHEMA)
    response = api.post(
        f"functions/{fn.api_id}/preview",
        {"event": EVENT, "settings": {"apiKey": "sk_test_secret_value"}},
    )
    assert response.status_code == 200, response.json()
    result = response.json()["data"]
    assert result["status"] == "success", result
    assert result["output"]["properties"]["seen"] is True
    assert "sk_test_secret_value" not in response.content.decode()
    assert not FunctionInstance.objects.exists()


def test_preview_invalid_settings_does_not_run(api, workspace):
    fn = function_factory(workspace, code=LOGGING, settings_schema=SCHEMA)
    result = api.post(f"functions/{fn.api_id}/preview", {"event": EVENT, "settings": {}}).json()[
        "data"
    ]
    assert result["status"] == "invalid_settings" and result["logs"] == []


def test_preview_batch_answers_results(api, workspace):
    fn = function_factory(workspace, code=LOGGING, settings_schema=SCHEMA)
    result = api.post(
        f"functions/{fn.api_id}/preview", {"events": [EVENT, EVENT], "settings": {"apiKey": "k"}}
    ).json()["data"]
    assert [r["status"] for r in result["results"]] == ["success", "success"]


def test_preview_unsaved_code(api):
    result = api.post(
        "functions/preview",
        {
            "code": "async function onTrack() { throw new Error('boom') }",
            "resourceType": "DESTINATION",
            "event": EVENT,
        },
    ).json()["data"]
    assert result["status"] == "bad_request" and "boom" in result["error"]["message"]


def test_preview_needs_exactly_one_of_event_and_events(api, workspace):
    fn = function_factory(workspace)
    response = api.post(f"functions/{fn.api_id}/preview", {"settings": {}})
    assert response.status_code == 422 and error_of(response)["field"] == "event"


def test_readonly_may_run_neither_saved_nor_unsaved_code(workspace):
    fn = function_factory(workspace)
    readonly = api_for(workspace, "functions_readonly")
    saved = readonly.post(f"functions/{fn.api_id}/preview", {"event": EVENT})
    assert saved.status_code == 403 and error_of(saved)["type"] == "Forbidden"
    unsaved = readonly.post(f"functions/{fn.api_id}/preview", {"event": EVENT, "code": "x"})
    assert unsaved.status_code == 403
    assert (
        readonly.post(
            "functions/preview", {"code": "x", "resourceType": "DESTINATION", "event": EVENT}
        ).status_code
        == 403
    )


BIG = (
    "async function onTrack(event, settings) {\n"
    "  console.log('s=' + settings.apiKey + ' ' + 'y'.repeat(20000))\n"
    "  await fetch('http://example.invalid/' + 'p'.repeat(20000)).catch(() => null)\n"
    "  event.properties.blob = 'x'.repeat(3 * 1024 * 1024)\n  return event\n}\n"
)


def test_preview_output_over_1_mb_is_left_out_with_a_clear_error(api, workspace):
    fn = function_factory(workspace, code=BIG, settings_schema=SCHEMA)
    response = api.post(
        f"functions/{fn.api_id}/preview",
        {"event": EVENT, "settings": {"apiKey": "sk_test_secret_value"}, "code": BIG},
    )
    assert response.status_code == 200, response.json()
    assert len(response.content) < 100_000
    result = response.json()["data"]
    assert result["status"] == "success" and result["output"] is None
    assert result["error"]["type"] == "OutputTooLarge"
    assert "3.0 MB" in result["error"]["message"] and "1 MB" in result["error"]["message"]
    assert result["logs"][0].startswith("s=[redacted] yyy")
    assert all(len(line) < 4200 for line in result["logs"])
    assert len(result["requests"][0]["url"]) < 5000
    assert "sk_test_secret_value" not in response.content.decode()


def test_preview_batch_caps_each_output_alone(api, workspace):
    code = (
        "async function onTrack(event) {\n"
        "  if (event.properties.big) event.properties.blob = 'x'.repeat(2 * 1024 * 1024)\n"
        "  return event\n}\n"
    )
    fn = function_factory(workspace, code=code)
    big = {**EVENT, "properties": {"big": True}}
    result = api.post(f"functions/{fn.api_id}/preview", {"events": [EVENT, big]}).json()["data"]
    first, second = result["results"]
    assert first["status"] == "success" and first["output"]["properties"] == {}
    assert second["output"] is None and second["error"]["type"] == "OutputTooLarge"
