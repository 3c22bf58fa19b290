"""The layout's rules, checked on the source: imports run one way (`workspace` <- `functions`
<- `delivery`, the wiring listed in the README's Layout section aside), no import circle
among the project's modules, and every destination kind has its `Kind`."""

import ast
from pathlib import Path

from delivery.kinds.base import Kind
from delivery.kinds.registry import KINDS

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workspace", "functions", "delivery")
# What still points back up (README, Layout): the project's wiring and reads of the app above.
BACK_ARROWS = {
    "workspace/urls.py",
    "workspace/api/urls.py",
    "workspace/admin.py",
    "workspace/operations/backlog.py",
    "workspace/management/commands/create_api_token.py",
    "functions/console/editor_context.py",
    "functions/console/test_run.py",
}


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, at any depth of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in modules}


def test_imports_run_one_way():
    modules = _modules()
    rank = {app: index for index, app in enumerate(APPS)}
    back = set()
    for name, path in modules.items():
        for target in _imports(path, modules):
            if rank[target.split(".")[0]] > rank[name.split(".")[0]]:
                back.add(path.relative_to(ROOT).as_posix())
    assert back <= BACK_ARROWS


def test_no_import_circle():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert circles == []


def test_every_destination_kind_implements_the_interface():
    assert Kind.__abstractmethods__ >= {"settings_checked", "send", "catalog", "admin_fields"}
    for name, kind in KINDS.items():
        assert name == kind.name and kind.label
        assert not type(kind).__abstractmethods__, f"{name} does not implement them"
