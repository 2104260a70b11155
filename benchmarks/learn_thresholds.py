"""How the per-shot model's thresholds should be chosen, measured on a shot kept by
``bench_learn.py --keep DIR``: F1 on the uncorrected frames (their true masks, ``shot_truth/``)
at the thresholds ``learn_from_shot`` chose, and at those other rules would choose, with the
same model (no retraining): the sweep of :func:`laika_fx_train.seam.evaluate.calibrate_threshold`.

Rules (each using only what a learning run has: the corrected frames, their seam-free windows,
the uncorrected frames' pictures):
- ``highest tie``: the pairs within 0.005 of the best F1 on the corrected frames (flagging at
  most 0.05 % of their seam-free windows' pixels), the highest threshold of them (the first
  rule, and still the rule on held-back frames);
- ``lowest tie``: the same plateau, its lowest threshold;
- ``middle tie``: the same plateau, its middle pair (learn_from_shot's rule when nothing is
  held back);
- ``area``: the pair whose mean flagged area on the uncorrected frames (grown as the plugin
  grows it) is closest to the corrected frames' mean override area, within the seam-free limit;
- ``oracle``: best F1 on the uncorrected frames (needs their truth: the ceiling).

    python benchmarks/learn_thresholds.py DIR [DIR ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CANDIDATES = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.993, 0.995, 0.996, 0.997, 0.998,
              0.9985, 0.999, 0.9993, 0.9995, 0.9997, 0.9998]  # fmt: skip
RATIOS = (0.5, 0.8, 0.9, 0.95, 0.98)


def main() -> int:
    from laika_fx.io import read_frame
    from laika_fx.overrides import default_shot_model_dir
    from laika_fx.seam_removal.detector import SeamDetector
    from laika_fx.sequence import open_shot
    from laika_fx_train.seam.evaluate import _disk, _line_table, _pick_lines, detection_metrics
    from laika_fx_train.seam.learn import _free_crops, _working, load_corrections

    for d in sys.argv[1:]:
        shot_dir = Path(d) / "shot"
        shot = open_shot(shot_dir)
        models = default_shot_model_dir(shot_dir)
        meta = json.loads((models / "seam_detector.json").read_text())
        corr = load_corrections(shot)
        corrected = {c.frame for c in corr}
        others = [n for n in shot.frames if n not in corrected]
        other_rgb, other_truth = [], []
        for n in others:
            p = shot.path(n)
            rgb, t = _working(read_frame(p), read_frame(Path(d) / "shot_truth" / f"{p.stem}.png"))
            other_rgb.append(rgb)
            other_truth.append(t)
        free = _free_crops(corr)
        disk = _disk(2)
        target = float(np.mean([c.mask.sum() for c in corr]))
        for prec in ("int8", "fp32"):
            det = SeamDetector(model_xml=models / f"seam_detector_{prec}.xml", precision=prec, face_gate=False,
                               settings={})  # fmt: skip
            p_corr = [det.seam_probability(c.rgb) for c in corr]
            p_free = [det.seam_probability(f.frame) for f in free]
            p_other = [det.seam_probability(r) for r in other_rgb]
            rows = []
            for thr in CANDIDATES:
                for ratio in RATIOS:
                    def pick(probs, thr=thr, ratio=ratio):
                        return [_pick_lines(_line_table(p, thr, thr * ratio, face=None, min_area=12, medians=False),
                                            "off", 1.0) for p in probs]  # fmt: skip
                    pc, pf, po = pick(p_corr), pick(p_free), pick(p_other)
                    m_corr = detection_metrics(pc, [c.mask for c in corr], [True] * len(corr))["f1"]
                    flagged = 100 * sum(int((cv2.dilate(p.astype(np.uint8), disk) > 0).sum()) for p in pf) / max(
                        1, sum(p.size for p in pf))
                    area = float(np.mean([(cv2.dilate(p.astype(np.uint8), disk) > 0).sum() for p in po]))
                    m_other = detection_metrics(po, other_truth, [True] * len(po))["f1"]
                    rows.append(dict(thr=thr, ratio=ratio, f1_corr=m_corr, flagged=flagged, area=area, f1=m_other))
            limit = max(0.05, min(r["flagged"] for r in rows))
            ok = [r for r in rows if r["flagged"] <= limit]
            best = max(r["f1_corr"] for r in ok)
            plateau = sorted([r for r in ok if r["f1_corr"] >= best - 0.005], key=lambda r: (r["thr"], -r["ratio"]))
            rules = {
                "highest tie": plateau[-1],
                "lowest tie": plateau[0],
                "middle tie": plateau[len(plateau) // 2],
                "area": min(ok, key=lambda r: abs(r["area"] - target)),
                "oracle": max(rows, key=lambda r: r["f1"]),
            }
            rt = meta["runtime"][prec]
            print(f"{d} {prec}: model's own thr {rt['threshold']} ratio {rt['low_ratio']}; plateau "
                  f"{plateau[0]['thr']}..{plateau[-1]['thr']} ({len(plateau)} pairs)")  # fmt: skip
            for name, r in rules.items():
                print(f"  {name:<13} thr {r['thr']:<7} ratio {r['ratio']:<5} F1 uncorrected {r['f1']:.4f} "
                      f"(corrected {r['f1_corr']:.4f}, free flagged {r['flagged']:.3f} %, area {r['area']:.0f} "
                      f"vs {target:.0f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
