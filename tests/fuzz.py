"""Hypothesis strategies for hostile request bodies, built as raw JSON text (so they can hold
what `json.dumps` would never write: `1e400`, `NaN`, lone surrogate escapes, 3000 levels),
and the checks every fuzz test makes on an answer."""

import json
import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# Bounded so the fuzz tests run in CI in seconds (FUZZ_EXAMPLES=2000 for a longer local
# run); derandomized so a failure reproduces.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=True,
    # Shrinking a failure through the database takes minutes; the raw body is printed anyway.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_HOSTILE_TOKENS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1E+999",
    "9" * 400,
    "9" * 5000,
    "1" * 320 + ".0",
    '"\\ud800"',
    '"s\\ud800"',
    '"\\udc00"',
    '"\\ud83d\\ude80"',
    '"\\u0000"',
    '"a\\r\\nX-Injected: yes"',
    '"\\u2028\\u0085\\u007f\\u001b"',
    '"\\\\ud800"',
    "true",
    "null",
    "-0",
    "[]",
    "{}",
]

# Any code point: surrogates (Cs), controls (Cc), separators (Zl, Zp) included.
any_text = st.text(st.characters(codec=None), max_size=20)


def _string_token(text: str) -> str:
    # ensure_ascii writes a lone surrogate as its `\udXXX` escape, as a client would.
    return json.dumps(text)


leaves = st.one_of(
    st.sampled_from(_HOSTILE_TOKENS),
    any_text.map(_string_token),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: json.dumps(f)),
    st.booleans().map(json.dumps),
)


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{_string_token(k)}:{v}" for k, v in pairs) + "}"


def _deep(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(_array),
        st.lists(st.tuples(any_text, children), max_size=4).map(_object),
    ),
    max_leaves=12,
)
# One value in four is a plain nesting of 1 to 3000 levels (the limit is 64).
_nestings = st.integers(min_value=1, max_value=3000).map(_deep)
values = st.integers(min_value=0, max_value=3).flatmap(lambda i: _nestings if i == 0 else trees)


def mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """Left out one time in ten, hostile one in ten, else `valid`: one hostile member at a
    time gets past the others (one_of would weigh its branches alike, whatever repeats)."""
    choices: list[Any] = [st.none(), values, *[valid] * 8]
    return st.integers(min_value=0, max_value=9).flatmap(lambda i: choices[i])


def body(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[bytes]:
    """A JSON object whose members are each left out, well-formed or hostile (raw text)."""

    members = st.fixed_dictionaries({name: mostly(valid) for name, valid in fields.items()})
    extra = st.lists(st.tuples(any_text, values), max_size=1)
    return st.tuples(members, extra).map(
        lambda pair: _object(
            [(k, v) for k, v in pair[0].items() if v is not None] + list(pair[1])
        ).encode()
    )


def good(value: Any) -> st.SearchStrategy[str]:
    return st.just(json.dumps(value))


def bodies(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[bytes]:
    """Mostly objects of the endpoint's fields, sometimes any JSON text or broken bytes."""
    return st.one_of(
        body(fields),
        body(fields),
        body(fields),
        values.map(str.encode),
        st.binary(max_size=40),
    )


def assert_envelope(
    response: Any, *, allowed: set[str], top: frozenset[str] = frozenset({"errors"})
) -> None:
    """No 5xx, and a 4xx answers `{"errors": [{...}]}` (plus the `top` keys the API adds)
    with `allowed` keys in each item."""
    assert response.status_code < 500, response.content[:500]
    if response.status_code < 400:
        return
    payload = response.json()
    assert set(payload) == set(top), payload
    assert payload["errors"], payload
    for item in payload["errors"]:
        assert {"type", "message"} <= set(item) <= allowed, item
        assert isinstance(item["type"], str) and isinstance(item["message"], str)
