from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_run_function_command_prints_the_outcome(tmp_path: Path) -> None:
    code = _write(tmp_path, "f.js", "async function onTrack(e) { console.log('hi'); return e }")
    event = _write(tmp_path, "e.json", json.dumps({"type": "track", "userId": "u"}))
    out = StringIO()
    call_command("run_function", code, "--type", "insert", "--event", event, stdout=out)
    data = json.loads(out.getvalue())
    assert data["status"] == "success" and data["output"] == {"type": "track", "userId": "u"}
    assert data["logs"] == ["hi"] and data["error"] is None


def test_run_function_command_batch_prints_results(tmp_path: Path) -> None:
    code = _write(
        tmp_path, "f.js", "async function onTrack(e) { if (e.bad) throw new RetryError('x') }"
    )
    events = _write(
        tmp_path, "e.json", json.dumps([{"type": "track"}, {"type": "track", "bad": 1}])
    )
    out = StringIO()
    call_command(
        "run_function", code, "--type", "destination", "--event", events, "--batch", stdout=out
    )
    data = json.loads(out.getvalue())
    assert [r["status"] for r in data["results"]] == ["success", "retry"]


def test_run_function_command_rejects_invalid_json(tmp_path: Path) -> None:
    code = _write(tmp_path, "f.js", "async function onTrack(e) {}")
    event = _write(tmp_path, "e.json", "{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("run_function", code, "--type", "insert", "--event", event)


def test_run_function_command_rejects_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command(
            "run_function", str(tmp_path / "nope.js"), "--type", "insert", "--event", "x.json"
        )
