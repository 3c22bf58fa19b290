# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
from __future__ import annotations

import json

import pytest

from tests.functions.runtime.conftest import Server, run

# The seeds' onTrack fetch example, pointed at the local server.
SEED_ON_TRACK = """
async function onTrack(event, settings) {
  let res
  try {
    res = await fetch(settings.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json'
      },
      body: JSON.stringify({ event_name: event.event, event_properties: event.properties, timestamp: event.timestamp })
    })
  } catch (err) {
    throw new RetryError(err.message)
  }
  if (res.status >= 500 || res.status === 429) {
    throw new RetryError(`HTTP Status ${res.status}`)
  }
}
"""


def test_fetch_seed_on_track_example_posts_json(server: Server) -> None:
    event = {"type": "track", "event": "Song Played", "properties": {"a": 1}, "timestamp": "t"}
    result = run(SEED_ON_TRACK, event, kind="destination", settings={"url": f"{server.base}/api"})
    assert result.results[0].status == "success"
    hit = server.hits[0]
    assert hit["method"] == "POST" and hit["headers"]["content-type"] == "application/json"
    assert json.loads(hit["body"]) == {
        "event_name": "Song Played",
        "event_properties": {"a": 1},
        "timestamp": "t",
    }


def test_fetch_seed_on_track_example_retries_on_503(server: Server) -> None:
    settings = {"url": f"{server.base}/status?code=503"}
    result = run(SEED_ON_TRACK, {"type": "track"}, kind="destination", settings=settings)
    assert result.results[0].status == "retry"
    assert result.results[0].error["message"] == "HTTP Status 503"


def test_fetch_connection_error_is_a_fetch_error(server: Server) -> None:
    server.stop()
    code = """async function onTrack(e, s) {
      try { await fetch(s.url) } catch (err) { return {name: err.name, type: err.type, msg: err.message} }
    }"""
    output = run(code, {"type": "track"}, settings={"url": f"{server.base}/x"}).results[0].output
    assert output["name"] == "FetchError" and output["type"] == "system"
    assert output["msg"].startswith(f"request to {server.base}/x failed, reason:")


def test_fetch_response_has_node_fetch_shape(server: Server) -> None:
    code = """async function onTrack(e, s) {
      const res = await fetch(s.base + '/echo?x=1', {method: 'PUT', body: 'hi'})
      const data = await res.json()
      return {ok: res.ok, status: res.status, statusText: res.statusText, header: res.headers.get('X-Test'),
              data, url: res.url}
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output["ok"] is True and output["status"] == 200 and output["statusText"] == "OK"
    assert output["header"] == "yes"
    assert output["data"]["method"] == "PUT" and output["data"]["body"] == "hi"
    assert output["url"] == f"{server.base}/echo?x=1"


def test_fetch_text_decodes_utf8_and_buffer_works(server: Server) -> None:
    code = """async function onTrack(e, s) {
      const text = await (await fetch(s.base + '/utf8')).text()
      const buf = await (await fetch(s.base + '/utf8')).buffer()
      return {text, length: buf.length}
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output == {"text": "héllo wörld ✓", "length": len("héllo wörld ✓".encode())}


def test_fetch_accepts_request_and_headers_objects(server: Server) -> None:
    code = """async function onTrack(e, s) {
      const headers = new Headers({'content-type': 'text/plain'})
      const req = new Request(s.base + '/echo', {method: 'POST', headers, body: 'x'})
      const res = await fetch(req)
      return (await res.json())
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output["method"] == "POST" and output["contentType"] == "text/plain"


def test_fetch_url_search_params_body_is_form_encoded(server: Server) -> None:
    code = """async function onTrack(e, s) {
      const res = await fetch(s.base + '/echo', {method: 'POST', body: new URLSearchParams({a: '1 2'})})
      return await res.json()
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output["body"] == "a=1+2"
    assert output["contentType"].startswith("application/x-www-form-urlencoded")


def test_fetch_follows_redirects(server: Server) -> None:
    code = """async function onTrack(e, s) {
      const res = await fetch(s.base + '/redirect?to=' + encodeURIComponent(s.base + '/echo'))
      return {status: res.status, path: (await res.json()).path, url: res.url}
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output == {"status": 200, "path": "/echo", "url": f"{server.base}/echo"}


def test_fetch_manual_redirect_returns_the_3xx(server: Server) -> None:
    code = """async function onTrack(e, s) {
      const res = await fetch(s.base + '/redirect?to=/echo', {redirect: 'manual'})
      return {status: res.status, location: res.headers.get('location')}
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    # node-fetch makes a manual redirect's Location absolute.
    assert output == {"status": 302, "location": f"{server.base}/echo"}


def test_fetch_response_size_is_capped(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("FUNCTIONS_MAX_RESPONSE_BYTES", "1000")
    code = """async function onTrack(e, s) {
      try { await fetch(s.base + '/big?bytes=5000') } catch (err) { return {type: err.type} }
      return {type: 'none'}
    }"""
    assert run(code, {"type": "track"}, settings={"base": server.base}).results[0].output == {
        "type": "max-size"
    }


def test_fetch_requests_per_invocation_are_capped(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("FUNCTIONS_MAX_FETCHES", "3")
    code = """async function onTrack(e, s) {
      const out = []
      for (let i = 0; i < 5; i++) {
        try { await fetch(s.base + '/echo'); out.push('ok') } catch (err) { out.push(err.type) }
      }
      return {out}
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output == {"out": ["ok", "ok", "ok", "max-requests", "max-requests"]}
    assert len(server.hits) == 3


def test_fetch_timeout_option_rejects(server: Server) -> None:
    code = """async function onTrack(e, s) {
      try { await fetch(s.base + '/slow?ms=500', {timeout: 50}) } catch (err) { return {type: err.type} }
    }"""
    output = run(code, {"type": "track"}, settings={"base": server.base}).results[0].output
    assert output == {"type": "request-timeout"}


def test_fetch_trace_records_request_and_response_with_credentials_masked(
    server: Server,
) -> None:
    code = """async function onTrack(e, s) {
      await fetch(s.url, {method: 'POST', headers: {Authorization: 'Bearer abc', 'X-Team': 'blue'}, body: 'the-body'})
    }"""
    url = f"http://user:pass@127.0.0.1:{server.port}/echo?q=1"
    result = run(code, {"type": "track"}, kind="destination", settings={"url": url})
    trace = result.results[0].requests
    assert len(trace) == 1 and result.requests == trace
    assert set(trace[0]) == {"method", "url", "status", "duration_ms", "request", "response"}
    assert trace[0]["url"] == f"http://127.0.0.1:{server.port}/echo?q=1"
    assert (trace[0]["method"], trace[0]["status"]) == ("POST", 200)
    sent = dict((k.lower(), v) for k, v in trace[0]["request"]["headers"])
    assert sent["authorization"] == "[redacted]" and sent["x-team"] == "blue"
    assert trace[0]["request"]["body"] == "the-body"
    assert "the-body" in trace[0]["response"]["body"]  # /echo answers what it got
    assert "Bearer abc" not in json.dumps(trace) and "pass@" not in json.dumps(trace)


def test_fetch_trace_keeps_the_start_of_a_long_body_with_its_size(server: Server) -> None:
    code = """async function onTrack(e, s) {
      await fetch(s.url, {method: 'POST', body: 'x'.repeat(10000)})
    }"""
    result = run(
        code, {"type": "track"}, kind="destination", settings={"url": f"{server.base}/echo"}
    )
    request = result.requests[0]["request"]
    assert len(request["body"]) == 2048 and request["bodyTruncated"] == 10000


def test_fetch_requests_of_a_batch_overlap(server: Server) -> None:
    code = "async function onTrack(e, s) { await fetch(s.base + '/slow?ms=100'); return e }"
    result = run(
        code,
        [{"type": "track", "n": i} for i in range(8)],
        batch=True,
        settings={"base": server.base},
    )
    assert [r.status for r in result.results] == ["success"] * 8
    assert server.max_active > 1
    assert all(len(r.requests) == 1 for r in result.results)


def test_fetch_seed_cache_example(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache lives in one warm context; with one context per version both events
    # share it (with more, each context fills its own: see test_concurrency).
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "1")
    code = """async function onTrack(event, settings) {
      const ttl = 5 * 60 * 1000
      const val = await cache.load("mycachekey", ttl, async () => {
        const res = await fetch(settings.base + '/token')
        const data = await res.json()
        return data
      })
      return {val}
    }"""
    events = [{"type": "track"}, {"type": "track"}]
    result = run(code, events, batch=True, cache_key="seed-cache", settings={"base": server.base})
    assert result.results[0].output == result.results[1].output
    assert len(server.hits) == 1


def test_fetch_seed_token_cache_example_persists_between_invocations(server: Server) -> None:
    code = """const TOKEN_EXPIRE_MS = 60 * 60 * 1000 // 1 hour
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
    async function onTrack(event, settings) { return {token: await getAccessToken(settings)} }"""
    settings = {"base": server.base}
    first = run(code, {"type": "track"}, cache_key="fv_token", settings=settings).results[0].output
    second = run(code, {"type": "track"}, cache_key="fv_token", settings=settings).results[0].output
    assert first == second == {"token": "tok-1"}
    assert len(server.hits) == 1
