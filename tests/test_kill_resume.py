"""SIGKILL a batch at random moments, resume it, and get exactly the uninterrupted result.

48 frames of the default chain plus deflicker (so stabilize solves in worker processes),
with saved masks; and of the default chain with stabilize's shot pass off, whose frames
render while the shot is still solved (a streamed analysis). The batch is killed 12 times at seeded random moments spread over a
run's length (start-up, analyze pass, solver processes, render pass, commits), each time
resumed with ``--resume``; then one last ``--resume`` run finishes the shot. The final
folder must be byte-identical to an uninterrupted run's (frames, masks, sidecars), hold no
``.part`` file nor frame spill folder, leave no process behind, and its report must count every frame once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from laika_fx.pipeline import SPILL_PREFIX

from .conftest import descendants, still_alive
from .test_determinism import output_digests
from .test_robustness import small_shot

# a 1 MB frame cache holds 6 of the 48 frames: the others are spilled to disk (pipeline.FrameCache)
ARGS = ["--save-masks", "--workers", "2", "-q", "--cache-mb", "1"]
CHAINS = {
    "two passes": ["--plugins", "deflicker,seam_removal,stabilize"],
    # the default chain: frames render while stabilize solves (its shot pass in windows)
    "streamed": ["--plugins", "seam_removal,stabilize"],
}


def command(shot: Path, out: Path, chain: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "laika_fx", "batch", str(shot), str(out), *CHAINS[chain], *ARGS, *extra]


@pytest.mark.slow
@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_result(tmp_path: Path, chain):
    shot = tmp_path / "shot"
    small_shot(shot, 48)
    t0 = time.monotonic()
    subprocess.run(command(shot, tmp_path / "ref", chain), check=True, capture_output=True, timeout=300)
    full = time.monotonic() - t0
    reference = output_digests(tmp_path / "ref")

    out = tmp_path / "out"
    rng = np.random.default_rng(14)
    children: set[int] = set()
    kills, attempts, upper = [], 0, 0.8 * full
    while len(kills) < 12 and attempts < 40:  # each resumed run has less left to do
        attempts += 1
        moment = float(rng.uniform(0.2, upper))
        proc = subprocess.Popen(command(shot, out, chain, "--resume"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        while time.monotonic() < t0 + moment and proc.poll() is None:
            children |= descendants(proc.pid)
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills.append(round(moment, 2))
        else:  # finished first: aim within the time such a run takes
            upper = max(0.3, 0.9 * (time.monotonic() - t0))
        proc.wait()
    assert len(kills) >= 10, f"only {len(kills)} kills hit a running batch in {attempts} attempts"

    res = subprocess.run(command(shot, out, chain, "--resume"), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert output_digests(out) == reference
    assert not [p.name for p in out.rglob("*") if ".part" in p.name]
    assert not [p.name for p in out.iterdir() if p.name.startswith(SPILL_PREFIX)]  # killed runs' spills too
    assert not still_alive(children), "processes outlived their batch"
    report = json.loads((out / "laika_fx_report.json").read_text())
    assert report["frames_failed"] == []
    assert report["frames_written"] + report["frames_skipped"] == report["frames_total"] == 48
