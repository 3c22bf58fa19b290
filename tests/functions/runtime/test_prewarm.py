# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
"""Pre-warmed blank contexts: taken by new versions, never shared between versions."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from functions.runtime.config import load_config
from functions.runtime.contexts import warm_contexts
from functions.runtime.loop import run_on_loop
from functions.runtime.prewarm import prewarmed
from functions.runtime.sandbox import Sandbox
from tests.functions.runtime.conftest import run

PROBE = "async function onTrack(e, s) { const seen = typeof leak === 'undefined' ? null : leak; globalThis.leak = s.secret; return {seen} }"


async def _ready(libraries: tuple[str, ...] = ()) -> list[Sandbox]:
    return list(prewarmed._ready.get(libraries, []))


def ready(libraries: tuple[str, ...] = ()) -> list[Sandbox]:
    return run_on_loop(_ready(libraries))


def wait_for_pool(size: int, timeout_s: float = 10.0, libraries: tuple[str, ...] = ()) -> None:
    deadline = time.monotonic() + timeout_s
    while len(ready(libraries)) < size:
        assert time.monotonic() < deadline, "the pre-warmed pool was not refilled"
        time.sleep(0.01)


async def _warm_sandboxes() -> list[Sandbox]:
    return warm_contexts.sandboxes()


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FUNCTIONS_PREWARMED_CONTEXTS", "2")
    run("async function onTrack(e) { return e }", {"type": "track"}, cache_key="prewarm_boot")
    wait_for_pool(2)
    yield


def seen(code: str, secret: str, key: str | None) -> object:
    result = run(code, {"type": "track"}, settings={"secret": secret}, cache_key=key).results[0]
    assert result.status == "success", result.error
    return result.output["seen"]


def test_prewarm_new_version_takes_a_prewarmed_context(pool: None) -> None:
    waiting = ready()
    taken_before = prewarmed.taken
    run(
        "async function onTrack(e) { return {v: 'new'} }",
        {"type": "track"},
        cache_key="prewarm_new",
    )
    assert prewarmed.taken == taken_before + 1
    in_use = run_on_loop(_warm_sandboxes())
    assert any(sandbox in in_use for sandbox in waiting)
    # The one taken never goes back: the pool refills with new contexts.
    wait_for_pool(2)
    assert not set(map(id, ready())) & set(map(id, in_use))
    assert all(not s.loaded for s in ready())


def test_prewarm_contexts_are_never_shared_between_versions_or_settings(pool: None) -> None:
    assert seen(PROBE, "first-secret", "prewarm_a") is None
    # The same version and settings keep their warm context (module state persists)...
    assert seen(PROBE, "first-secret", "prewarm_a") == "first-secret"
    wait_for_pool(2)
    # ...while other settings, another version, or a preview each get a context of their own.
    assert seen(PROBE, "other-secret", "prewarm_a") is None
    wait_for_pool(2)
    assert seen(PROBE + "\n// v2", "third", "prewarm_a") is None
    wait_for_pool(2)
    assert seen(PROBE, "preview", None) is None
    in_use = run_on_loop(_warm_sandboxes())
    assert len(set(map(id, in_use))) == len(in_use)
    assert all(s.loaded for s in in_use)
    assert not set(map(id, ready())) & set(map(id, in_use))


def test_prewarm_context_takes_user_code_only_once() -> None:
    config = load_config()

    async def twice() -> None:
        sandbox = await Sandbox.blank(config)
        try:
            await sandbox.load("async function onTrack(e) { return e }", config)
            with pytest.raises(RuntimeError):
                await sandbox.load("async function onTrack(e) { return {} }", config)
        finally:
            sandbox.close()

    run_on_loop(twice())


def test_prewarm_broken_and_bad_contexts_are_closed_not_returned(pool: None) -> None:
    bad = run("function onTrack(e) { return e ", {"type": "track"}, cache_key="prewarm_bad")
    assert bad.results[0].status == "bad_request"
    looping = run(
        "async function onTrack(e) { while (true) {} }",
        {"type": "track"},
        cache_key="prewarm_loop",
        timeout_ms=200,
    )
    assert looping.results[0].status == "timeout"
    wait_for_pool(2)
    assert all(not s.loaded and not s.broken for s in ready())
    # The next version still starts from a clean prelude.
    assert seen(PROBE, "after", "prewarm_after") is None


def test_prewarm_pool_is_filled_after_runs_and_can_be_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FUNCTIONS_PREWARMED_CONTEXTS", "1")
    run("async function onTrack(e) { return e }", {"type": "track"}, cache_key="prewarm_one")
    wait_for_pool(1)
    monkeypatch.setenv("FUNCTIONS_PREWARMED_CONTEXTS", "0")
    output = run(
        "async function onTrack(e) { return {ok: 1} }", {"type": "track"}, cache_key="prewarm_off"
    )
    assert output.results[0].output == {"ok": 1}
    assert ready() == []


def test_prewarm_taken_context_gets_the_current_memory_limit(
    pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~50 MB: fits the default 128 MB the pool was built with, not a 32 MB limit.
    code = "async function onTrack(e) { const a = []; for (let i = 0; i < 120; i++) a.push(new Array(100000).fill(i)); return {n: a.length} }"
    fits = run(code, {"type": "track"}, cache_key="prewarm_mem_default").results[0]
    assert fits.output == {"n": 120}
    wait_for_pool(2)
    monkeypatch.setenv("FUNCTIONS_MEMORY_MB", "32")
    result = run(code, {"type": "track"}, cache_key="prewarm_mem_low").results[0]
    assert result.status == "bad_request"
    assert result.error["type"] == "MemoryLimitExceeded"


def test_prewarm_recently_used_libraries_get_a_prewarmed_context(pool: None) -> None:
    code = "async function onTrack(e, s) {{ return {{n: _.sum([1, 2, {n}]), seen: typeof leak === 'undefined' ? null : leak, set: (globalThis.leak = s.secret)}} }}"
    first = run(
        code.format(n=3), {"type": "track"}, settings={"secret": "a"}, cache_key="prewarm_lib"
    )
    assert first.results[0].output == {"n": 6, "seen": None, "set": "a"}
    wait_for_pool(1, libraries=("lodash",))
    waiting = ready(("lodash",))
    assert all(s.libraries == ("lodash",) and not s.loaded for s in waiting)
    taken_before = prewarmed.taken
    second = run(
        code.format(n=4), {"type": "track"}, settings={"secret": "b"}, cache_key="prewarm_lib"
    )
    assert second.results[0].output == {"n": 7, "seen": None, "set": "b"}
    assert prewarmed.taken == taken_before + 1
    assert any(s in run_on_loop(_warm_sandboxes()) for s in waiting)
    # Code naming no library never gets a context with libraries loaded.
    wait_for_pool(1, libraries=("lodash",))
    plain = "async function onTrack(e) { try { return {t: typeof globalThis[String.fromCharCode(95)]} } catch (err) { return {t: 'unavailable'} } }"
    output = run(plain, {"type": "track"}, cache_key="prewarm_plain").results[0].output
    assert output == {"t": "unavailable"}
