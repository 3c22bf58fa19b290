# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from tests.functions.runtime.conftest import run


def evaluate(expression: str, **kwargs):
    code = f"async function onTrack(event, settings) {{ return {{value: await ({expression})}} }}"
    result = run(code, {"type": "track"}, **kwargs).results[0]
    assert result.status == "success", result.error
    return result.output["value"]


def test_globals_url_and_search_params() -> None:
    assert (
        evaluate("new URL('/a?b=1', 'https://example.com/x').href") == "https://example.com/a?b=1"
    )
    assert evaluate("new URLSearchParams({q: 'a b', n: 1}).toString()") == "q=a+b&n=1"


def test_globals_atob_btoa() -> None:
    assert evaluate("btoa('hello') + '|' + atob('aGVsbG8=')") == "aGVsbG8=|hello"


def test_globals_buffer() -> None:
    assert (
        evaluate("Buffer.from('héllo').toString('base64')")
        == base64.b64encode("héllo".encode()).decode()
    )


def test_globals_text_encoder_decoder() -> None:
    assert evaluate("Array.from(new TextEncoder().encode('é'))") == [0xC3, 0xA9]
    assert evaluate("new TextDecoder().decode(new Uint8Array([0xE2, 0x9C, 0x93]))") == "✓"


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_globals_crypto_create_hash(algorithm: str) -> None:
    expected = hashlib.new(algorithm, b"abc").hexdigest()
    assert evaluate(f"crypto.createHash('{algorithm}').update('abc').digest('hex')") == expected


def test_globals_crypto_create_hmac() -> None:
    expected = base64.b64encode(hmac.new(b"key", b"msg", hashlib.sha256).digest()).decode()
    assert evaluate("crypto.createHmac('sha256', 'key').update('msg').digest('base64')") == expected


def test_globals_crypto_random_uuid_is_v4_and_unique() -> None:
    values = evaluate("[crypto.randomUUID(), crypto.randomUUID()]")
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", v)
        for v in values
    )
    assert values[0] != values[1]


def test_globals_crypto_random_bytes_differ_between_runs_and_contexts() -> None:
    first = evaluate("crypto.randomBytes(16).toString('hex')", cache_key="rb")
    second = evaluate("crypto.randomBytes(16).toString('hex')", cache_key="rb")
    third = evaluate("crypto.randomBytes(16).toString('hex')")
    assert len({first, second, third}) == 3 and len(first) == 32


def test_globals_random_bytes_never_use_math_random() -> None:
    code = "Math.random = () => 0\nasync function onTrack(e) { return {v: crypto.randomBytes(8).toString('hex')} }"
    assert run(code, {"type": "track"}).results[0].output["v"] != "0" * 16


def test_globals_lodash() -> None:
    assert evaluate("_.chunk([1, 2, 3], 2)") == [[1, 2], [3]]


def test_globals_moment_with_timezones() -> None:
    value = evaluate("moment.tz('2020-06-01T12:00:00Z', 'America/New_York').format('HH:mm Z')")
    assert value == "08:00 -04:00"


def test_globals_console_levels() -> None:
    code = """async function onTrack(e) {
      console.log('a', 1, {b: 2}); console.info('i'); console.warn('w'); console.error('e'); console.debug('d')
      console.log('%s has %d items', 'cart', 3)
    }"""
    logs = run(code, {"type": "track"}, kind="destination").results[0].logs
    assert logs == [
        "a 1 { b: 2 }",
        # As Node prints them: no level prefix.
        "i",
        "w",
        "e",
        "d",
        "cart has 3 items",
    ]


def test_globals_set_timeout_runs_callbacks_in_order() -> None:
    code = """async function onTrack(e) {
      const order = []
      await new Promise(resolve => { setTimeout(() => order.push('late'), 30); setTimeout(() => { order.push('early') }, 5); setTimeout(resolve, 50) })
      const cleared = setTimeout(() => order.push('never'), 1); clearTimeout(cleared)
      await new Promise(r => setTimeout(r, 5))
      return {order}
    }"""
    assert run(code, {"type": "track"}).results[0].output == {"order": ["early", "late"]}


def test_globals_cache_load_and_delete() -> None:
    code = """let calls = 0
    async function onTrack(e) {
      const a = await cache.load('k', 60000, async () => ++calls)
      const b = await cache.load('k', 60000, async () => ++calls)
      cache.delete('k')
      const c = await cache.load('k', -1, async () => ++calls)
      const d = await cache.load('short', 0, async () => ++calls)
      const f = await cache.load('short', 0, async () => ++calls)
      return {values: [a, b, c, d, f]}
    }"""
    assert run(code, {"type": "track"}).results[0].output == {"values": [1, 1, 2, 3, 4]}


def test_globals_cache_persists_in_a_warm_context() -> None:
    code = "async function onTrack(e) { return {v: await cache.load('x', 60000, async () => e.n)} }"
    first = run(code, {"type": "track", "n": 1}, cache_key="cache-warm").results[0].output
    second = run(code, {"type": "track", "n": 2}, cache_key="cache-warm").results[0].output
    assert (first, second) == ({"v": 1}, {"v": 1})


@pytest.mark.parametrize(
    "name", ["require", "process", "module", "exports", "__timer_manager", "XMLHttpRequest"]
)
def test_globals_node_and_host_objects_are_absent(name: str) -> None:
    assert evaluate(f"typeof globalThis.{name} === 'undefined' && typeof {name}") == "undefined"


def test_globals_aws_is_a_reference_error_naming_what_is_missing() -> None:
    code = "async function onTrack(e) { try { new AWS.S3() } catch (err) { return {name: err.name, message: err.message} } }"
    output = run(code, {"type": "track"}).results[0].output
    assert output["name"] == "ReferenceError"
    assert "aws-sdk" in output["message"] and "fetch" in output["message"]


def test_globals_segment_emitters_and_window() -> None:
    code = "async function onTrack(e) { let message = null; try { Segment.track({event: 'x'}) } catch (err) { message = err.message } return {message, window: window === globalThis} }"
    output = run(code, {"type": "track"}).results[0].output
    assert output == {
        "message": "Segment.track() is only available in source functions",
        "window": True,
    }
