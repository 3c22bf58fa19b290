# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
"""Hostile code: reaching the host, the prelude's internals, or other instances."""

from __future__ import annotations

import subprocess
import sys

from tests.functions.runtime.conftest import run


def output_of(code: str, **kwargs):
    result = run(code, {"type": "track"}, **kwargs).results[0]
    assert result.status == "success", result.error
    return result.output


def test_sandbox_function_constructor_reaches_no_host_objects() -> None:
    code = """async function onTrack(e) {
      const g = (function () { return this })() || Function('return this')()
      return {p: typeof g.process, r: Function('return typeof require')(), keys: Object.getOwnPropertyNames(g)}
    }"""
    output = output_of(code)
    assert (output["p"], output["r"]) == ("undefined", "undefined")
    assert not {"process", "require", "module", "global", "__dirname"} & set(output["keys"])


def test_sandbox_driver_cannot_be_replaced_or_deleted() -> None:
    code = """try { __functions_driver = null } catch (e) {}
    try { delete globalThis.__functions_driver } catch (e) {}
    try { Object.defineProperty(globalThis, '__functions_driver', {value: 1}) } catch (e) {}
    async function onTrack(e) { return {kept: typeof __functions_driver === 'object'} }"""
    assert output_of(code) == {"kept": True}


def test_sandbox_user_cannot_break_the_driver_with_builtins() -> None:
    code = "JSON.parse = () => ({}); JSON.stringify = () => '{}'\nasync function onTrack(e) { return {ok: 1} }"
    result = run(code, {"type": "track"}).results[0]
    assert result.output == {"ok": 1}


def test_sandbox_driver_step_called_by_user_code_cannot_forge_results() -> None:
    code = """async function onTrack(e) {
      try { __functions_driver.start(JSON.stringify({events: [], settings: {}, kind: 'insert', seed: 'AAAA', limits: {}})) } catch (err) {}
      return e
    }"""
    result = run(code, {"type": "track", "n": 1})
    assert result.results[0].status in {"success", "bad_request"}
    assert len(result.results) == 1


def test_sandbox_settings_do_not_leak_between_instances() -> None:
    code = """let seen = []
    async function onTrack(e, settings) { seen.push(settings.apiKey); return {seen} }"""
    first = output_of(code, cache_key="fv_shared", settings={"apiKey": "instance-A"})
    second = output_of(code, cache_key="fv_shared", settings={"apiKey": "instance-B"})
    assert first == {"seen": ["instance-A"]}
    assert second == {"seen": ["instance-B"]}


def test_sandbox_settings_are_not_a_global() -> None:
    code = "async function onTrack(e, s) { return {t: typeof settings} }"
    assert output_of(code, settings={"a": 1}) == {"t": "undefined"}


def test_sandbox_module_globals_persist_in_a_warm_context() -> None:
    code = "let count = 0\nasync function onTrack(e) { return {count: ++count} }"
    assert output_of(code, cache_key="fv_warm") == {"count": 1}
    assert output_of(code, cache_key="fv_warm") == {"count": 2}


def test_sandbox_without_cache_key_starts_cold() -> None:
    code = "let count = 0\nasync function onTrack(e) { return {count: ++count} }"
    assert output_of(code) == {"count": 1}
    assert output_of(code) == {"count": 1}


def test_sandbox_new_code_under_the_same_key_gets_a_new_context() -> None:
    assert output_of("async function onTrack(e) { return {v: 1} }", cache_key="fv_same") == {"v": 1}
    assert output_of("async function onTrack(e) { return {v: 2} }", cache_key="fv_same") == {"v": 2}


def test_sandbox_warm_contexts_are_lru_bounded(monkeypatch) -> None:
    from functions.runtime.contexts import warm_contexts

    monkeypatch.setenv("FUNCTIONS_WARM_CONTEXTS", "2")
    for i in range(4):
        output_of("async function onTrack(e) { return {} }", cache_key=f"lru_{i}")
    assert len(warm_contexts) <= 2


def test_sandbox_importing_the_runtime_starts_no_v8_and_no_thread() -> None:
    script = (
        "import threading, functions.runtime, functions.runtime.executor, py_mini_racer._dll as d\n"
        "assert d._dll_handle is None\n"
        "assert [t.name for t in threading.enumerate()] == ['MainThread']\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_sandbox_process_exits_cleanly_after_a_memory_limit_hit() -> None:
    script = (
        "import os\nos.environ['FUNCTIONS_MEMORY_MB'] = '32'\n"
        "from functions.runtime import run_function\n"
        "r = run_function(code='async function onTrack(e) { const a = []; while (true) a.push(new Array(1e5).fill(1)) }',"
        " kind='insert', events=[{'type': 'track'}], settings={}, cache_key='k')\n"
        "assert r.results[0].status == 'bad_request'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
