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
import random
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

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


# URLs as node-fetch 2.7 normalises them on Node.js (WHATWG `new URL()`, then the legacy
# url.parse whose escaping and path Node's http module sends). Each event names one URL;
# the server records the raw request line, so the comparison is byte for byte.
FETCH_URL = "async function onTrack(e, s) { const u = e.properties.url.split('PORT').join(s.port); try { const r = await fetch(u, {headers: e.properties.headers || {}}); const j = await r.json(); return {status: r.status, url: r.url.split(s.port).join('PORT'), path: j.path, query: j.query} } catch (err) { return {name: err.name, type: err.type === undefined ? null : err.type, code: err.code === undefined ? null : err.code, message: err.message.split(s.port).join('PORT')} } }"

# Only the URL node-fetch's Request makes of an input (hosts that are not reachable here).
REQUEST_URL = "async function onTrack(e, s) { const p = e.properties; try { let input = p.url; if (p.as === 'URL') input = new URL(p.url); if (p.as === 'Request') input = new Request(new Request(p.url)); if (p.as === 'href') input = {href: p.url}; const r = new Request(input); return {url: r.url} } catch (err) { return {name: err.name, code: err.code === undefined ? null : err.code, message: err.message, input: err.input === undefined ? null : err.input} } }"


def _urls(*urls: str, **properties: Any) -> list[dict[str, Any]]:
    return [{**TRACK, "properties": {"url": u, **properties}} for u in urls]


LOCAL = "http://127.0.0.1:PORT"

URL_CASES = [
    Case(
        "url_paths_escaped_as_node",
        FETCH_URL,
        _urls(
            *(
                LOCAL + path
                for path in (
                    "/echo/o'brien|^{x} y\\z",
                    "/echo/a/./b/../c/..",
                    "/echo/%2e%2E/x/.%2e/y",
                    "/echo/%7e%41%zz%/%%41",
                    "/echo/a%2Fb/%25/%",
                    "/echo/[x]/~!$&()*+,;=:@/",
                    "/echo/a@b:c/d;p=1,2",
                    "/echo/\t\n/x\r",
                    "//echo//double//",
                    "/echo/\\back\\slash",
                    '/echo/ spaces /and"quotes"<>`',
                    "/echo/\u007f\u0001",
                    "/echo/a?b?c",
                    "/echo/..%2F..%2Fetc",
                    "/echo/;x=1/%3B",
                    "/echo/\u00ff\u0100",
                )
            )
        ),
    ),
    Case(
        "url_unicode_and_encoded_paths",
        FETCH_URL,
        _urls(
            *(
                LOCAL + path
                for path in (
                    "/echo/ü/日本",
                    "/echo/a\u0308/é",
                    "/echo/%F0%9F%98%80/%c3%a9",
                    "/echo/😀",
                    "/echo/\u00a0/\u2028",
                )
            )
        ),
    ),
    Case(
        "url_queries_escaped_as_node",
        FETCH_URL,
        _urls(
            *(
                LOCAL + path
                for path in (
                    "/echo?q='\"<>`{}|^\\ []",
                    "/echo?a=1&a=2&b=%20+c&d",
                    "/echo?é=ö&emoji=😀",
                    "/echo?x=\\y#frag\\ment",
                    "/echo?",
                    "/echo??x=?",
                    "/echo?%zz=%",
                    "/echo#frag",
                    "/echo?x#y",
                )
            )
        ),
    ),
    Case(
        "url_hosts_ports_and_userinfo",
        FETCH_URL,
        _urls(
            "HTTP://127.0.0.1:PORT/echo",
            "http://0x7f.1:PORT/echo",
            "http://2130706433:PORT/echo",
            "http://0177.0.0.1:PORT/echo",
            "http://127.1:PORT/echo",
            "http:127.0.0.1:PORT/echo",
            "http:\\\\127.0.0.1:PORT\\echo",
            "  http://127.0.0.1:PORT/echo  ",
            "http://127.0.0.1:0PORT/echo",
            "http://user:p%40ss@127.0.0.1:PORT/echo",
            "http://user@127.0.0.1:PORT/echo",
            "http://u%C3%A9:x@127.0.0.1:PORT/echo",
            "http://:pw@127.0.0.1:PORT/echo",
        ),
    ),
    Case(
        "url_redirect_targets",
        FETCH_URL,
        _urls(
            *(
                LOCAL + "/redirect?to=" + quote(location, safe="")
                for location in (
                    "/landing/o'b|x?y=^",
                    "/a/./b/../c",
                    "/ü/日本?ü=1",
                    "/sp ace/{x}?q=a b",
                    "echo/relative?x=1",
                    "?only=query",
                    "//127.0.0.1:PORT/echo/scheme-relative",
                    "http://0x7f.1:PORT/echo/obfuscated",
                    "/back\\slash",
                )
            )
        ),
    ),
    Case(
        "url_userinfo_does_not_replace_an_authorization_header",
        FETCH_URL,
        _urls("http://user:pw@127.0.0.1:PORT/echo", headers={"Authorization": "Bearer t"}),
    ),
    Case(
        "url_invalid_or_relative_is_an_error",
        FETCH_URL,
        _urls(
            "http://exa mple.com/",
            "http://[::1/",
            "http://example.com:99999/",
            "http://1.2.3.4.5/",
            "http://%zz/",
            "http://",
            "/relative/path",
            "relative/path",
            "//127.0.0.1:PORT/echo",
            "127.0.0.1:PORT/echo",
            "",
            "ftp://127.0.0.1:PORT/echo",
            "mailto:a@b.c",
            "data:text/plain,hi",
        ),
    ),
    Case(
        "request_url_hosts",
        REQUEST_URL,
        _urls(
            "http://Bücher.DE/ü",
            "http://xn--bcher-kva.de/",
            "http://faß.de/",
            "http://例子.测试/路径",
            "http://☃.net/",
            "http://ex%41mple.com/",
            "http://EXAMPLE.com./x",
            "http://example.com../x",
            "http://a..b/",
            "http://example.com:80/x",
            "https://example.com:443/x",
            "https://example.com:80/x",
            "http://example.com:0080/x",
            "http://[::1]:8080/x",
            "http://[0:0::1]/",
            "http://[::ffff:127.0.0.1]/",
            "https://user:pass@example.com/",
            "http://example.com?q",
            "http://example.com#f",
            "http://xn--/",
            "http://xn--a.com/",
            "http://-x-.com/",
            "http://under_score.com/",
            "http://EXAMPLE.COM/%7Efoo",
            "HTTPS://EXAMPLE.COM:443",
            "http://example.com/a b#f g",
        ),
    ),
    Case(
        "request_url_objects",
        REQUEST_URL,
        [
            *_urls("http://example.com/a b?c d#e f", "http://Bücher.de/ü?ü#ü", as_="x"),
            *_urls(
                "http://example.com/a b?c d#e f", "http://Bücher.de/ü?ü#ü", "http://a/..", as_="URL"
            ),
            *_urls("http://example.com/o'brien|^{x} y\\z", "http://Bücher.de/ü?ü#ü", as_="Request"),
            *_urls("http://example.com/o'brien|^{x} y\\z", "/rel", as_="href"),
        ],
    ),
]


def _fuzz_urls(count: int) -> list[str]:
    """Seeded random URLs: half in the plain shape the prelude passes through without
    parsing (and its edges: dot segments, default ports, numeric last labels), half one
    odd character or piece away from it."""
    rng = random.Random(12)
    plain_hosts = [
        "example.com",
        "a-b.example.co",
        "x1.io",
        "-a.b-",
        "api.example.com",
        "b.123",
        "a.0x1f",
        "xn--bcher-kva.de",
        "localhost",
    ]
    hosts = [*plain_hosts, "EXAMPLE.com", "1.2.3.4", "api.example.com.", "b\u00fccher.de"]
    plain = ["a", "b9", "-", "_", ".", "..", "...", ".a", "a.", "~", "!$&()*+,;=", ":@"]
    odd = [
        "%2e",
        "%41",
        "%",
        "'",
        "|",
        "^",
        "{}",
        " ",
        "\\",
        "\u00e9",
        "[x]",
        "`",
        '"',
        "<>",
        "%zz",
        "?",
    ]
    urls = []
    for n in range(count):
        calm = n % 2 == 0
        pieces = plain if calm else plain + odd
        scheme = rng.choice(["http", "https"] if calm else ["http", "https", "HTTP", "hTTps"])
        port = rng.choice(["", "", ":8080", ":80", ":443", ":65535", ":65536", ":08", ":0"])
        path = "".join(
            "/" + "".join(rng.choices(pieces, k=rng.randint(0, 3)))
            for _ in range(rng.randint(0, 4))
        )
        values = pieces + (["%", "%20", "?", "%zz", "%2e"] if calm else [])
        query = (
            ""
            if rng.random() < 0.4
            else "?"
            + "&".join(
                f"{rng.choice(values)}={rng.choice(values)}" for _ in range(rng.randint(1, 3))
            )
        )
        fragment = "#" + rng.choice(pieces) if not calm and rng.random() < 0.2 else ""
        host = rng.choice(plain_hosts if calm else hosts)
        urls.append(f"{scheme}://{host}{port}{path}{query}{fragment}")
    return urls


URL_CASES.append(Case("request_url_fuzz", REQUEST_URL, _urls(*_fuzz_urls(300))))

for _case in URL_CASES:
    for _event in _case.events:
        if "as_" in _event["properties"]:
            _event["properties"]["as"] = _event["properties"].pop("as_")


# Handlers as people write them: node-fetch, lodash and the product's error classes.
ORDER = {
    **TRACK,
    "messageId": "m-1",
    "context": {"traits": {"email": "Ann@Example.com"}},
    "properties": {
        "total": 30,
        "currency": "eur",
        "products": [{"sku": "a-1", "price": 10, "qty": 2}, {"sku": "b 2", "price": 5, "qty": 2}],
    },
}

HANDLER_CASES = [
    Case(
        "handler_webhook_with_lodash_payload",
        "async function onTrack(e, s) { const body = {id: e.messageId, email: _.toLower(_.get(e, 'context.traits.email')), total: _.sumBy(e.properties.products, p => p.price * p.qty), skus: _.map(e.properties.products, 'sku'), currency: _.toUpper(e.properties.currency)}; const r = await fetch(`${s.base}/orders/${encodeURIComponent(body.email)}?${new URLSearchParams({skus: body.skus.join(',')})}`, {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Source': 'fn'}, body: JSON.stringify(body)}); if (!r.ok) throw new RetryError(`status ${r.status}`); const j = await r.json(); console.log('sent', j.path, r.status); return {...e, properties: {...e.properties, sent: j.query}} }",
        [ORDER],
    ),
    Case(
        "handler_validation_error_on_missing_fields",
        "async function onTrack(e) { if (!_.has(e, 'properties.total')) throw new ValidationError('total is required'); if (!_.isNumber(e.properties.total)) throw new InvalidEventPayload(`total must be a number, got ${typeof e.properties.total}`); return _.omit(e, ['context']) }",
        [ORDER, {**TRACK, "properties": {}}, {**TRACK, "properties": {"total": "10"}}],
    ),
    Case(
        "handler_drop_and_unsupported",
        "async function onTrack(e) { if (_.includes(['test', 'debug'], e.properties.env)) throw new DropEvent('test traffic'); return e }\nasync function onIdentify(e) { throw new EventNotSupported('identify is not supported by this destination') }\nasync function onPage(e) { return _.pick(e, ['type', 'name']) }",
        [
            {**TRACK, "properties": {"env": "test"}},
            {**TRACK, "properties": {"env": "prod"}},
            {"type": "identify", "userId": "u"},
            {"type": "page", "name": "Home", "userId": "u"},
            {"type": "group", "groupId": "g"},
        ],
    ),
    Case(
        "handler_retry_on_network_error",
        "async function onTrack(e, s) { try { await fetch(s.closed + '/x', {method: 'POST', body: '{}'}) } catch (err) { console.error('network', err.name, err.type, err.code); throw new RetryError(err.code) } }",
    ),
    Case(
        "handler_status_to_error_class",
        "async function send(s, code) { const r = await fetch(`${s.base}/status?code=${code}`); if (r.status === 429 || r.status >= 500) throw new RetryError(`${r.status} ${r.statusText}`); if (r.status === 400 || r.status === 422) throw new ValidationError(`rejected: ${(await r.json()).code}`); if (r.status === 404) throw new DropEvent('gone'); return r.status }\nasync function onTrack(e, s) { return {status: await send(s, e.properties.code)} }",
        [{**TRACK, "properties": {"code": c}} for c in (200, 201, 400, 404, 422, 429, 500, 503)],
    ),
    Case(
        "handler_parallel_fetches",
        "async function onTrack(e, s) { const rs = await Promise.all(_.range(4).map(i => fetch(`${s.base}/item/${i}?sku=${encodeURIComponent(e.properties.products[i % 2].sku)}`, {method: 'PUT', body: JSON.stringify({i})}))); const js = await Promise.all(rs.map(r => r.json())); return {paths: _.sortBy(js.map(j => j.path)), bodies: _.sortBy(js.map(j => j.body))} }",
        [ORDER],
    ),
    Case(
        "handler_batch_chunks",
        "async function onTrack(e, s) { const chunks = _.chunk(e.properties.products, 1); for (const [i, c] of chunks.entries()) { await fetch(s.base + '/batch/' + i, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(c)}) } console.info('chunks', chunks.length) }",
        [ORDER],
        kind="destination",
    ),
    Case(
        "handler_error_class_properties",
        "async function onTrack(e) { const out = {}; for (const C of [EventNotSupported, InvalidEventPayload, ValidationError, RetryError, DropEvent]) { const err = new C('m'); out[C.name] = {name: err.name, message: err.message, isError: err instanceof Error, own: err instanceof C, str: String(err)} } return out }",
    ),
    Case(
        "handler_thrown_from_a_then_chain",
        "async function onTrack(e, s) { return fetch(s.base + '/status?code=422').then(r => r.json()).then(j => { throw new InvalidEventPayload('bad: ' + j.code) }) }",
    ),
    Case(
        "handler_headers_and_response_json",
        "async function onTrack(e, s) { const h = new Headers(); h.set('X-Api-Key', 'k'); h.append('x-multi', 'a'); h.append('x-multi', 'b'); const r = await fetch(new Request(s.base + '/echo?q=' + encodeURIComponent(\"o'b\"), {headers: h, method: 'PATCH', body: _.join(['a', 'b'], '|')})); const j = await r.json(); return {j: _.pick(j, ['method', 'path', 'query', 'body']), ct: r.headers.get('content-type'), url: r.url.replace(s.base, '')} }",
    ),
    Case(
        "handler_lodash_transforms",
        "async function onTrack(e) { return {grouped: _.groupBy(e.properties.products, p => p.price > 5 ? 'big' : 'small'), keyed: _.keyBy(e.properties.products, 'sku'), merged: _.merge({a: {b: 1}}, {a: {c: 2}}), snake: _.mapKeys({firstName: 1, lastName: 2}, (v, k) => _.snakeCase(k)), uniq: _.uniqBy([{x: 1}, {x: 1}, {x: 2}], 'x'), tmpl: _.template('hi <%= n %>')({n: 'x'}), deb: typeof _.debounce(() => 1, 10), set: _.set({}, 'a.b[0].c', 1)} }",
        [ORDER],
    ),
    Case(
        "handler_logs_with_errors",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/status?code=500'); console.log('status', r.status, r.ok, r.statusText); console.warn(_.pick(e, ['type', 'event'])); try { throw new RetryError('again') } catch (err) { console.log(err.name, err.message) } throw new RetryError('giving up after ' + r.status) }",
    ),
    Case(
        "handler_get_with_built_query",
        "async function onTrack(e, s) { const q = _.map(_.toPairs({email: e.context.traits.email, 'tag[]': 'a b', note: \"it's|^{}\"}), ([k, v]) => `${k}=${v}`).join('&'); const r = await fetch(`${s.base}/lookup/${e.context.traits.email}?${q}`); const j = await r.json(); if (!j.query.email) throw new ValidationError('lookup failed'); return {path: j.path, query: j.query} }",
        [ORDER],
    ),
    Case(
        "handler_redirect_keeps_semantics",
        "async function onTrack(e, s) { const r = await fetch(s.base + '/redirect?to=' + encodeURIComponent('/landing/o\\'b|x?y=^'), {method: 'POST', body: 'x'}); const j = await r.json(); return {status: r.status, redirected: r.redirected, method: j.method, path: j.path, url: r.url.replace(s.base, '')} }",
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


COMPARED_HEADERS = (
    "content-type",
    "authorization",
    "accept",
    "user-agent",
    "content-length",
    "host",
)


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
            {"method": hit["method"], "target": hit["target"], "body": body, "headers": headers}
        )
    # Concurrent requests reach the server in no fixed order.
    return sorted(hits, key=lambda h: json.dumps(h, sort_keys=True))


@pytest.mark.parametrize("case", [*CASES, *URL_CASES, *HANDLER_CASES], ids=lambda c: c.name)
def test_differential_sandbox_agrees_with_node(
    case: Case, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _node_modules_ready()
    # One warm module, as the reference harness has.
    monkeypatch.setenv("FUNCTIONS_CONTEXTS_PER_VERSION", "1")
    settings = {
        "base": server.base,
        "port": str(server.port),
        "closed": f"http://127.0.0.1:{_closed_port()}",
    }
    sandbox = _run_sandbox(case, settings)
    sent_by_sandbox = _received(server)
    server.hits.clear()
    node = _run_node(case, settings)
    sent_by_node = _received(server)
    assert sandbox == node
    assert sent_by_sandbox == sent_by_node


def test_differential_corpus_covers_enough_cases() -> None:
    cases = [*CASES, *URL_CASES, *HANDLER_CASES]
    assert len(CASES) >= 30 and len(URL_CASES) >= 8 and len(HANDLER_CASES) >= 12
    assert sum(len(c.events) for c in URL_CASES) >= 100
    assert len({c.name for c in cases}) == len(cases)
