"""Outputs on ``sample_frames/`` are identical to the recorded ones: pixel for pixel for PNG
files (the digest of the decoded array, its dtype and shape: the PNG encoder may change
the file's bytes, never its pixels), byte for byte for every other file.

The recorded digests (``tests/data/sample_frames_golden.json``) were made with the shipped
models; a refactor that changes no result keeps them. A deliberate change of results (a new model, a new default) records them again:
``python tests/test_sample_golden.py --update``. The digests hold for this machine kind
(x86-64 with AVX-512 VNNI, the pinned OpenVINO range); another CPU may round differently.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "sample_frames_golden.json"

#: name -> batch options; the default chain (fill borders) with one and two workers gives
#: the same bytes
CONFIGS = {
    "default_chain_1_worker": ["--save-masks", "--workers", "1"],
    "default_chain_2_workers": ["--save-masks", "--workers", "2"],
    # deflicker before a fill: a neighbour used as an input frame, never as another
    # frame's output (which depended on what was cached when)
    "deflicker_seams_stabilize_fill_1_worker": [
        "--save-masks", "--workers", "1", "--plugins", "deflicker,seam_removal,stabilize",
    ],
    "deflicker_seams_stabilize_fill_2_workers": [
        "--save-masks", "--workers", "2", "--plugins", "deflicker,seam_removal,stabilize",
    ],
    "deflicker_seams_stabilize_crop_2_workers": [
        "--save-masks", "--workers", "2", "--plugins", "deflicker,seam_removal,stabilize",
        "--set", "stabilize.border=crop",
    ],
}


def _digest(path: Path) -> str:
    if path.suffix.lower() != ".png":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    import cv2
    import numpy as np

    pixels = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED)
    assert pixels is not None, f"{path.name} could not be decoded"
    head = f"pixels {pixels.dtype} {pixels.shape}\n".encode()
    return "px:" + hashlib.sha256(head + np.ascontiguousarray(pixels).tobytes()).hexdigest()


def _digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): _digest(p)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "laika_fx_report.json"
    }


def _run(args: list[str], out: Path) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "laika_fx", "batch", str(ROOT / "sample_frames"), str(out), *args],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return _digests(out)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_sample_frames_outputs_unchanged(name: str, tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text())[name]
    got = _run(CONFIGS[name], tmp_path / "out")
    assert sorted(got) == sorted(golden), "different set of output files"
    changed = [k for k in golden if got[k] != golden[k]]
    assert not changed, f"{len(changed)} of {len(golden)} outputs changed, e.g. {changed[:5]}"


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    import tempfile

    result = {}
    for cfg, cfg_args in CONFIGS.items():
        with tempfile.TemporaryDirectory() as tmp:
            result[cfg] = _run(cfg_args, Path(tmp) / "out")
    GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
