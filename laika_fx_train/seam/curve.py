"""``laika-fx eval seam-curve``: seam detectors compared along their curves, at an equal
seam-free share flagged.

How the detector diagnostics of sessions 12-14 judged a candidate (docs/benchmarks.md,
Seam removal): each detector -- a training checkpoint or an FP32 IR, run in torch at full
resolution -- on the same seamed and seam-free scenes of one split's sources; lines kept by
the hysteresis alone (no gate, no line scorer, low bar ``low_ratio`` x the high one) at
several high bars; per bar precision / recall / F1 with 3 px tolerance on the seamed scenes
(precision over their lines only) and the share of seam-free pixels flagged (after the
plugin's 2 px dilation). A threshold moves a detector along its curve, so two detectors are
compared at an *equal flagged share*: each candidate's point against the first detector's
F1 interpolated at that share (:func:`f1_at`). One such comparison from one fine-tune
each is noisy: the same recipe run twice differs by ~0.01 F1 (session 14).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from laika_fx.seam_removal.detector import select_lines

from .evaluate import _disk, _pooled_metrics, _scene_counts

__all__ = ["THRESHOLDS", "load_seam_net", "curve_scenes", "seam_curve", "f1_at", "compare", "format_curves"]

THRESHOLDS = (0.998, 0.996, 0.99, 0.98, 0.95)
MIN_AREA = 12  # the plugin's default line size cut
DILATION = 2  # the plugin's dilation of a painted line


def load_seam_net(path: str | Path):
    """A torch :class:`~.nets.SeamNet` (eval mode, full-resolution logits) from an FP32 IR
    (``.xml``), a training checkpoint (``{"model": state}``, as ``train seam-detector`` and
    ``fit`` save) or a plain state dict. Raises ``ValueError`` for anything else."""
    import torch

    from ..ship import seam_net_from_ir
    from .nets import SeamNet

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if path.suffix == ".xml":
        net = seam_net_from_ir(path)
    else:
        try:
            state = torch.load(path, map_location="cpu")
        except Exception as exc:  # torch raises many kinds for a file that is not a checkpoint
            raise ValueError(f"{path.name}: not a torch checkpoint ({exc.__class__.__name__})") from None
        state = state.get("model", state) if isinstance(state, dict) else None
        if not isinstance(state, dict) or "stem.0.0.weight" not in state:
            raise ValueError(f"{path.name}: not a seam detector checkpoint")
        net = SeamNet.like(state)
        net.load_state_dict(state)
    net.full_resolution = True
    return net.eval()


def curve_scenes(split: str, *, seamed: int, free: int, seed: int, root: Path | None = None,
                 hw: tuple[int, int] = (352, 480)) -> tuple[list, list]:  # fmt: skip
    """Scenes of the ``split``'s package sources: ``seamed`` draws with a seam on every head
    (seed ``seed``; draws that came out without a seam are dropped) and ``free`` seam-free
    ones (seed ``seed + 1``)."""
    from .world import SplitPools, make_world_scene

    pools = SplitPools.of(split, root)
    rng = np.random.default_rng(seed)
    with_seam = [s for s in (make_world_scene(rng, hw, pools, p_seam=1.0) for _ in range(seamed)) if s.mask.any()]
    rng = np.random.default_rng(seed + 1)
    return with_seam, [make_world_scene(rng, hw, pools, p_seam=0.0) for _ in range(free)]


def _probabilities(net, scenes) -> list[np.ndarray]:
    import torch

    out = []
    with torch.no_grad():
        for s in scenes:
            x = torch.from_numpy(np.ascontiguousarray(s.frame.transpose(2, 0, 1)[None], dtype=np.float32))
            out.append(torch.sigmoid(net(x))[0, 0].numpy())
    return out


def seam_curve(net, seamed: list, free: list, *, thresholds=THRESHOLDS, low_ratio: float = 0.9) -> list[dict]:
    """One row per high bar: ``threshold``, ``precision``, ``recall``, ``f1`` (pooled over the
    ``seamed`` scenes, 3 px) and ``flagged_pct`` (of the ``free`` scenes' pixels)."""
    p_seamed, p_free = _probabilities(net, seamed), _probabilities(net, free)
    k = _disk(DILATION)
    rows = []
    for hi in thresholds:
        # precision on the seamed scenes only (unlike `eval seams`, which counts the seam-free
        # frames' flagged pixels as false positives too): the flagged share is the other axis
        seam_totals, free_totals = np.zeros(6, np.int64), np.zeros(6, np.int64)
        for s, p in zip(seamed, p_seamed, strict=True):
            kept, _, _ = select_lines(p, hi, hi * low_ratio, min_area=MIN_AREA, gate="off")
            seam_totals += _scene_counts(kept, s.mask > 0, True)
        for p in p_free:
            kept, _, _ = select_lines(p, hi, hi * low_ratio, min_area=MIN_AREA, gate="off")
            free_totals += _scene_counts(cv2.dilate(kept.astype(np.uint8), k) > 0, np.zeros(p.shape, bool), False)
        m = _pooled_metrics(seam_totals)
        rows.append({"threshold": hi, "precision": m["precision"], "recall": m["recall"], "f1": m["f1"],
                     "flagged_pct": _pooled_metrics(free_totals)["clean_flagged_pct"]})  # fmt: skip
    return rows


def f1_at(rows: list[dict], flagged_pct: float) -> float | None:
    """The F1 of the curve ``rows`` at a seam-free share flagged, linear between its two
    nearest points; None outside the flagged shares the curve spans."""
    pts = sorted((r["flagged_pct"], r["f1"]) for r in rows if r["flagged_pct"] is not None)
    xs = [x for x, _ in pts]
    if not pts or flagged_pct < xs[0] or flagged_pct > xs[-1]:
        return None
    return float(np.interp(flagged_pct, xs, [y for _, y in pts]))


def compare(curves: dict[str, list[dict]]) -> dict[str, list[float | None]]:
    """Per detector after the first, per row: its F1 minus the first detector's F1 at the
    same flagged share (None where the first's curve does not reach that share)."""
    names = list(curves)
    ref = curves[names[0]]
    out = {}
    for name in names[1:]:
        deltas = []
        for r in curves[name]:
            f = f1_at(ref, r["flagged_pct"])
            deltas.append(None if f is None else round(r["f1"] - f, 4))
        out[name] = deltas
    return out


def format_curves(curves: dict[str, list[dict]], *, seamed: int, free: int, split: str) -> str:
    """The table ``eval seam-curve`` prints."""
    names = list(curves)
    deltas = compare(curves)
    lines = [
        f"{split} sources: {seamed} seamed / {free} seam-free scenes; torch FP32, no gate; "
        f"F1 (3 px) and seam-free pixels flagged (%) per high bar; vs {names[0]}: F1 minus its F1 "
        f"at the same flagged share",
        f"{'detector':<24}{'bar':>7}{'P':>8}{'R':>8}{'F1':>8}{'flagged %':>11}{'vs ' + names[0][:12]:>17}",
    ]
    for name in names:
        for i, r in enumerate(curves[name]):
            d = deltas.get(name, [None] * len(curves[name]))[i]
            vs = "" if name == names[0] else ("outside" if d is None else f"{d:+.4f}")
            lines.append(f"{name[:23]:<24}{r['threshold']:>7g}{r['precision']:>8.4f}{r['recall']:>8.4f}"
                         f"{r['f1']:>8.4f}{r['flagged_pct']:>11.4f}{vs:>17}")  # fmt: skip
    return "\n".join(lines)
