"""Rows handed to PostgreSQL column by column: a column whose value is the same in every row
travels once, as a parameter; any other as one text, its values one a line, split by
`string_to_array` and zipped with the other columns by `unnest`.

Measured with callgrind on PostgreSQL 15 (instructions of the backend per inserted row, 500
rows a statement): the rows as one JSON document of arrays, read back column by column,
124,900; as columns, 81,400. The document was parsed into jsonb whole (its lexer and
`jsonb_in` were a third of the backend's work for the insert) and every timestamp read from
its text again, though most columns of a worker's batch are the same in every row: its
destination, workspace, status, times. Python's side costs less too: a join per column,
in C, instead of a document of tuples.

A line never holds a line break: a text column with one travels as JSON strings, a line
each, read back with `#>> '{}'`; JSON (jsonb columns, the event's text) is written by
orjson or json, which escape line breaks. An empty line is NULL in columns whose values are
never empty text (times, numbers, JSON)."""

import json
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder

from workspace.infra.exact_json import compact_dumps
from workspace.stored_json import without_lone_surrogates

_KEY = itemgetter("destination_id", "message_id")


def fields_read(rows: list[Any], names: list[str]) -> list[Any]:
    """`names`' values of each row (a tuple a row, a bare value for one name), read from the
    instances' own dicts in C: a foreign key's id (`destination_id`) is a Django descriptor
    with a Python `__get__`, eight calls an event on the worker's path. A row whose dict
    lacks a field (deferred by `.only()`) is read through its attributes."""
    try:
        return list(map(itemgetter(*names), map(vars, rows)))
    except KeyError:
        return list(map(attrgetter(*names), rows))


def keys_of(rows: list[Any]) -> list[tuple[str, str]]:
    """(destination id, message id) of each row: the ledger's unique key."""
    return fields_read(rows, ["destination_id", "message_id"])


# Column kinds: a PostgreSQL type, or "json_text": a JSON value stored as its text.
JSON_TEXT = "json_text"


def json_text(value: Any) -> str:
    """Compact JSON, encoded by orjson (several times faster than json with DjangoJSONEncoder
    on the ledger's documents; datetimes keep their microseconds). What orjson refuses (an
    integer beyond 64 bits, a Decimal, a lone surrogate) falls back to json as before, with
    lone surrogates (a function's output or logs may hold one) as U+FFFD: PostgreSQL refuses
    the whole document otherwise, and the task with it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        safe = without_lone_surrogates(value)
        return json.dumps(safe, cls=DjangoJSONEncoder, separators=(",", ":"))


def _storable(text: str) -> str:
    """`text` as PostgreSQL can store it: a lone surrogate (which UTF-8 cannot carry) as
    U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return str(without_lone_surrogates(text))
    return text


def _json_texts(values: tuple[Any, ...]) -> str:
    try:
        return b"\n".join(map(orjson.dumps, values)).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return "\n".join(map(compact_dumps, values))


def _lines(values: tuple[Any, ...], kind: str) -> tuple[str, str]:
    """The values as one text, a line each, and how PostgreSQL reads a line `{}` back."""
    if kind == "text":
        joined = _storable("\n".join(values))
        if joined.count("\n") == len(values) - 1:
            return joined, "{}"
        # A value holds a line break: each as a JSON string.
        return "\n".join(map(json_text, values)), "({}::jsonb #>> '{{}}')"
    if kind == JSON_TEXT:
        return _json_texts(values), "{}"
    if kind == "jsonb":
        return "\n".join(map(json_text, values)), "{}::jsonb"
    if kind == "timestamptz":
        return "\n".join("" if v is None else v.isoformat() for v in values), "{}::timestamptz"
    return "\n".join("" if v is None else str(v) for v in values), f"{{}}::{kind}"


def _constant(value: Any, kind: str) -> Any:
    if kind == "text":
        return _storable(value)
    if kind == JSON_TEXT:
        return compact_dumps(value)
    if kind == "jsonb":
        return json_text(value)
    return value


class Columns:
    """`rows`' `columns` (name: kind) as a select list `select` (each column named, read from
    `source`) and the statement's `parameters`, those of the select list first. `always`
    names a column sent as lines even when it is the same in every row, so that `source`
    yields one row per row."""

    def __init__(self, rows: list[Any], columns: dict[str, str], always: str) -> None:
        constants: list[Any] = []
        lines: list[str] = []
        select, arrays = [], []
        by_column = zip(*fields_read(rows, list(columns)), strict=True)
        for (name, kind), values in zip(columns.items(), by_column, strict=True):
            first = values[0]
            if name != always and values.count(first) == len(values):
                cast = "text" if kind == JSON_TEXT else kind
                select.append(f"%s::{cast} AS {name}")
                constants.append(_constant(first, kind))
                continue
            text, read = _lines(values, kind)
            # An empty line is NULL where no value is empty text.
            empty_is_null = ", ''" if kind not in ("text", JSON_TEXT) else ""
            arrays.append(f"string_to_array(%s, E'\\n'{empty_is_null})")
            select.append(f"{read.format(f'r.c{len(lines)}')} AS {name}")
            lines.append(text)
        names = ", ".join(f"c{i}" for i in range(len(lines)))
        self.select = ", ".join(select)
        self.source = f"unnest({', '.join(arrays)}) AS r({names})"
        self.parameters = [*constants, *lines]
