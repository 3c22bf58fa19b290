# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
"""An insert's returned events come back as the text JSON.stringify wrote, one line each
after the step's JSON, and are parsed only when read."""

from __future__ import annotations

import json

import pytest

from functions.runtime import run_function
from tests.functions.runtime.conftest import run


def test_returned_event_is_the_text_json_stringify_wrote() -> None:
    code = "async function onTrack(e) { return {b: 1, a: [e.n, 'x\\ny', '\\u2028', '😀', '\\ud800'], n: null} }"
    result = run(code, [{"type": "track", "n": 1}, {"type": "track", "n": 2}], batch=True)
    first, second = result.results
    # Node's JSON.stringify, byte for byte: key order kept, a lone surrogate escaped.
    assert first.output_json == '{"b":1,"a":[1,"x\\ny","\u2028","😀","\\ud800"],"n":null}'
    assert second.output == {"b": 1, "a": [2, "x\ny", "\u2028", "😀", "\ud800"], "n": None}
    assert first.output == json.loads(first.output_json)


def test_output_set_by_python_replaces_the_text() -> None:
    result = run("async function onTrack(e) { return e }", {"type": "track", "k": 1})
    event = result.results[0]
    event.output = {"replaced": True}
    assert (event.output, event.output_json) == ({"replaced": True}, None)


def test_returned_text_crosses_the_pool_pipe() -> None:
    result = run_function(
        code="async function onTrack(e) { e.seen = true; return e }",
        kind="insert",
        events=[{"type": "track", "messageId": "m1"}],
        settings={},
        isolated=True,
    )
    assert result.results[0].output_json == '{"type":"track","messageId":"m1","seen":true}'
    assert result.results[0].output == {"type": "track", "messageId": "m1", "seen": True}


@pytest.mark.parametrize(
    "returned",
    [
        "{toJSON() { return [1, 2] }}",
        "{toJSON() { return 5 }}",
        "{toJSON() { return 'text' }}",
    ],
)
def test_an_object_whose_toJSON_is_not_an_object_is_that_events_bad_request(returned: str) -> None:
    code = f"async function onTrack(e) {{ return e.odd ? {returned} : e }}"
    result = run(code, [{"type": "track", "odd": True}, {"type": "track", "k": 2}], batch=True)
    odd, fine = result.results
    assert (odd.status, odd.error["type"]) == ("bad_request", "TypeError")
    assert "must return an event object" in odd.error["message"]
    assert (fine.status, fine.output) == ("success", {"type": "track", "k": 2})


def test_a_toJSON_that_answers_undefined_filters_as_before() -> None:
    code = "async function onTrack(e) { return {toJSON() { return undefined }} }"
    result = run(code, {"type": "track"}).results[0]
    assert (result.status, result.output, result.output_json) == ("success", None, None)


def test_a_run_whose_every_event_returned_one_keeps_the_texts_in_order() -> None:
    """The usual run (every event returned an event, nothing logged or fetched) hands the
    returned texts over as they came (`returned`) and builds its EventResults only when
    `results` is read; then `returned` is gone (results may be changed in place)."""
    events = [{"type": "track", "n": n} for n in range(5)]
    result = run("async function onTrack(e) { e.seen = true; return e }", events, batch=True)
    assert result.returned == [f'{{"type":"track","n":{n},"seen":true}}' for n in range(5)]
    results = result.results
    assert result.returned is None
    assert [(r.status, r.error, r.output) for r in results] == [
        ("success", None, {**event, "seen": True}) for event in events
    ]
    assert [list(r.logs) + list(r.requests) for r in results] == [[]] * 5
    assert result.results is results


@pytest.mark.parametrize(
    "code",
    [
        # Something logged, one event filtered, one failed, an event returned out of order.
        "async function onTrack(e) { console.log('seen', e.n); return e }",
        "async function onTrack(e) { return e.n === 1 ? null : e }",
        "async function onTrack(e) { if (e.n === 2) throw new Error('no'); return e }",
        "async function onTrack(e) { if (e.n === 0) await new Promise(r => setTimeout(r, 5)); return e }",
    ],
)
def test_any_other_run_builds_its_results_as_before(code: str) -> None:
    events = [{"type": "track", "n": n} for n in range(3)]
    result = run(code, events, batch=True)
    assert result.returned is None
    assert len(result.results) == 3
    assert all(r.status in ("success", "filtered", "bad_request") for r in result.results)
