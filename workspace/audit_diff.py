"""A readable form of an audit event's diff for the console: code as a unified diff, the
settings schema per setting, every other field as before → after; a redacted value that
changed reads "changed", never a value."""

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from workspace.audit import REDACTED

CODE_FIELDS = {"code"}
SCHEMA_FIELDS = {"settings_schema", "settings"}


@dataclass
class DiffLine:
    name: str
    before: str = ""
    after: str = ""
    changed_secret: bool = False
    unified: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _is_redacted(value: Any) -> bool:
    return isinstance(value, str) and REDACTED in value


def _unified(before: Any, after: Any) -> list[str]:
    old = (before or "").splitlines()
    new = (after or "").splitlines()
    return list(difflib.unified_diff(old, new, "before", "after", lineterm="", n=2))


def _by_name(items: Any) -> dict[str, Any]:
    if isinstance(items, list):
        return {str(i.get("name")): i for i in items if isinstance(i, dict)}
    return dict(items) if isinstance(items, dict) else {}


def _schema_lines(name: str, before: Any, after: Any) -> list[DiffLine]:
    old, new = _by_name(before), _by_name(after)
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        if _is_redacted(old.get(key)) or _is_redacted(new.get(key)):
            lines.append(DiffLine(f"{name}.{key}", changed_secret=True))
        else:
            lines.append(DiffLine(f"{name}.{key}", _text(old.get(key)), _text(new.get(key))))
    return lines


def _is_change(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"from", "to"}


def _field_lines(name: str, change: Any) -> list[DiffLine]:
    if name == "secretsChanged" and isinstance(change, list):
        return [DiffLine(f"settings.{secret}", changed_secret=True) for secret in change]
    if isinstance(change, dict) and change and all(_is_change(v) for v in change.values()):
        return [line for key, v in change.items() for line in _field_lines(f"{name}.{key}", v)]
    if name in ("after", "before") and isinstance(change, dict):
        # A created or deleted resource: its fields one by one, code as added/removed lines.
        lines = []
        for key, value in change.items():
            if key in CODE_FIELDS and isinstance(value, str):
                old, new = ("", value) if name == "after" else (value, "")
                lines.append(DiffLine(key, unified=_unified(old, new)))
            else:
                lines.append(DiffLine(key, after=_text(value)))
        return lines
    if not _is_change(change):
        return [DiffLine(name, after=_text(change))]
    before, after = change["from"], change["to"]
    if _is_redacted(before) or _is_redacted(after) or "changed" in (before, after):
        return [DiffLine(name, changed_secret=True)]
    if name in CODE_FIELDS:
        return [DiffLine(name, unified=_unified(before, after))]
    if name in SCHEMA_FIELDS:
        return _schema_lines(name, before, after)
    return [DiffLine(name, _text(before), _text(after))]


def readable_diff(diff: Any) -> list[DiffLine]:
    if not isinstance(diff, dict):
        return [DiffLine("change", after=_text(diff))] if diff else []
    lines: list[DiffLine] = []
    for name, change in diff.items():
        lines.extend(_field_lines(str(name), change))
    return lines
