"""The app imports laika_fx through its public API only (the list in laika_fx/__init__.py)."""

import ast
from pathlib import Path

import laika_fx

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {
    "laika_fx", "laika_fx.io", "laika_fx.sequence", "laika_fx.plugins", "laika_fx.pipeline", "laika_fx.report",
    "laika_fx.preview", "laika_fx.overrides", "laika_fx.carry", "laika_fx.prompts", "laika_fx.stabilize.sidecar",
    "laika_fx.shapes",
}  # fmt: skip


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {n for n in names if n == "laika_fx" or n.startswith("laika_fx.")}


def test_gui_imports_only_the_public_api():
    used = {f"{p.name}: {m}" for p in sorted((ROOT / "gui").glob("*.py")) for m in _imported(p) if m not in PUBLIC}
    assert not used, f"gui/ reaches past laika_fx's public API: {sorted(used)}"


def test_public_modules_are_listed_in_the_package_docstring():
    for module in PUBLIC - {"laika_fx"}:
        assert f":mod:`{module}`" in laika_fx.__doc__, module
