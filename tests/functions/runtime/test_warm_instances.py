# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
"""One invocation at a time per warm context, concurrency across contexts of a version."""

from __future__ import annotations

import pytest

from tests.functions.runtime.conftest import Server, run

# The documentation's token cache ("Caching in destination functions"), plus a per-context
# id drawn when the module loads, so the test can count the warm contexts used.
TOKEN_CACHE = """const TOKEN_EXPIRE_MS = 60 * 60 * 1000 // 1 hour
const context = crypto.randomUUID()
let token = null
async function getAccessToken (settings) {
  const now = new Date().getTime()
  if (!token || now - token.ts > TOKEN_EXPIRE_MS) {
    const resp = await fetch(settings.base + '/token', {
      method: 'POST'
    }).then(resp => resp.json())
    token = {
      ts: now,
      value: resp.token
    }
  }
  return token.value
}
async function onTrack(event, settings) {
  const value = await getAccessToken(settings)
  await fetch(settings.base + '/slow?ms=20')
  return {value, context}
}"""


def _events(n: int) -> list[dict[str, object]]:
    return [{"type": "track", "messageId": f"m{i}"} for i in range(n)]


def _token_fetches(server: Server) -> int:
    return sum(1 for hit in server.hits if hit["path"] == "/token")


def test_warm_instances_token_cache_fetches_once_per_warm_context(server: Server) -> None:
    result = run(
        TOKEN_CACHE, _events(12), settings={"base": server.base}, batch=True, cache_key="wi-token"
    )
    assert [r.status for r in result.results] == ["success"] * 12
    contexts = {r.output["context"] for r in result.results}
    assert _token_fetches(server) == len(contexts)
    # Every event of a context saw that context's one token.
    for context in contexts:
        assert (
            len({r.output["value"] for r in result.results if r.output["context"] == context}) == 1
        )


def test_warm_instances_one_context_fetches_the_token_once(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "1")
    result = run(
        TOKEN_CACHE, _events(5), settings={"base": server.base}, batch=True, cache_key="wi-one"
    )
    assert [r.status for r in result.results] == ["success"] * 5
    assert _token_fetches(server) == 1
    assert len({r.output["value"] for r in result.results}) == 1


def test_warm_instances_a_context_never_runs_two_events_at_once(server: Server) -> None:
    code = """let active = 0
    async function onTrack(e, s) { active += 1; const during = active; await fetch(s.base + '/slow?ms=10'); const after = active; active -= 1; return {during, after} }"""
    result = run(
        code, _events(10), settings={"base": server.base}, batch=True, cache_key="wi-serial"
    )
    assert [r.output for r in result.results] == [{"during": 1, "after": 1}] * 10


def test_warm_instances_overlap_comes_from_several_contexts(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "4")
    code = "const id = crypto.randomUUID()\nasync function onTrack(e, s) { await fetch(s.base + '/slow?ms=100'); return {id} }"
    result = run(
        code, _events(12), settings={"base": server.base}, batch=True, cache_key="wi-overlap"
    )
    assert [r.status for r in result.results] == ["success"] * 12
    assert 2 <= len({r.output["id"] for r in result.results}) <= 4
    assert 2 <= server.max_active <= 4


def test_warm_instances_cpu_only_batch_stays_in_one_context() -> None:
    code = "const id = crypto.randomUUID()\nasync function onTrack(e) { return {id} }"
    result = run(code, _events(50), batch=True, cache_key="wi-cpu")
    assert len({r.output["id"] for r in result.results}) == 1


def test_warm_instances_a_slow_event_times_out_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "1")
    code = "async function onTrack(e) { if (e.messageId === 'm0') await new Promise(r => setTimeout(r, 5000)); return {ok: e.messageId} }"
    result = run(code, _events(3), batch=True, cache_key="wi-timeout", timeout_ms=300)
    assert [r.status for r in result.results] == ["timeout", "success", "success"]
    assert result.results[0].error["type"] == "Timeout"


def test_warm_instances_a_never_settled_promise_does_not_block_the_next_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "1")
    code = "async function onTrack(e) { if (e.messageId === 'm0') await new Promise(() => {}); return {ok: e.messageId} }"
    result = run(code, _events(2), batch=True, cache_key="wi-never")
    assert [r.status for r in result.results] == ["bad_request", "success"]
    assert "never finished" in result.results[0].error["message"]


def test_warm_instances_set_interval_is_bounded_by_the_time_limit() -> None:
    code = "async function onTrack(e) { let n = 0; setInterval(() => { n += 1 }, 10); await new Promise(() => { setInterval(() => {}, 20) }) }"
    result = run(code, {"type": "track"}, timeout_ms=300)
    assert result.results[0].status == "timeout"


def test_warm_instances_abandoned_request_is_in_the_trace(server: Server) -> None:
    code = "async function onTrack(e, s) { const winner = await Promise.race([fetch(s.base + '/slow?ms=500').then(() => 'fetch'), new Promise(r => setTimeout(() => r('timer'), 30))]); return {winner} }"
    result = run(code, {"type": "track"}, settings={"base": server.base})
    assert result.results[0].output == {"winner": "timer"}
    [trace] = result.requests
    assert trace["url"] == f"{server.base}/slow?ms=500"
    assert trace["status"] is None
    assert trace["error"].startswith("abandoned")
