"""Chunks on a Dask LocalCluster of separate worker processes (the ``farm`` extra): the
output is byte-identical to a local run, also when a worker is killed mid-run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import alive_pid, descendants
from .test_determinism import output_digests
from .test_robustness import small_shot

pytest.importorskip("distributed")

CHAIN = ["--plugins", "deflicker,seam_removal,stabilize", "--save-masks", "--export-shapes", "-q"]


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("farm") / "shot"
    small_shot(folder, 16)
    return folder


@pytest.fixture(scope="module")
def local(shot: Path, tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("local") / "out"
    subprocess.run([sys.executable, "-m", "laika_fx", "batch", shot, out, *CHAIN, "--workers", "2"], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    return output_digests(out)


def farm_command(shot: Path, out: Path) -> list:
    return [sys.executable, "-m", "laika_fx", "batch", shot, out, *CHAIN, "--workers", "1", "--local-cluster", "2",
            "--chunk-size", "2"]  # fmt: skip


def check_farm_output(out: Path, local: dict[str, str]) -> None:
    assert "shapes/seam.nk" in local and "shapes/frame.1016.seam.json" in local  # merged after the chunks
    assert output_digests(out) == local
    assert not [p.name for p in out.rglob("*") if ".part" in p.name]
    report = json.loads((out / "laika_fx_report.json").read_text())
    assert report["frames_written"] == report["frames_total"] == 16 and report["frames_failed"] == []
    assert len(report["chunks"]) == 8


@pytest.mark.slow
def test_local_cluster_gives_the_local_result(shot: Path, local, tmp_path: Path):
    res = subprocess.run(farm_command(shot, tmp_path / "out"), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    check_farm_output(tmp_path / "out", local)


@pytest.mark.slow
def test_a_worker_killed_mid_run_has_its_chunk_rerun_elsewhere(shot: Path, local, tmp_path: Path):
    out = tmp_path / "out"
    proc = subprocess.Popen(farm_command(shot, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    try:
        t_end = time.monotonic() + 300
        while time.monotonic() < t_end and proc.poll() is None and killed is None:
            if any((out / "reports").glob("*.json")):  # chunks are running: kill a worker now
                workers = [p for p in descendants(proc.pid)
                           if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]  # fmt: skip
                if workers:
                    killed = workers[0]
                    subprocess.run(["kill", "-9", str(killed)], check=False)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert killed is not None, "no worker process found to kill"
    assert not alive_pid(killed)
    assert proc.returncode == 0, err[-3000:]
    check_farm_output(out, local)
    assert not [p for p in descendants(proc.pid) if alive_pid(p)]


def test_farm_options_without_dask_or_with_bad_values_are_one_line(shot: Path, tmp_path: Path, capsys, monkeypatch):
    from .test_robustness import run

    code, _, err = run(["batch", shot, tmp_path / "o", "--local-cluster", "0", "-q"], capsys)
    assert code == 2 and err.strip() == "laika-fx: error: --local-cluster must be between 1 and 256"
    code, _, err = run(["batch", shot, tmp_path / "o", "--local-cluster", "1", "--scheduler", "tcp://x:1"], capsys)
    assert code == 2 and "not allowed with argument" in err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as without the farm extra
    code, _, err = run(["batch", shot, tmp_path / "o", "--plugins", "deflicker", "--local-cluster", "1", "-q"], capsys)
    assert code == 2 and "need the farm extra" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # refused before the analyze pass
