# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
from __future__ import annotations

import pytest

from tests.functions.runtime.conftest import run

# The seeds' error examples (destination functions docs).
SEED_ERRORS = """
async function onGroup(event) {
  if (!event.traits.company) {
    throw new InvalidEventPayload('Company name is required')
  }
}
async function onPage(event) {
  if (!event.properties.pageName) {
    throw new ValidationError('Page name is required')
  }
}
async function onAlias(event) {
  throw new EventNotSupported('Alias event is not supported')
}
async function onIdentify(event) {
  if (event.traits.companyName) {
    throw new DropEvent('Company name is required')
  }
  return event;
}
async function onTrack(event) {
  throw new RetryError('HTTP Status 503')
}
async function onScreen(event) {
  undefinedFunction()
}
"""


@pytest.mark.parametrize(
    ("event", "status", "error_type", "message"),
    [
        (
            {"type": "group", "traits": {}},
            "message_rejected",
            "InvalidEventPayload",
            "Company name is required",
        ),
        (
            {"type": "page", "properties": {}},
            "message_rejected",
            "ValidationError",
            "Page name is required",
        ),
        (
            {"type": "alias"},
            "unsupported_event_type",
            "EventNotSupported",
            "Alias event is not supported",
        ),
        (
            {"type": "identify", "traits": {"companyName": "x"}},
            "dropped",
            "DropEvent",
            "Company name is required",
        ),
        ({"type": "track"}, "retry", "RetryError", "HTTP Status 503"),
        ({"type": "screen"}, "bad_request", "ReferenceError", "undefinedFunction is not defined"),
    ],
)
def test_errors_map_to_statuses(event: dict, status: str, error_type: str, message: str) -> None:
    result = run(SEED_ERRORS, event, kind="insert").results[0]
    assert result.status == status
    assert result.error == {"type": error_type, "message": message}


def test_errors_classes_are_globals_and_instances_of_error() -> None:
    code = """async function onTrack(e) {
      return {names: [EventNotSupported, InvalidEventPayload, ValidationError, RetryError, DropEvent]
        .map(c => new c('m')).map(x => x instanceof Error && x.name)}
    }"""
    output = run(code, {"type": "track"}).results[0].output
    assert output == {
        "names": [
            "EventNotSupported",
            "InvalidEventPayload",
            "ValidationError",
            "RetryError",
            "DropEvent",
        ]
    }


def test_errors_thrown_string_is_bad_request() -> None:
    result = run("async function onTrack(e) { throw 'just a string' }", {"type": "track"}).results[
        0
    ]
    assert result.status == "bad_request"
    assert result.error == {"type": "Error", "message": "just a string"}


def test_errors_stack_is_trimmed_to_the_users_lines() -> None:
    code = "function helper() { null.x }\nasync function onTrack(e) { helper() }"
    result = run(code, {"type": "track"}).results[0]
    assert result.error == {
        "type": "TypeError",
        "message": "Cannot read properties of null (reading 'x')",
    }
    trace = result.logs[-1]
    assert "function.js:1" in trace and "function.js:2" in trace
    assert "__functions_driver" not in trace and "<anonymous>" not in trace


def test_errors_seed_validation_example_logs_then_rejects() -> None:
    code = """async function onTrack(event, settings) {
      const userId = event.userId
      console.log('User ID is', userId)
      if (typeof userId !== 'string' || userId.length < 8) {
        throw new ValidationError('User ID is invalid')
      }
      console.log('User ID is valid')
    }"""
    result = run(code, {"type": "track", "userId": "short"}, kind="destination").results[0]
    assert result.status == "message_rejected"
    assert result.logs == ["User ID is short"]
