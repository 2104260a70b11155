"""Fuzz suite: `laika-fx batch` over seeded, mutated shots in every format it reads.

For each format a clean shot is rendered once; then a copy with most frames damaged
(tests/fuzz.py: bit flips, truncation, header edits, huge declared sizes, another
format's bytes, zero bytes, other size/channels/bit depth, unreadable files, symlink
loops, FIFOs) is rendered by the real command in a subprocess with a time limit.
Invariants, for every case:

- no traceback, no crash, no hang (the subprocess ends within its time limit);
- the inputs are byte-identical afterwards;
- every requested frame is either written or listed in the report's ``frames_failed``
  with its file name and a reason, never both; no ``.part`` file remains;
- every undamaged frame is written byte-identical to the clean run;
- the exit code is 1 when a frame failed, 0 otherwise.

The fast subset (~140 frames) runs in `make test`; the full set (>= 500 frames, and the
stabilize chain) is marked slow. Seeds are fixed: a failure names its seed and frames.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from laika_fx.cli import main

from .conftest import digest_tree
from .fuzz import FORMATS, KINDS, clean_frame, mutate

SHAPE = (40, 56)


def _digest_inputs(folder: Path) -> dict[str, str]:
    """Like conftest.digest_tree, but FIFOs and links are recorded without being opened."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.is_symlink():
            out[p.name] = "link->" + os.readlink(p)
        elif p.is_fifo():
            out[p.name] = "fifo"
        elif p.is_dir():
            out[p.name] = "dir"
        else:
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest() + f"@{p.stat().st_mtime_ns}"
    return out


def make_case(root: Path, ext: str, n: int, seed: int, damaged: float = 0.6, keep: int = 0):
    """A clean shot and a damaged copy (the first ``keep`` frames undamaged); returns
    (clean, damaged, {frame: mutation})."""
    rng = np.random.default_rng(seed)
    dtype, ch = FORMATS[ext]
    shape = SHAPE if ch == 1 else (*SHAPE, ch)
    clean, bad = root / "clean", root / "bad"
    clean.mkdir(parents=True)
    bad.mkdir()
    from laika_fx.io import write_frame

    for i in range(n):
        name = f"frame.{1001 + i:04d}{ext}"
        write_frame(clean / name, clean_frame(rng, shape, dtype))
        (bad / name).write_bytes((clean / name).read_bytes())
    mutations = {}
    for i in range(n):
        if i >= keep and rng.random() < damaged:
            kind = str(rng.choice(KINDS))
            mutations[1001 + i] = mutate(bad / f"frame.{1001 + i:04d}{ext}", kind, rng, shape=shape, dtype=dtype)
    return clean, bad, mutations


def run_batch(shot: Path, out: Path, plugin_args: list[str], timeout: float = 240) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "laika_fx", "batch", str(shot), str(out), "--workers", "2", "-q", *plugin_args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


PLUGINS = {
    # analyze reads every frame; strength 0 renders each frame as read, so a good frame's
    # output cannot depend on which other frames were damaged
    "deflicker": ["--plugins", "deflicker", "--set", "deflicker.strength=0"],
    # the solve of a frame against a fixed, clean reference, no neighbour filling or shot pass
    "stabilize": ["--plugins", "stabilize", "--set", "stabilize.reference=1001", "--set", "stabilize.shot_pass=false",
                  "--set", "stabilize.fill_radius=0", "--set", "stabilize.processes=false"],
}  # fmt: skip


def check_case(tmp_path: Path, ext: str, n: int, seed: int, plugin: str) -> None:
    # stabilize's fixed reference (1001) stays undamaged: the good frames' solves depend on it
    clean, bad, mutations = make_case(tmp_path, ext, n, seed, keep=1 if plugin == "stabilize" else 0)
    where = f"seed {seed}, {ext}, {plugin}"
    res = run_batch(clean, tmp_path / "clean_out", PLUGINS[plugin])
    assert res.returncode == 0, f"{where}: clean run failed: {res.stderr[-2000:]}"
    before = _digest_inputs(bad)
    out = tmp_path / "bad_out"
    res = run_batch(bad, out, PLUGINS[plugin])
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, f"{where}: {res.stderr[-3000:]}"
    assert res.returncode in (0, 1), f"{where}: exit {res.returncode}: {res.stderr[-3000:]}"
    assert _digest_inputs(bad) == before, f"{where}: inputs changed"
    report = json.loads((out / "laika_fx_report.json").read_text())
    failed = {f["frame"]: f for f in report["frames_failed"]}
    written = {int(p.name.split(".")[1]) for p in out.glob(f"frame.*{ext}")}
    requested = set(range(1001, 1001 + n)) - {k for k in mutations if mutations[k] == "unreadable" and os.geteuid() == 0}
    # (a folder under a frame's name is not a file: the shot has a gap there, not a frame)
    assert not written & set(failed), f"{where}: written and failed: {sorted(written & set(failed))}"
    assert written | set(failed) >= requested, f"{where}: neither written nor failed: {sorted(requested - written - set(failed))}"
    for f in failed.values():
        assert f["file"] == f"frame.{f['frame']:04d}{ext}" and f["error"], f"{where}: {f}"
    assert not [p for p in out.rglob("*") if ".part" in p.name], where
    assert res.returncode == (1 if failed else 0), f"{where}: exit {res.returncode} with {len(failed)} failed"
    undamaged = sorted(set(range(1001, 1001 + n)) - set(mutations))
    assert not set(undamaged) & set(failed), f"{where}: good frames failed: " + "; ".join(
        f"{k}: {failed[k]['error']}" for k in sorted(set(undamaged) & set(failed)))  # fmt: skip
    for k in undamaged:
        name = f"frame.{k:04d}{ext}"
        assert (out / name).read_bytes() == (tmp_path / "clean_out" / name).read_bytes(), f"{where}: {name} differs"


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_fuzz_fast_subset(tmp_path: Path, ext):
    check_case(tmp_path, ext, 36, seed=1400 + sorted(FORMATS).index(ext), plugin="deflicker")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_fuzz_full(tmp_path: Path, ext, seed):
    """2 seeds x 4 formats x 64 frames = 512 frames, each damaged one way or another."""
    check_case(tmp_path, ext, 64, seed=seed * 100 + sorted(FORMATS).index(ext), plugin="deflicker")


@pytest.mark.slow
@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_fuzz_stabilize(tmp_path: Path, ext):
    check_case(tmp_path, ext, 32, seed=700 + sorted(FORMATS).index(ext), plugin="stabilize")


# ------------------------------------------------------------------ bad invocations
BAD_VALUES = {
    "--workers": ["0", "-1", "nan", "1e9", "", "x"],
    "--cache-mb": ["nan", "inf", "-inf", "1e308", "-1", "", "0x10"],
    "--fps": ["0", "-5", "nan", "inf", "1e9", ""],
    "--frames": ["999999999999999999999999999999", "1-99999999", "", "a-b", "1-10x0", "1.5", "--", "1001-1002x-1",
                 "-999999999999-5"],
    "--precision": ["int4", ""],
    "--plugins": ["nosuch", ",,", "deflicker,nosuch"],
    "--set": ["x", "deflicker.window=nan", "deflicker.window=1e400", "deflicker.nope=1", "=", "deflicker.strength=inf"],
}  # fmt: skip


def test_fuzz_bad_invocations(tmp_path: Path, capsys):
    """Seeded combinations of bad option values: one line on stderr, exit 2, nothing written."""
    from laika_fx.io import write_frame

    shot = tmp_path / "shot"
    shot.mkdir()
    for i in range(2):
        write_frame(shot / f"frame.{1001 + i}.png", np.zeros((8, 8, 3), np.uint8))
    before = digest_tree(shot)
    rng = np.random.default_rng(14)
    options = sorted(BAD_VALUES)
    for case in range(120):
        args = ["batch", str(shot), str(tmp_path / "out"), "-q"]
        for opt in rng.choice(options, size=int(rng.integers(1, 3)), replace=False):
            args += [str(opt), str(rng.choice(BAD_VALUES[str(opt)]))]
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code
        _, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and "error" in lines[0], (case, args, code, err)
        assert not (tmp_path / "out").exists(), (case, args)
    assert digest_tree(shot) == before
