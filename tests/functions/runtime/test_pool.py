from __future__ import annotations

import threading
import time

from functions.runtime import pool
from tests.functions.runtime.conftest import run


def test_pool_isolated_run_happens_in_a_subprocess() -> None:
    result = run(
        "async function onTrack(e) { return {ok: typeof process} }",
        {"type": "track"},
        isolated=True,
    )
    assert result.results[0].output == {"ok": "undefined"}
    assert pool._pool is not None and not pool._pool.idle.empty()


def test_pool_dead_worker_is_reported_and_replaced() -> None:
    run("async function onTrack(e) { return e }", {"type": "track"}, isolated=True)
    victim = pool._pool.idle.queue[-1].process

    def kill_soon() -> None:
        time.sleep(0.3)
        victim.kill()

    threading.Thread(target=kill_soon, daemon=True).start()
    code = "async function onTrack(e) { await new Promise(r => setTimeout(r, 3000)); return e }"
    result = run(code, {"type": "track"}, isolated=True).results[0]
    assert result.status == "bad_request"
    assert result.error["type"] == "RuntimeCrash"
    after = run(
        "async function onTrack(e) { return {fine: true} }", {"type": "track"}, isolated=True
    )
    assert after.results[0].output == {"fine": True}
