#!/usr/bin/env python
import os
import sys

# Commands whose contract has a `--settings FILE` option of their own, distinct from Django's
# `--settings MODULE`.
_OWN_SETTINGS_OPTION = {"run_function"}


def _argv() -> list[str]:
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1] in _OWN_SETTINGS_OPTION:
        argv = [
            "--function-settings" + arg[len("--settings") :]
            if arg == "--settings" or arg.startswith("--settings=")
            else arg
            for arg in argv
        ]
    return argv


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(_argv())


if __name__ == "__main__":
    main()
