"""JSON read back from the database, made safe to show and send.

Ingest refuses lone UTF-16 surrogates (`workspace.json_input`), but a value can still hold
one: rows written before that, the embedded SQLite database (which keeps JSON as text, so
a `\\ud800` escape survives), or a function's output (a JavaScript string may hold a lone
surrogate). Python keeps it in a `str`, and the first UTF-8 encode of a page showing it
fails, so every list containing the row answered 500. Read back, each lone surrogate
becomes U+FFFD (the replacement character), the one substitution UTF-8 decoders make."""

import json
import re
from collections.abc import Callable
from typing import Any

import orjson
from django.db import models
from psycopg.types.json import Jsonb

from workspace.infra.exact_json import compact_dumps, exact_loads

_SURROGATE = re.compile("[\ud800-\udfff]")
# A dumped or stored text can only hold a lone surrogate as an escape (`\ud800`).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def without_lone_surrogates(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_lone_surrogates(item) for item in value]
    return value


class StoredJSONDecoder(json.JSONDecoder):
    """The JSONField decoder of rows that hold user data (events, handler logs)."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        value = super().decode(s, *args, **kwargs)
        # A surrogate pair decodes to one character outside the BMP, never a surrogate.
        return without_lone_surrogates(value) if _SURROGATE_ESCAPE.search(s) else value


def _orjson_or_json(encoder: type[json.JSONEncoder] | None) -> Callable[[Any], bytes | str]:
    def dumps(value: Any) -> bytes | str:
        try:
            return orjson.dumps(value)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return json.dumps(value, cls=encoder)

    return dumps


class StoredJSONField(models.JSONField):
    """A JSONField of user data (events, handler logs and requests): read back through
    StoredJSONDecoder; written on PostgreSQL through orjson (json's encoder was a fifth of
    the tracking API's Python time on a 500-event batch, dumping the outbox entry). What
    orjson refuses (an integer beyond 64 bits, a non-string key, a lone surrogate) is
    written by json as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("decoder", StoredJSONDecoder)
        super().__init__(*args, **kwargs)
        self._dumps = _orjson_or_json(self.encoder)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "as_sql"):
            return super().get_db_prep_value(value, connection, prepared=True)
        return Jsonb(value, dumps=self._dumps)


def stored_json_loads(text: str | bytes) -> Any:
    """The value of a stored JSON text, exactly as StoredJSONDecoder reads it (integers of any
    size, lone surrogates as U+FFFD), at orjson's speed wherever that is exact."""
    raw = text.encode() if isinstance(text, str) else text
    return exact_loads(raw, lambda: StoredJSONDecoder().decode(raw.decode()))


# The outbox's text: compact JSON (orjson, json for what it refuses).
stored_json_text = compact_dumps


# Field, not TextField: django-stubs types a field by the values it takes and gives (a
# TextField's are str), and Field unparameterised takes and gives any.
class StoredJSONTextField(models.Field):
    """JSON of user data that the database keeps as text and never looks inside (the outbox's
    events: written once, read back whole). PostgreSQL stores text as it comes; jsonb
    parses it first, which cost its backend about 3 us of CPU per event on the insert and
    1 us on the read (bench/ledger_write_bench.py's sizes). Read through
    `stored_json_loads`, so the values are those a StoredJSONField gives."""

    def get_internal_type(self) -> str:
        return "TextField"

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return value
        return stored_json_text(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else stored_json_loads(value)

    def to_python(self, value: Any) -> Any:
        return stored_json_loads(value) if isinstance(value, str) else value

    def value_to_string(self, obj: Any) -> str:
        return stored_json_text(self.value_from_object(obj))
