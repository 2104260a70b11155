"""Rebuild docs/seam_before_after.png: frame 1012 of sample_frames/ before and after seam_removal.

A 250x140 crop around the seam (from the ground-truth mask), shown at 2x, input left,
output of the seam_removal plugin (default settings, INT8) right.

    python docs/make_before_after.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from laika_fx.io import read_frame, write_frame  # noqa: E402
from laika_fx.seam_removal.plugin import SeamRemoval  # noqa: E402


def main() -> int:
    frame = read_frame(ROOT / "sample_frames" / "frame.1012.png")
    truth = read_frame(ROOT / "sample_frames" / "ground_truth" / "masks" / "frame.1012.png") > 0
    plugin = SeamRemoval({})
    out = plugin.remove(frame)
    ys, xs = np.nonzero(truth)
    cy, cx = int(ys.mean()), int(xs.mean())
    h, w = 140, 250
    y0 = int(np.clip(cy - h // 2 - 10, 0, frame.shape[0] - h))
    x0 = int(np.clip(cx - w // 2, 0, frame.shape[1] - w))
    panels = [cv2.resize(img[y0 : y0 + h, x0 : x0 + w], (2 * w, 2 * h), interpolation=cv2.INTER_CUBIC)
              for img in (frame, out)]  # fmt: skip
    gap = np.full((2 * h, 8, 3), 255, np.uint8)
    write_frame(ROOT / "docs" / "seam_before_after.png", np.hstack([panels[0], gap, panels[1]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
