# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
from __future__ import annotations

import pytest

from tests.functions.runtime.conftest import run

ALL_TYPES = ["identify", "track", "page", "screen", "group", "alias", "delete"]
HANDLER = {t: "on" + t.capitalize() for t in ALL_TYPES}


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_dispatch_calls_the_handler_of_the_event_type(event_type: str) -> None:
    code = "\n".join(
        f"async function {name}(event, settings) {{ return {{...event, handled: '{name}', s: settings.s}} }}"
        for name in HANDLER.values()
    )
    result = run(code, {"type": event_type}, settings={"s": 1})
    assert result.results[0].status == "success"
    assert result.results[0].output == {"type": event_type, "handled": HANDLER[event_type], "s": 1}


def test_dispatch_works_with_plain_functions_and_arrow_constants() -> None:
    code = "function onTrack(e) { return {a: 1} }\nconst onPage = async (e) => ({b: 2})"
    result = run(code, [{"type": "track"}, {"type": "page"}], batch=True)
    assert [r.output for r in result.results] == [{"a": 1}, {"b": 2}]


def test_dispatch_missing_handler_is_unsupported_event_type() -> None:
    result = run("async function onTrack(e) { return e }", {"type": "alias"})
    assert result.results[0].status == "unsupported_event_type"
    assert result.results[0].error["type"] == "EventNotSupported"


def test_insert_returning_nothing_is_filtered() -> None:
    result = run("async function onTrack(e) { }", {"type": "track"})
    assert result.results[0].status == "filtered"
    assert result.results[0].output is None


def test_insert_returning_a_non_object_is_bad_request() -> None:
    result = run("async function onTrack(e) { return 42 }", {"type": "track"})
    assert result.results[0].status == "bad_request"


def test_destination_return_value_is_ignored() -> None:
    code = "async function onTrack(e) { return {changed: true} }"
    result = run(code, {"type": "track"}, kind="destination")
    assert result.results[0].status == "success"
    assert result.results[0].output is None


def test_compile_error_is_a_clear_bad_request() -> None:
    result = run("async function onTrack(e) {\n  return e +\n}", {"type": "track"})
    error = result.results[0].error
    assert result.results[0].status == "bad_request"
    assert error["type"] == "SyntaxError"
    assert "line" in error["message"]


def test_top_level_throw_is_bad_request() -> None:
    result = run("throw new Error('boom at load')", {"type": "track"})
    assert result.results[0].status == "bad_request"
    assert "boom at load" in result.results[0].error["message"]


def test_as_json_single_has_the_cli_shape() -> None:
    data = run(
        "async function onTrack(e) { console.log('hi'); return e }", {"type": "track"}
    ).as_json(batch=False)
    assert set(data) == {"status", "error", "output", "logs", "requests", "duration_ms"}
    assert data["logs"] == ["hi"]


def test_as_json_batch_has_results_and_logs() -> None:
    result = run("async function onTrack(e) { return e }", [{"type": "track"}] * 2, batch=True)
    data = result.as_json(batch=True)
    assert [r["status"] for r in data["results"]] == ["success", "success"]
    assert set(data) == {"results", "logs", "requests", "duration_ms"}


def test_handler_that_never_settles_is_reported() -> None:
    result = run("async function onTrack(e) { await new Promise(() => {}) }", {"type": "track"})
    assert result.results[0].status == "bad_request"
    assert "never finished" in result.results[0].error["message"]
