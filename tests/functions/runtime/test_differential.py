# ruff: noqa: E501  (handlers are JavaScript source kept on one line or a few)
"""Differential test: each handler of a corpus runs in the sandbox and in Node.js the way
the product ran it (node_reference/harness.js: node-fetch 2.6.0, lodash, form-data, xml,
oauth-1.0a, the product's error classes, one invocation at a time per warm module),
against the same local HTTP server. Outcome, output, console lines and the requests the
server received must agree.

The Node side needs `npm ci` in node_reference (`make install` does it); without it the
test is skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.functions.runtime.conftest import Server, run

REFERENCE = Path(__file__).parent / "node_reference"

TRACK = {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"total": 10}}


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    events: list[dict[str, Any]] = field(default_factory=lambda: [TRACK])
    kind: str = "insert"


def _catch(expr: str) -> str:
    """A handler returning what `expr` (awaited) throws, as node-fetch handlers read it."""
    return (
        "async function onTrack(e, s) { try { await (async () => { "
        + expr
        + " })(); return {threw: false} } "
        "catch (err) { return {name: err.name, type: err.type === undefined ? null : err.type, code: err.code === undefined ? null : err.code, message: err.message, isError: err instanceof Error} } }"
    )


TOKEN_CACHE = """const TOKEN_EXPIRE_MS = 60 * 60 * 1000 // 1 hour
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
  await fetch(settings.base + '/echo', {method: 'POST', headers: {Authorization: 'Bearer ' + value}, body: JSON.stringify({id: event.messageId})})
  return {value}
}"""

THREE = [{**TRACK, "messageId": f"m{i}"} for i in range(3)]

CASES = [
    Case("token_cache_one_fetch_per_warm_module", TOKEN_CACHE, THREE),
    Case(
        "pending_marker_is_never_seen_by_the_next_event",
        "const state = {}\nasync function onTrack(e, s) { const seen = state.k === undefined ? 'empty' : state.k; if (state.k === undefined) { state.k = 'pending'; await fetch(s.base + '/slow?ms=30'); state.k = 'done' } return {seen} }",
        THREE,
    ),
    Case("warm_counter", "let n = 0\nasync function onTrack(e) { n += 1; return {n} }", THREE),
    Case(
        "json_of_an_empty_body",
        _catch("const r = await fetch(s.base + '/big?bytes=0'); await r.json()"),
    ),
    Case("json_of_a_text_body", _catch("const r = await fetch(s.base + '/utf8'); await r.json()")),
    Case(
        "json_of_a_204",
        _catch("const r = await fetch(s.base + '/status?code=204'); await r.json()"),
    ),
    Case(
        "manual_redirect_makes_location_absolute",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/redirect?to=/echo', {redirect: 'manual'}); return {status: r.status, location: r.headers.get('location'), redirected: r.redirected} }",
    ),
    Case(
        "redirect_error_mode",
        _catch("await fetch(s.base + '/redirect?to=/echo', {redirect: 'error'})"),
    ),
    Case(
        "redirect_over_follow_limit",
        _catch("await fetch(s.base + '/redirect?to=/echo', {follow: 0})"),
    ),
    Case(
        "redirect_followed",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/redirect?to=/echo'); const body = await r.json(); return {status: r.status, redirected: r.redirected, url: r.url, path: body.path} }",
    ),
    Case(
        "status_text_defaults",
        "async function onTrack(e) { return {created: new Response('x', {status: 201}).statusText, ok: new Response('x').statusText, teapot: new Response('', {status: 418}).statusText, given: new Response('', {status: 500, statusText: 'Boom'}).statusText, okFlag: new Response('', {status: 404}).ok} }",
    ),
    Case(
        "body_read_twice",
        _catch("const r = await fetch(s.base + '/echo'); await r.text(); await r.text()"),
    ),
    Case("get_with_a_body", _catch("await fetch(s.base + '/echo', {body: 'x'})")),
    Case("head_with_a_body", _catch("new Request(s.base + '/echo', {method: 'HEAD', body: 'x'})")),
    Case("relative_url", _catch("await fetch('/relative/path')")),
    Case("not_http", _catch("await fetch('ftp://example.com/file')")),
    Case(
        "headers_iteration_is_sorted",
        "async function onTrack(e) { const h = new Headers({Zeta: '1', alpha: '2', 'X-Mid': '3'}); h.append('beta', '4'); h.append('alpha', '5'); const each = []; h.forEach((v, k) => each.push(k + '=' + v)); return {each, keys: [...h.keys()], values: [...h.values()], entries: [...h.entries()], raw: h.raw(), alpha: h.get('ALPHA'), has: h.has('x-mid')} }",
    ),
    Case(
        "response_headers",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/echo'); return {keys: [...r.headers.keys()].filter(k => k !== 'date'), type: r.headers.get('Content-Type'), test: r.headers.get('x-test'), missing: r.headers.get('nope')} }",
    ),
    Case(
        "retry_on_500",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/status?code=500'); if (r.status >= 500 || r.status === 429) throw new RetryError(`Failed with ${r.status} ${r.statusText}`); return e }",
    ),
    Case(
        "retry_on_429",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/status?code=429'); if (r.status >= 500 || r.status === 429) throw new RetryError(`Failed with ${r.status}`); return e }",
    ),
    Case(
        "no_content",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/status?code=204'); return {status: r.status, ok: r.ok, text: await r.text(), statusText: r.statusText} }",
    ),
    Case("connection_refused", _catch("await fetch(s.closed + '/x')")),
    Case(
        "post_json",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/echo', {method: 'POST', headers: {'Content-Type': 'application/json', Authorization: `Basic ${btoa('key:')}`}, body: JSON.stringify(e)}); const j = await r.json(); return {ok: r.ok, status: r.status, echoed: JSON.parse(j.body), type: j.contentType} }",
    ),
    Case(
        "post_without_body",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/echo', {method: 'POST'}); return await r.json() }",
    ),
    Case(
        "url_search_params_body",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/echo?x=1', {method: 'POST', body: new URLSearchParams({a: '1', b: 'two words'})}); return await r.json() }",
    ),
    Case(
        "request_object_and_clone",
        "async function onTrack(e, s) { const req = new Request(s.base + '/echo', {method: 'PUT', headers: {'x-custom': 'c'}, body: 'payload'}); const r = await fetch(req); const c = r.clone(); return {a: (await r.json()).body, b: (await c.json()).method, method: req.method, url: req.url} }",
    ),
    Case(
        "form_data_body",
        "async function onTrack(e, s) { const form = new FormData(); form.append('name', 'value'); form.append('n', 42); const r = await fetch(s.base + '/echo', {method: 'POST', body: form}); const j = await r.json(); const boundary = j.contentType.split('boundary=')[1]; return {type: j.contentType.split(';')[0], body: j.body.split(boundary).join('B'), headers: Object.keys(form.getHeaders())} }",
    ),
    Case(
        "xml_global",
        "async function onTrack(e) { return {a: xml({root: [{_attr: {id: 1}}, {item: 'x & y'}]}), b: xml([{a: [{b: 'c'}]}], {declaration: true}), c: xml({x: 1}, true)} }",
    ),
    Case(
        "oauth_global",
        "async function onTrack(e) { const o = OAuth({consumer: {key: 'ck', secret: 'cs'}, signature_method: 'HMAC-SHA1', hash_function(base, key) { return crypto.createHmac('sha1', key).update(base).digest('base64') }}); const data = o.authorize({url: 'https://api.example.com/1/x?y=2', method: 'POST', data: {status: 'hi'}}, {key: 'tk', secret: 'ts'}); return {keys: Object.keys(data).sort(), method: data.oauth_signature_method, header: Object.keys(o.toHeader(data)), enc: o.percentEncode('a b!*')} }",
    ),
    Case(
        "set_interval",
        "async function onTrack(e) { let n = 0; await new Promise(resolve => { const t = setInterval(() => { n += 1; if (n === 3) { clearInterval(t); resolve() } }, 5) }); return {n} }",
    ),
    Case(
        "set_timeout_order",
        "async function onTrack(e) { const order = []; await new Promise(resolve => { setTimeout(() => order.push('late'), 30); setTimeout(() => order.push('early'), 5); const c = setTimeout(() => order.push('never'), 1); clearTimeout(c); setTimeout(resolve, 50) }); return {order} }",
    ),
    Case(
        "abandoned_request",
        "async function onTrack(e, s) { const winner = await Promise.race([fetch(s.base + '/slow?ms=1500').then(() => 'fetch'), new Promise(r => setTimeout(() => r('timer'), 150))]); return {winner} }",
    ),
    Case("invalid_url", _catch("new URL('not a url')")),
    Case(
        "url_parts",
        "async function onTrack(e) { const u = new URL('https://user:pw@api.example.com:8443/a/b?x=1&y=2#h'); u.searchParams.append('z', '3'); return {host: u.host, path: u.pathname, search: u.search, href: u.href, origin: u.origin} }",
    ),
    Case(
        "console_formats",
        "class Point { constructor() { this.x = 1; this.y = 'two' } }\nasync function onTrack(e) { console.log(new Map([['k', 1], ['j', {deep: {deeper: {deepest: 1}}}]]), new Set(['a'])); console.log({a: {b: {c: {d: 1}}}}, [1, 'x', null, undefined]); console.log(new Date(0), new Point(), Object.create(null)); console.log('%s has %d items and %i, %j', 'cart', 3.5, 7.9, {a: 1}, 'extra'); console.info('info', 1n, Symbol('s')); console.warn(['a'.repeat(3)], {'key with space': true, nested: [[[[1]]]]}); console.error('error line', new Array(120).fill(0)); console.debug(e.properties, 'it\\'s', () => 1, async function named() {}); }",
    ),
    Case(
        "error_classes",
        "async function onTrack(e) { const kinds = {v: ValidationError, d: DropEvent, n: EventNotSupported, i: InvalidEventPayload, r: RetryError}; throw new kinds[e.properties.kind]('because ' + e.properties.kind) }",
        [{**TRACK, "properties": {"kind": k}} for k in "vdnir"],
    ),
    Case(
        "plain_errors",
        # (Not JSON.parse errors: V8 14 adds "(line 1 column 2)" to Node 20's wording.)
        "async function onTrack(e) { if (e.properties.n === 1) return null.x; if (e.properties.n === 2) throw 'a string'; if (e.properties.n === 3) throw new TypeError('typed'); return notDefined() }",
        [{**TRACK, "properties": {"n": n}} for n in range(1, 5)],
    ),
    Case(
        "unsupported_event_type",
        "async function onTrack(e) { return e }",
        [{"type": "identify", "userId": "u1"}, {"type": "page"}],
    ),
    Case(
        "filtered_and_destination",
        "async function onTrack(e) { if (e.properties.total > 5) return; return e }",
        [TRACK, {**TRACK, "properties": {"total": 1}}],
    ),
    Case(
        "destination_kind",
        "async function onTrack(e, s) { await fetch(s.base + '/echo', {method: 'POST', body: JSON.stringify({u: e.userId})}); console.log('sent', e.userId) }",
        kind="destination",
    ),
    Case(
        "lodash_buffer_crypto",
        "async function onTrack(e) { return {get: _.get(e, 'properties.total'), chunk: _.chunk([1, 2, 3], 2), b64: Buffer.from('héllo').toString('base64'), hex: Buffer.from('ab').toString('hex'), hmac: crypto.createHmac('sha256', 'k').update('v').digest('hex'), md5: crypto.createHash('md5').update('x').digest('base64'), atob: atob(btoa('hi')), window: window === globalThis} }",
    ),
    Case("fetch_timeout_option", _catch("await fetch(s.base + '/slow?ms=600', {timeout: 50})")),
    Case(
        "fetch_size_option",
        _catch("const r = await fetch(s.base + '/big?bytes=100', {size: 5}); await r.text()"),
    ),
    Case(
        "buffer_and_array_buffer_bodies",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/utf8'); const b = await r.buffer(); const r2 = await fetch(s.base + '/utf8'); const ab = await r2.arrayBuffer(); return {len: b.length, abLen: ab.byteLength, text: b.toString('utf8')} }",
    ),
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _node_modules_ready() -> None:
    if shutil.which("node") is None or not (REFERENCE / "node_modules" / "node-fetch").is_dir():
        message = "the Node.js reference is not installed: run `make install` (npm ci in tests/functions/runtime/node_reference)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _run_node(case: Case, settings: dict[str, Any]) -> list[dict[str, Any]]:
    payload = {"code": case.code, "kind": case.kind, "events": case.events, "settings": settings}
    done = subprocess.run(
        ["node", str(REFERENCE / "harness.js")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REFERENCE,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["results"]


def _run_sandbox(case: Case, settings: dict[str, Any]) -> list[dict[str, Any]]:
    result = run(
        case.code,
        case.events,
        kind=case.kind,
        settings=settings,
        batch=len(case.events) > 1,
        cache_key=f"differential-{case.name}",
    )
    return [
        {
            "status": r.status,
            "error": r.error,
            "output": r.output,
            # The runtime adds the error's stack (the user's frames) to the logs.
            "logs": [line for line in r.logs if "\n    at " not in line],
        }
        for r in result.results
    ]


COMPARED_HEADERS = ("content-type", "authorization", "accept", "user-agent", "content-length")


def _received(server: Server) -> list[dict[str, Any]]:
    """What the server received, with form-data's random boundary made constant."""
    # A request a handler gave up on may still be on its way to the server's threads.
    time.sleep(0.15)
    hits = []
    for hit in server.hits:
        headers = {
            k: v for k, v in hit["headers"].items() if k in COMPARED_HEADERS or k.startswith("x-")
        }
        body = hit["body"].decode("utf-8", "replace")
        boundary = re.search(r"boundary=(\S+)", headers.get("content-type", ""))
        if boundary:
            body = body.replace(boundary[1], "B")
            headers["content-type"] = headers["content-type"].replace(boundary[1], "B")
        hits.append(
            {"method": hit["method"], "path": hit["path"], "body": body, "headers": headers}
        )
    return hits


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_differential_sandbox_agrees_with_node(
    case: Case, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _node_modules_ready()
    # One warm module, as the reference harness has.
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "1")
    settings = {"base": server.base, "closed": f"http://127.0.0.1:{_closed_port()}"}
    sandbox = _run_sandbox(case, settings)
    sent_by_sandbox = _received(server)
    server.hits.clear()
    node = _run_node(case, settings)
    sent_by_node = _received(server)
    assert sandbox == node
    assert sent_by_sandbox == sent_by_node


def test_differential_corpus_covers_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
