"""The bundled JavaScript (built by `npm run build` in functions/runtime/js)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DIST = Path(__file__).parent / "js" / "dist"
USER_SCRIPT_NAME = "function.js"

# Library bundles are ~1.4 MB; they are loaded only into contexts whose code names
# the global they provide.
_LIBRARY_GLOBALS = {
    "lodash": re.compile(r"(?<![\w$.])_(?![\w$])"),
    "moment": re.compile(r"(?<![\w$.])moment(?![\w$])"),
    "url": re.compile(r"(?<![\w$.])URL(SearchParams)?(?![\w$])"),
    "xml": re.compile(r"(?<![\w$.])xml(?![\w$])"),
    "oauth": re.compile(r"(?<![\w$.])OAuth(?![\w$])"),
    "formdata": re.compile(r"(?<![\w$.])FormData(?![\w$])"),
}


class PreludeMissing(RuntimeError):
    pass


@cache
def _read(name: str) -> str:
    path = DIST / name
    if not path.exists():
        raise PreludeMissing(
            f"{path} is missing: run `npm ci && npm run build` in functions/runtime/js"
        )
    return path.read_text(encoding="utf-8")


def prelude_source() -> str:
    return _read("prelude.js")


def libraries_named(code: str) -> tuple[str, ...]:
    """The library bundles `code` needs (by the globals it names), in a fixed order."""
    return tuple(lib for lib, used in _LIBRARY_GLOBALS.items() if used.search(code))


def library_source(name: str) -> str:
    return _read(f"lib/{name}.js")


def library_sources(code: str) -> list[str]:
    return [library_source(lib) for lib in libraries_named(code)]


def user_script(code: str) -> str:
    # Names the script so stack frames (and their trimming) point at the user's lines.
    return f"{code}\n//# sourceURL={USER_SCRIPT_NAME}\n"
