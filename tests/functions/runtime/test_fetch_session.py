"""The network side of a run: shared lookups, connections reused only within a run and origin."""

from __future__ import annotations

import asyncio
import socket

import pytest

from functions.runtime.config import load_config
from functions.runtime.fetch import FetchSession
from functions.runtime.loop import run_on_loop
from tests.functions.runtime.conftest import Server, run
from workspace.infra import addresses
from workspace.infra.addresses import BlockedAddress


def test_fetch_session_reuses_a_client_only_for_the_same_origin_and_address() -> None:
    async def check() -> None:
        session = FetchSession(load_config())
        a = session.checkout(("https", "a.example", 443, "93.184.216.34"))
        # Busy clients are never handed out twice.
        assert session.checkout(("https", "a.example", 443, "93.184.216.34")) is not a
        session.checkin(("https", "a.example", 443, "93.184.216.34"), a)
        # Another host on the same address gets its own connection.
        assert session.checkout(("https", "b.example", 443, "93.184.216.34")) is not a
        assert session.checkout(("https", "a.example", 443, "93.184.216.35")) is not a
        assert session.checkout(("https", "a.example", 443, "93.184.216.34")) is a
        await session.aclose()
        assert a.is_closed

    run_on_loop(check())


def test_fetch_session_resolves_a_name_once_per_run(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def resolve(host: str, port: int, *, allow_private: bool) -> str:
        calls.append(host)
        await asyncio.sleep(0.01)
        return "127.0.0.1"

    monkeypatch.setattr("functions.runtime.fetch.resolve", resolve)
    code = (
        "async function onTrack(e, s) { const r = await fetch(s.url); return {status: r.status} }"
    )
    settings = {"url": f"http://api.test:{server.port}/echo"}
    events = [{"type": "track", "messageId": str(i)} for i in range(5)]
    result = run(code, events, settings=settings, batch=True, cache_key="session_dns")
    assert [r.output for r in result.results] == [{"status": 200}] * 5
    assert calls == ["api.test"]
    # Nothing outlives the run: the next run looks the name up again.
    run(code, events[:1], settings=settings, cache_key="session_dns")
    assert calls == ["api.test", "api.test"]


def test_fetch_address_literals_need_no_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError("getaddrinfo called for an address literal")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)

    async def check() -> None:
        assert await addresses.resolve("127.0.0.1", 80, allow_private=True) == "127.0.0.1"
        assert (
            await addresses.resolve("2606:4700::1111", 443, allow_private=False)
            == "2606:4700::1111"
        )
        for private in ("10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1"):
            with pytest.raises(BlockedAddress):
                await addresses.resolve(private, 80, allow_private=False)

    run_on_loop(check())


def test_fetch_overlapped_events_keep_their_own_logs_and_requests(server: Server) -> None:
    # Responses of many overlapped events arrive together; each event's console output
    # and requests stay its own, also for events that await a second fetch.
    code = """async function onTrack(e, s) {
      console.log('start', e.messageId)
      const r = await fetch(s.base + '/slow?ms=30&id=' + e.messageId)
      await r.json()
      console.log('first', e.messageId)
      if (Number(e.messageId) % 3 === 0) {
        await (await fetch(s.base + '/echo?id=' + e.messageId)).text()
        for (let i = 0; i < 200; i++) await null
        console.log('second', e.messageId)
      }
      return e
    }"""
    events = [{"type": "track", "messageId": str(i)} for i in range(12)]
    result = run(code, events, settings={"base": server.base}, batch=True)
    for i, event in enumerate(result.results):
        assert event.status == "success"
        expected = [f"start {i}", f"first {i}"] + ([f"second {i}"] if i % 3 == 0 else [])
        assert event.logs == expected
        assert all(f"id={i}" in r["url"] for r in event.requests)
        assert len(event.requests) == (2 if i % 3 == 0 else 1)
