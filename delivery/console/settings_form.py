"""The form an instance's settings are filled in: generated from the function's settings
schema. Sensitive settings are password inputs showing the masked value; a masked value
sent back keeps the stored secret (the services merge it, as the Public API does)."""

import json
from typing import Any

from django import forms

from functions.schema import is_masked, mask

PREFIX = "setting_"


def _field(spec: dict[str, Any], initial: Any) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec["label"],
        "help_text": spec.get("description", ""),
        "required": bool(spec["required"]) and spec["type"] != "BOOLEAN",
    }
    kind = spec["type"]
    if spec.get("sensitive"):
        # The view passes masked values already; masking again is for callers that do not.
        shown = "" if initial in (None, "") else initial if is_masked(initial) else mask(initial)
        widget = forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"})
        return forms.CharField(widget=widget, initial=shown, strip=False, **common)
    if kind == "BOOLEAN":
        return forms.BooleanField(initial=bool(initial), **common)
    if kind == "ARRAY":
        common["help_text"] = f"{common['help_text']} One value per line.".strip()
        text = "\n".join(initial) if isinstance(initial, list) else ""
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=text, **common)
    if kind == "TEXT_MAP":
        common["help_text"] = f"{common['help_text']} One key=value per line.".strip()
        text = (
            "\n".join(f"{k}={v}" for k, v in initial.items()) if isinstance(initial, dict) else ""
        )
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=text, **common)
    return forms.CharField(initial=initial or "", **common)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parse(spec: dict[str, Any], raw: Any) -> Any:
    """The value `raw` (what the browser sent) stands for, or None for nothing."""
    kind = spec["type"]
    if kind == "BOOLEAN":
        return bool(raw)
    if raw in (None, ""):
        return None
    if spec.get("sensitive") and (is_masked(raw) or kind == "STRING"):
        return raw
    if spec.get("sensitive"):
        # A sensitive list or map is typed as JSON in its single password input.
        try:
            return json.loads(raw)
        except ValueError:
            raise forms.ValidationError("Enter the value as JSON.") from None
    if kind == "ARRAY":
        return _lines(raw)
    if kind == "TEXT_MAP":
        pairs = [line.partition("=") for line in _lines(raw)]
        if any(not sep or not key.strip() for key, sep, _ in pairs):
            raise forms.ValidationError("Write one key=value per line.")
        return {key.strip(): value.strip() for key, _, value in pairs}
    return raw


class SettingsForm(forms.Form):
    """`values()` gives the settings object the services take; sensitive initial values are
    masked before they reach the page."""

    def __init__(
        self, *args: Any, schema: list[dict[str, Any]], initial_values: dict[str, Any], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.schema = schema
        for spec in schema:
            self.fields[PREFIX + spec["name"]] = _field(spec, initial_values.get(spec["name"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for spec in self.schema:
            key = PREFIX + spec["name"]
            if key in cleaned:
                try:
                    cleaned[key] = _parse(spec, cleaned[key])
                except forms.ValidationError as error:
                    self.add_error(key, error)
        return cleaned

    def values(self) -> dict[str, Any]:
        values = {}
        for spec in self.schema:
            value = self.cleaned_data.get(PREFIX + spec["name"])
            if value is not None:
                values[spec["name"]] = value
        return values

    def add_domain_error(self, field: str | None, message: str) -> None:
        """Put a service's refusal on the setting it names (`settings.<name>`), else on top."""
        name = (field or "").removeprefix("settings.")
        key = PREFIX + name
        self.add_error(key if key in self.fields else None, message)
