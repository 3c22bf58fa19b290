"""The strict JSON parser of request bodies: depth measured on the text, values PostgreSQL
can store, and what it refuses."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import FUZZ
from workspace.json_input import MAX_JSON_DEPTH, JSONInputError, json_depth, json_parse


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


# Strings full of brackets, quotes and backslashes: what could fool a scan of the text.
tricky = st.text(st.sampled_from('[]{}"\\/u0d8ab x\n'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(tricky, children, max_size=3),
    max_leaves=20,
)


@FUZZ
@given(value=json_values, indent=st.sampled_from([None, 1]))
def test_json_depth_matches_the_parsed_nesting(value, indent):
    assert json_depth(json.dumps(value, indent=indent)) == _depth(value)


def test_json_parse_accepts_the_limit_and_refuses_one_more():
    assert json_parse("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    with pytest.raises(JSONInputError, match="deeper than 64 levels"):
        json_parse("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_json_parse_of_100000_levels_is_refused_without_recursion():
    with pytest.raises(JSONInputError, match="deeper than"):
        json_parse(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[NaN]", "NaN is not valid JSON"),
        (b"[Infinity]", "Infinity is not valid JSON"),
        (b"[1e400]", "the number 1e400 is out of range"),
        (b"[" + b"1" * 400 + b".5]", "is out of range"),
        (b'["\\ud800"]', "lone UTF-16 surrogate (\\ud800)"),
        (b'{"\\udc00": 1}', "lone UTF-16 surrogate (\\udc00)"),
        (b'["\\u0000"]', "NUL character"),
        (b"\xed\xa0\x80", "not valid UTF-8"),
        (b"[" + b"9" * 5000 + b"]", "malformed JSON"),
        (b"{", "malformed JSON"),
    ],
)
def test_json_parse_refuses_what_cannot_be_stored(raw, message):
    with pytest.raises(JSONInputError, match=re.escape(message)):
        json_parse(raw)


def test_json_parse_keeps_big_integers_pairs_and_escaped_backslashes():
    value = json_parse(b'[123456789012345678901234567890, "\\ud83d\\ude80", "\\\\ud800"]')
    assert value == [123456789012345678901234567890, "\U0001f680", "\\ud800"]
