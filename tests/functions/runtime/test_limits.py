# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
from __future__ import annotations

from tests.functions.runtime.conftest import run

LOOP = "async function onTrack(e) { if (e.bad) { while (true) {} } return e }"
BOMB = "async function onTrack(e) { if (e.bad) { const a = []; while (true) a.push(new Array(1e5).fill(e)) } return e }"


def test_limits_infinite_loop_times_out() -> None:
    result = run(LOOP, {"type": "track", "bad": True}, timeout_ms=200).results[0]
    assert result.status == "timeout"
    assert result.error["type"] == "Timeout"


def test_limits_warm_context_is_rebuilt_after_a_timeout() -> None:
    code = "let n = 0\nasync function onTrack(e) { n++; if (e.bad) { while (true) {} } return {n} }"
    assert (
        run(code, {"type": "track", "bad": True}, timeout_ms=200, cache_key="rebuild")
        .results[0]
        .status
        == "timeout"
    )
    assert run(code, {"type": "track"}, cache_key="rebuild").results[0].output == {"n": 1}


def test_limits_memory_bomb_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("FUNCTIONS_MEMORY_MB", "64")
    result = run(BOMB, {"type": "track", "bad": True}, cache_key="bomb").results[0]
    assert result.status == "bad_request"
    assert result.error["type"] == "MemoryLimitExceeded"
    assert "64 MB" in result.error["message"]
    assert run(BOMB, {"type": "track"}, cache_key="bomb").results[0].status == "success"


def test_limits_only_the_guilty_event_of_a_batch_times_out() -> None:
    events = [{"type": "track", "n": 1}, {"type": "track", "bad": True}, {"type": "track", "n": 3}]
    result = run(LOOP, events, batch=True, timeout_ms=200)
    assert [r.status for r in result.results] == ["success", "timeout", "success"]


def test_limits_only_the_guilty_event_of_a_batch_hits_the_memory_limit(monkeypatch) -> None:
    monkeypatch.setenv("FUNCTIONS_MEMORY_MB", "64")
    events = [{"type": "track", "bad": True}, {"type": "track", "n": 2}]
    result = run(BOMB, events, batch=True)
    assert [r.status for r in result.results] == ["bad_request", "success"]


def test_limits_getter_looping_during_serialization_times_out() -> None:
    code = "async function onTrack(e) { return {get x() { while (true) {} }} }"
    assert run(code, {"type": "track"}, timeout_ms=200).results[0].status == "timeout"


def test_limits_toJSON_throwing_is_bad_request() -> None:
    code = "async function onTrack(e) { return {toJSON() { throw new Error('nope') }} }"
    result = run(code, {"type": "track"}).results[0]
    assert result.status == "bad_request" and "not serializable" in result.error["message"]


def test_limits_slow_io_times_out() -> None:
    code = "async function onTrack(e) { await new Promise(r => setTimeout(r, 5000)); return e }"
    result = run(code, {"type": "track"}, timeout_ms=150).results[0]
    assert result.status == "timeout"


def test_limits_console_flood_is_capped_at_4kb() -> None:
    code = "async function onTrack(e) { for (let i = 0; i < 1e5; i++) console.log('line ' + i + ' ' + 'x'.repeat(50)) }"
    logs = run(code, {"type": "track"}, kind="destination").results[0].logs
    assert sum(len(line) for line in logs[:-1]) <= 4096
    assert logs[-1].startswith("[console output truncated")


def test_limits_timeout_setting_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("FUNCTIONS_TIMEOUT_MS", "150")
    result = run(LOOP, {"type": "track", "bad": True}).results[0]
    assert result.error["message"] == "The function did not finish within 150 ms"


def test_limits_output_cap_leaves_out_big_events_and_cuts_long_traces() -> None:
    code = "async function onTrack(e) { await fetch('http://example.invalid/' + 'p'.repeat(9000)).catch(() => null); if (e.big) e.blob = 'x'.repeat(300000); return e }"
    events = [{"type": "track"}, {"type": "track", "big": True}]
    result = run(code, events, batch=True, max_output_bytes=100_000)
    small, big = result.results
    assert small.status == "success" and small.output == {"type": "track"}
    assert big.status == "success" and big.output is None
    assert big.error["type"] == "OutputTooLarge" and "0.3 MB" in big.error["message"]
    assert all(len(t["url"]) < 4200 and t["url"].endswith("[truncated]") for t in result.requests)


def _counting_kills(monkeypatch) -> list[int]:
    from functions.runtime import executor

    kills: list[int] = []
    after_kill = executor._after_kill

    async def counted(*args, **kwargs):
        kills.append(1)
        return await after_kill(*args, **kwargs)

    monkeypatch.setattr(executor, "_after_kill", counted)
    return kills


def test_limits_one_spinning_event_among_many_is_found_by_halving(monkeypatch) -> None:
    kills = _counting_kills(monkeypatch)
    events = [{"type": "track", "n": i} for i in range(64)]
    events[37] = {"type": "track", "bad": True}
    result = run(LOOP, events, batch=True, timeout_ms=100)
    statuses = [r.status for r in result.results]
    assert statuses[37] == "timeout"
    assert statuses.count("success") == 63
    # The first kill, then one per halving down to the event alone (log2 64 = 6).
    assert len(kills) <= 7


def test_limits_a_chunk_spinning_on_every_event_spends_a_bounded_number_of_kills(
    monkeypatch,
) -> None:
    from functions.runtime.executor import RERUN_KILL_BUDGET

    kills = _counting_kills(monkeypatch)
    events = [{"type": "track", "bad": True, "n": i} for i in range(60)]
    result = run(LOOP, events, batch=True, timeout_ms=50)
    assert len(kills) <= RERUN_KILL_BUDGET
    statuses = [r.status for r in result.results]
    assert "success" not in statuses
    assert set(statuses) == {"timeout", "retry"}
    assert {r.error["type"] for r in result.results if r.status == "retry"} == {"RetryError"}


def test_limits_a_kill_budget_of_one_stops_the_run_at_its_first_kill(monkeypatch) -> None:
    """The delivery's ordinary lane (delivery/lanes.py): one time limit per run, what did
    not settle before it is handed back unrun."""
    kills = _counting_kills(monkeypatch)
    events = [{"type": "track", "n": i} for i in range(8)]
    events[5] = {"type": "track", "bad": True}
    result = run(LOOP, events, batch=True, timeout_ms=100, kill_budget=1)
    assert len(kills) == 1
    statuses = [r.status for r in result.results]
    assert "timeout" not in statuses
    assert statuses.count("retry") >= 1
    assert {r.error["message"][:8] for r in result.results if r.status == "retry"} == {"not run:"}
    alone = run(LOOP, events[5:6], timeout_ms=100, kill_budget=1).results[0]
    assert alone.status == "timeout"
