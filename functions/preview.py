"""Test runs of a function (the editor's Test panel and the preview API): the production
runtime, in an isolated process, with test settings kept apart from instance values."""

from typing import Any

from functions.models import FunctionClass, ResourceType
from functions.schema import sensitive_names, setting_value_errors

MAX_PREVIEW_EVENTS = 100
# A test run shows at most this much of each returned event (the product's events are
# at most 32 KB; a 50 MB return once made a 52 MB response).
MAX_PREVIEW_OUTPUT_BYTES = 1024 * 1024


class PreviewInputError(ValueError):
    pass


def _events(event: Any, events: Any) -> tuple[list[dict[str, Any]], bool]:
    if events is not None:
        if not isinstance(events, list) or not events or len(events) > MAX_PREVIEW_EVENTS:
            raise PreviewInputError(f"events must be a list of 1 to {MAX_PREVIEW_EVENTS} objects")
        if not all(isinstance(item, dict) for item in events):
            raise PreviewInputError("every item of events must be an object")
        return events, True
    if not isinstance(event, dict):
        raise PreviewInputError("event must be an object")
    return [event], False


def preview_run(
    *,
    code: str,
    resource_type: str,
    settings_schema: list[dict[str, Any]],
    settings: Any,
    event: Any = None,
    events: Any = None,
) -> dict[str, Any]:
    """The run_function JSON for a test run; settings that break the schema give
    `invalid_settings` without running any code."""
    batch_events, batch = _events(event, events)
    if not isinstance(settings, dict):
        raise PreviewInputError("settings must be an object")
    if not isinstance(code, str) or not code.strip():
        raise PreviewInputError("code must be a non-empty string")
    errors = setting_value_errors(settings_schema, settings)
    if errors:
        return _invalid_settings(errors, len(batch_events), batch)
    # Imported here: the web process loads the runtime's Python side only when a test runs.
    from functions.runtime import run_function
    from functions.runtime.redaction import secret_texts

    secrets = secret_texts(settings.get(n) for n in sensitive_names(settings_schema))
    kind = "insert" if resource_type == ResourceType.INSERT_DESTINATION else "destination"
    result = run_function(
        code=code,
        kind=kind,
        events=batch_events,
        settings=settings,
        batch=batch,
        sensitive_values=secrets,
        isolated=True,
        max_output_bytes=MAX_PREVIEW_OUTPUT_BYTES,
    )
    return result.as_json(batch)


def _invalid_settings(errors: list[str], count: int, batch: bool) -> dict[str, Any]:
    error = {"type": "InvalidSettings", "message": "; ".join(errors)}
    one = {"status": "invalid_settings", "error": error, "output": None}
    if batch:
        return {"results": [one] * count, "logs": [], "requests": [], "duration_ms": 0}
    return {**one, "logs": [], "requests": [], "duration_ms": 0}


def preview_function(
    *,
    function: FunctionClass,
    settings: Any,
    code: str | None = None,
    event: Any = None,
    events: Any = None,
) -> dict[str, Any]:
    return preview_run(
        code=code if code is not None else function.code,
        resource_type=function.resource_type,
        settings_schema=function.settings_schema,
        settings=settings,
        event=event,
        events=events,
    )
