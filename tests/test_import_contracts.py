"""The import contracts in .importlinter hold: the runtime never imports Qt, the training
libraries or the training package, and the app imports only the library's public modules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = (
    "laika_fx (runtime) imports neither Qt, the training libraries, the training package nor the app",
    "gui imports only laika_fx's public API",
)


def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    if exe.is_file():
        return str(exe)
    found = shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not found: install the dev extra (pip install -e '.[dev]')")
    return found


def test_import_contracts_are_kept():
    proc = subprocess.run(
        [_lint_imports(), "--no-cache", "--no-logo", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"lint-imports failed (exit {proc.returncode}):\n{report}"
    flat = " ".join(report.split())  # lint-imports wraps long contract names
    for name in CONTRACTS:
        assert f"{name} KEPT" in flat, f"contract not checked: {name}\n{report}"
