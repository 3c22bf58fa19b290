# ruff: noqa: E501  (handlers are JavaScript source kept on one line each)
"""Secrets never come back from a run, in any of the forms they take in text."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from functions.runtime.redaction import REDACTED, redact, secret_texts
from tests.functions.runtime.conftest import Server, run

SECRET = 'sk "live"\\n\nké/y+1'

# Every form a function can log; `s` is the secret, `u` a user name of each alignment.
FORMS_JS = r"""
const s = settings.apiKey
const forms = [
  s,
  JSON.stringify(settings),
  JSON.stringify({nested: {key: s}}),
  encodeURIComponent(s),
  new URLSearchParams({k: s}).toString(),
  escape(s),
  Buffer.from(s).toString('base64'),
  Buffer.from('xy:' + s).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  Buffer.from('a:' + s).toString('base64'),
  Buffer.from('ab:' + s).toString('base64'),
  Buffer.from('abc:' + s).toString('base64'),
  'Basic ' + Buffer.from('user:' + s).toString('base64'),
  Buffer.from('xy' + s + 'tail').toString('base64'),
  Buffer.from(s).toString('hex'),
]
"""


def _assert_clean(text: str) -> None:
    data = SECRET.encode()
    for form in [
        SECRET,
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        quote(SECRET, safe=""),
        quote_plus(SECRET, safe=""),
        base64.b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode(),
        data.hex(),
    ]:
        assert form not in text, (form, text)
    assert "sk " not in text and "live" not in text


def test_redaction_every_logged_form_is_hidden() -> None:
    code = FORMS_JS.join(
        [
            "async function onTrack(e, settings) {",
            "forms.forEach(f => console.log(f)); console.log({settings}); return e }",
        ]
    )
    result = run(code, {"type": "track"}, settings={"apiKey": SECRET}, sensitive_values=[SECRET])
    logs = result.results[0].logs
    assert len(logs) == 15 and all(REDACTED in line for line in logs), logs
    _assert_clean("\n".join(logs))
    _assert_clean("\n".join(result.logs))


def test_redaction_thrown_error_messages_are_hidden() -> None:
    code = FORMS_JS.join(
        ["async function onTrack(e, settings) {", "throw new Error(forms.join(' | ')) }"]
    )
    result = run(code, {"type": "track"}, settings={"apiKey": SECRET}, sensitive_values=[SECRET])
    event = result.results[0]
    assert event.status == "bad_request"
    _assert_clean(json.dumps(event.error) + event.error["message"])
    _assert_clean("\n".join(event.logs))  # the stack trace goes to the logs


def test_redaction_fetch_url_header_and_body_leave_no_trace(server: Server) -> None:
    code = FORMS_JS.join(
        [
            "async function onTrack(e, settings) {",
            f"""
      for (const f of forms.slice(0, 6)) {{
        // /utf8 answers a fixed text: a receiver that echoes a secret back decoded in
        // its own way (escape()'s Latin-1 read as UTF-8) is beyond what redaction can spot.
        await fetch('{server.base}/utf8?k=' + encodeURIComponent(f) + '&r=' + escape(f), {{method: 'POST', headers: {{authorization: 'Basic ' + Buffer.from('u:' + s).toString('base64'), 'x-key': encodeURIComponent(s)}}, body: JSON.stringify({{f}})}})
      }}
      // (A secret spelled into a host name is split by node-fetch's URL parser at its first
      // character a host cannot hold, a form the redaction cannot follow: the path only.)
      await fetch('http://secret-in-path.invalid/' + s).catch(err => console.log(err.message))
      throw new Error('failed for ' + s)
    }}""",
        ]
    )
    result = run(code, {"type": "track"}, settings={"apiKey": SECRET}, sensitive_values=[SECRET])
    event = result.results[0]
    assert len(server.hits) == 6, (
        event.error,
        event.logs,
    )  # the secret did reach the server it was meant for
    stored = json.dumps(
        [event.error, event.logs, event.requests, result.logs, result.requests], ensure_ascii=False
    )
    _assert_clean(stored)
    _assert_clean(json.dumps([event.requests, event.logs]))


@pytest.mark.parametrize("secret", ["Q", "Zq", "Q7x"])
def test_redaction_short_secrets_are_still_hidden(secret: str) -> None:
    code = (
        "async function onTrack(e, s) { console.log('key=' + s.k + ' json=' + JSON.stringify(s)) }"
    )
    result = run(
        code,
        {"type": "track"},
        kind="destination",
        settings={"k": secret},
        sensitive_values=[secret],
    )
    [line] = result.results[0].logs
    assert line == f'key={REDACTED} json={{"k":"{REDACTED}"}}'


def test_redaction_setting_values_of_every_type_become_texts() -> None:
    assert secret_texts(["a", ["b", "c"], {"h": "v"}, None, "", 42, True]) == (
        "a",
        "b",
        "c",
        "h",
        "v",
        "42",
    )


def test_redaction_leaves_other_text_alone() -> None:
    assert (
        redact("nothing secret here, base64 aGVsbG8=", ["s3cr3t-value"])
        == "nothing secret here, base64 aGVsbG8="
    )
