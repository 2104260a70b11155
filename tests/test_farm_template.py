"""`laika-fx farm-template`: an Open Job Description template that `openjd check` accepts and
whose render chunk, run by `openjd run`, writes what a single-machine batch writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from laika_fx.cli import main

from .test_determinism import output_digests
from .test_robustness import small_shot

OPENJD = shutil.which("openjd") or str(Path(sys.executable).with_name("openjd"))
pytestmark = pytest.mark.skipif(not Path(OPENJD).exists(), reason="openjd-cli (dev extra) not installed")
PLUGINS = "deflicker,seam_removal,stabilize"


def openjd(*args) -> subprocess.CompletedProcess:
    return subprocess.run([OPENJD, *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_template_passes_openjd_check_and_one_chunk_runs_as_a_local_batch(tmp_path: Path):
    shot = tmp_path / "shot"
    small_shot(shot, 12)
    job = tmp_path / "job.json"
    assert main(["farm-template", str(job), "--frames", "1001-1012", "--chunk-size", "5", "--plugins", PLUGINS,
                 "--python"]) == 0  # fmt: skip
    doc = json.loads(job.read_text())
    assert [s["name"] for s in doc["steps"]] == ["Analyze", "Render", "Report"]
    assert doc["steps"][1]["parameterSpace"]["taskParameterDefinitions"][0]["type"] == "CHUNK[INT]"
    res = openjd("check", job)
    assert res.returncode == 0 and "passes validation" in res.stdout, res.stdout + res.stderr

    out = tmp_path / "out"
    params = ["-p", f"Input={shot}", "-p", f"Output={out}"]
    res = openjd("run", job, *params, "--step", "Analyze")
    assert res.returncode == 0, res.stdout[-3000:]
    res = openjd("run", job, *params, "--step", "Render", "--task-param", "Frame=1006-1010", "--no-run-dependencies")
    assert res.returncode == 0, res.stdout[-3000:]
    assert sorted(p.name for p in out.glob("frame.*")) == [f"frame.{n}.png" for n in range(1006, 1011)]
    assert (out / "reports" / "laika_fx_report.1006-1010.json").is_file()

    single = tmp_path / "single"
    assert main(["batch", str(shot), str(single), "--frames", "1001-1012", "--plugins", PLUGINS, "-q"]) == 0
    ours, ref = output_digests(out), output_digests(single)
    assert {k: ours[k] for k in ours if k.startswith("frame.")} == {
        k: ref[k] for k in ref if k.startswith("frame.") and 1006 <= int(k.split(".")[1]) <= 1010}
    assert ours["stabilize.json"] == ref["stabilize.json"] and ours["deflicker.json"] == ref["deflicker.json"]


def test_farm_template_refuses_a_bad_range_in_one_line(tmp_path: Path, capsys):
    from .test_robustness import run

    code, _, err = run(["farm-template", tmp_path / "j.json", "--frames", "1-2x0"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and not (tmp_path / "j.json").exists()
