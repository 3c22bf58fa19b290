"""manage.py run_function CODE.js --type insert|destination --event EVENT.json ..."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from functions.runtime import run_function


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {what} file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise CommandError(f"{what} file {path} is not valid JSON: {exc}") from exc


def _read_code(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read code file {path}: {exc}") from exc


class Command(BaseCommand):
    help = "Run a function's handler on an event (or a batch) and print the outcome as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--type", required=True, choices=["insert", "destination"])
        parser.add_argument("--event", required=True)
        # `--settings` is Django's own option (the settings module): manage.py hands ours to
        # this command as --function-settings.
        parser.add_argument("--function-settings", metavar="SETTINGS.json")
        parser.add_argument("--batch", action="store_true")
        parser.add_argument("--timeout-ms", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        code = _read_code(options["code"])
        event = _read_json(options["event"], "event")
        settings = (
            _read_json(options["function_settings"], "settings")
            if options["function_settings"]
            else {}
        )
        batch = options["batch"]
        if batch and not isinstance(event, list):
            raise CommandError("with --batch the event file must hold a JSON array of events")
        if not batch and not isinstance(event, dict):
            raise CommandError(
                "the event file must hold one JSON object (use --batch for an array)"
            )
        if not isinstance(settings, dict):
            raise CommandError("the settings file must hold a JSON object")
        result = run_function(
            code=code,
            kind=options["type"],
            events=event if batch else [event],
            settings=settings,
            batch=batch,
            timeout_ms=options["timeout_ms"],
        )
        self.stdout.write(json.dumps(result.as_json(batch=batch), indent=2))
