"""Seam removal on the frozen foreign subset (tests/data/seam_foreign): scenes built only
from the four foreign package sources, which no model was trained or tuned on, with
their true masks. Runs on a clean clone (the frames are committed; no package source is
needed). The thresholds are the issue's targets a step lower: F1 (3 px) >= 0.85 per source
and >= 0.90 mean (targets 0.92 / 0.95), seam-free frames < 0.1 % of pixels flagged
(target 0.05 %) and PSNR >= 45 dB vs the input (target 50)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from laika_fx.io import read_frame

SUBSET = Path(__file__).parent / "data" / "seam_foreign"


def _subset():
    meta = json.loads((SUBSET / "subset.json").read_text())
    for f in meta["frames"]:
        yield f, read_frame(SUBSET / f["frame"]), read_frame(SUBSET / "masks" / f["frame"]) > 0


def _f1(preds, truths) -> tuple[float, float, float]:
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))  # 3 px tolerance
    tp_p = n_p = tp_t = n_t = 0
    for pred, truth in zip(preds, truths, strict=True):
        tp_p += int((pred & (cv2.dilate(truth.astype(np.uint8), k) > 0)).sum())
        n_p += int(pred.sum())
        tp_t += int((truth & (cv2.dilate(pred.astype(np.uint8), k) > 0)).sum())
        n_t += int(truth.sum())
    p = tp_p / n_p if n_p else 1.0
    r = tp_t / n_t if n_t else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def test_the_frozen_subset_is_complete_and_attributed():
    meta = json.loads((SUBSET / "subset.json").read_text())
    sources = {f["source"] for f in meta["frames"]}
    assert sources == {"F-lomiri-wallpapers", "F-ufoai-textures", "F-opencv-samples", "F-wesnoth-portraits"}
    for f in meta["frames"]:
        assert (SUBSET / f["frame"]).exists() and (SUBSET / "masks" / f["frame"]).exists()
        assert f["images"], "every frame names the source images it was built from"
        assert read_frame(SUBSET / "masks" / f["frame"]).any() == f["seam"]
    for sid in sources:
        assert all(p["licence"] for p in meta["sources"][sid])
    assert (SUBSET / "ATTRIBUTION.md").exists()


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the shipped detector is below the foreign targets (docs/benchmarks.md, "
                                       "foreign rows); strict: an unexpected pass fails, so the mark goes with it")
def test_seam_removal_on_foreign_sources_as_a_user_runs_it():
    from laika_fx.seam_removal.plugin import SeamRemoval

    finder = SeamRemoval({"dilation": 0})  # the mask as detected, for F1
    plugin = SeamRemoval()  # defaults: what a user gets
    per_source: dict[str, tuple[list, list]] = {}
    free_flagged, free_psnr = [], []
    for f, frame, truth in _subset():
        if f["seam"]:
            preds, truths = per_source.setdefault(f["source"], ([], []))
            preds.append(finder.detect(frame) > 0)
            truths.append(truth)
        else:
            mask = plugin.detect(frame)
            free_flagged.append(float((mask > 0).mean()))
            out = plugin.remove(frame, mask).astype(np.float64)
            scale = 65535.0 if frame.dtype == np.uint16 else 255.0
            mse = float(((out - frame) ** 2).mean()) / scale**2
            free_psnr.append(99.0 if mse == 0 else 10 * np.log10(1 / mse))
    f1 = {sid: _f1(*pt)[2] for sid, pt in per_source.items()}
    print("F1 per foreign source:", {k: round(v, 3) for k, v in f1.items()})
    print("seam-free: % flagged", [round(100 * v, 4) for v in free_flagged], "PSNR", [round(v, 1) for v in free_psnr])
    assert 100 * max(free_flagged) < 0.1
    assert min(free_psnr) >= 45.0
    assert min(f1.values()) >= 0.85, f1
    assert float(np.mean(list(f1.values()))) >= 0.90, f1
