"""The settings schema of a function and the values an instance gives it."""

import re
from typing import Any

from workspace.errors import InvalidInput

SETTING_TYPES = ("STRING", "BOOLEAN", "ARRAY", "TEXT_MAP")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_FIELDS = ("name", "label", "description", "type", "required", "sensitive")
MASK_CHAR = "•"


def validate_settings_schema(raw: Any) -> list[dict[str, Any]]:
    """A normalised copy of `raw`, or InvalidInput naming the setting at fault."""
    if not isinstance(raw, list):
        raise InvalidInput("settings must be a list", field="settings")
    seen: set[str] = set()
    return [_validate_setting(item, index, seen) for index, item in enumerate(raw)]


def _validate_setting(item: Any, index: int, seen: set[str]) -> dict[str, Any]:
    where = f"settings[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object", field=where)
    unknown = set(item) - set(_FIELDS)
    if unknown:
        raise InvalidInput(f"{where} has unknown fields: {', '.join(sorted(unknown))}", field=where)
    name = item.get("name")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise InvalidInput(
            f"{where}.name {name!r} is not a JavaScript identifier", field=f"{where}.name"
        )
    if name in seen:
        raise InvalidInput(f"{where}.name {name!r} is a duplicate", field=f"{where}.name")
    seen.add(name)
    kind = item.get("type", "STRING")
    if kind not in SETTING_TYPES:
        raise InvalidInput(
            f"{where}.type {kind!r} is not one of {', '.join(SETTING_TYPES)}", field=f"{where}.type"
        )
    for flag in ("required", "sensitive"):
        if not isinstance(item.get(flag, False), bool):
            raise InvalidInput(f"{where}.{flag} must be a boolean", field=f"{where}.{flag}")
    for text in ("label", "description"):
        if not isinstance(item.get(text, ""), str):
            raise InvalidInput(f"{where}.{text} must be a string", field=f"{where}.{text}")
    return {
        "name": name,
        "label": item.get("label") or name,
        "description": item.get("description", ""),
        "type": kind,
        "required": item.get("required", False),
        "sensitive": item.get("sensitive", False),
    }


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "STRING":
        return isinstance(value, str)
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    if kind == "ARRAY":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def setting_value_errors(schema: list[dict[str, Any]], values: dict[str, Any]) -> list[str]:
    """Every way `values` breaks `schema`: unknown names, missing required, wrong types."""
    by_name = {s["name"]: s for s in schema}
    errors = [f"settings.{name}: unknown setting" for name in values if name not in by_name]
    for name, spec in by_name.items():
        value = values.get(name)
        if value is None or value == "":
            if spec["required"]:
                errors.append(f"settings.{name}: required setting is missing")
            continue
        if not _type_ok(spec["type"], value):
            errors.append(f"settings.{name}: expected {spec['type']}")
    return errors


def validate_setting_values(schema: list[dict[str, Any]], values: Any) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise InvalidInput("settings must be an object", field="settings")
    errors = setting_value_errors(schema, values)
    if errors:
        raise InvalidInput("; ".join(errors), field=errors[0].split(":")[0])
    return values


def sensitive_names(schema: list[dict[str, Any]]) -> set[str]:
    return {s["name"] for s in schema if s.get("sensitive")}


def mask(value: Any) -> str:
    """Bullets and the last four characters, as the reference API shows secrets."""
    text = value if isinstance(value, str) else str(value)
    return MASK_CHAR * 10 + (text[-4:] if len(text) > 8 else "")


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MASK_CHAR * 4)
