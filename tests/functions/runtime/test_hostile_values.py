# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
"""User-controlled values that used to raise on the Python side of a run."""

from __future__ import annotations

import pytest

from functions.runtime import protocol
from tests.functions.runtime.conftest import Server, run

BROKEN = "broke the runtime's data exchange"


@pytest.mark.parametrize(
    "code",
    [
        "Object.prototype.toJSON = function () { return 5 }\nasync function onTrack(e) { return e }",
        "async function onTrack(e) { Object.prototype.toJSON = () => 5; return e }",
        "async function onTrack(e) { Array.prototype.toJSON = () => 5; return e }",
        "async function onTrack(e) { Object.prototype.toJSON = () => 'x'; throw new Error('no') }",
        "async function onTrack(e) { Object.prototype.toJSON = () => null; await new Promise(r => setTimeout(r, 1)); return e }",
    ],
)
def test_hostile_toJSON_on_builtins_is_bad_request(code: str) -> None:
    result = run(code, [{"type": "track"}, {"type": "track"}], batch=True)
    for event in result.results:
        assert event.status == "bad_request"
        assert BROKEN in event.error["message"]


def test_hostile_toJSON_context_is_not_reused() -> None:
    code = "let n = 0\nasync function onTrack(e) { n++; if (e.poison) Object.prototype.toJSON = () => 5; return {n} }"
    assert (
        run(code, {"type": "track", "poison": True}, cache_key="poison").results[0].status
        == "bad_request"
    )
    assert run(code, {"type": "track"}, cache_key="poison").results[0].output == {"n": 1}


@pytest.mark.parametrize(
    "delay", ["Infinity", "-Infinity", "NaN", "1e300", "-1", "'abc'", "{}", "2**31"]
)
def test_hostile_timer_delays_fire_after_1_ms_as_in_node(delay: str) -> None:
    code = f"async function onTrack(e) {{ await new Promise(r => setTimeout(r, {delay})); return {{ok: true}} }}"
    result = run(code, {"type": "track"}, timeout_ms=2000).results[0]
    assert (result.status, result.output) == ("success", {"ok": True})


def test_hostile_timer_flood_is_bad_request() -> None:
    code = "async function onTrack(e) { for (let i = 0; i < 20000; i++) setTimeout(() => {}, 10); return e }"
    result = run(code, {"type": "track"}).results[0]
    assert result.status == "bad_request"
    assert f"more than {protocol.MAX_PENDING}" in result.error["message"]


@pytest.mark.parametrize(
    "options",
    [
        "{timeout: 'abc'}",
        "{timeout: Infinity}",
        "{timeout: -5}",
        "{follow: {}}",
        "{size: 'big'}",
        "{headers: {'x-n': 12, 'x-o': {a: 1}}}",
        "{headers: {'x-bad': 'a\\r\\nx-injected: yes'}}",
        "{method: 'G\\r\\nET'}",
    ],
)
def test_hostile_fetch_options_never_crash_the_run(server: Server, options: str) -> None:
    code = f"async function onTrack(e) {{ try {{ const r = await fetch('{server.base}/echo', {options}); return {{status: r.status}} }} catch (err) {{ return {{error: err.name}} }} }}"
    result = run(code, {"type": "track"}).results[0]
    assert result.status == "success", result.error
    assert all("x-injected" not in hit["headers"] for hit in server.hits)


def test_hostile_getter_throwing_during_serialization_is_bad_request() -> None:
    code = "async function onTrack(e) { return {get x() { throw new Error('boom') }} }"
    result = run(code, {"type": "track"}).results[0]
    assert result.status == "bad_request" and "boom" in result.error["message"]


def test_hostile_internal_failure_is_bad_request_not_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: object) -> None:
        raise AttributeError("'int' object has no attribute 'items'")

    monkeypatch.setattr("functions.runtime.invocation.parse_step", explode)
    result = run("async function onTrack(e) { return e }", {"type": "track"}).results[0]
    assert result.status == "bad_request"
    assert "AttributeError" in result.error["message"]
