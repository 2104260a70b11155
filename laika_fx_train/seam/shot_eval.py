"""``laika-fx eval seam-shots``: seam removal measured on shots, through the real batch.

``laika-fx eval seams`` judges single scenes with the detector in-process. Real footage
is shots: a static set, small camera bumps, a puppet head that moves a little from frame
to frame with its seam. This evaluation builds such shots from one package source each
(:func:`.world.source_shots`: the source's head kinds, its split's seam renderer), writes
them as 8-bit PNG frames ``frame.1001.png ...``, runs the real CLI ``python -m laika_fx
batch SHOT OUT --save-masks --workers 2 [variant args]`` on each shot as a subprocess and
compares the masks it saves (``OUT/masks/<stem>.png``, 255 = painted out, in input-frame
coordinates: seam removal runs before stabilize in the default chain) with the truth.

Per source and variant (a label and extra batch arguments, e.g. ``--set
seam_removal.gate=off``; every variant runs on the same written shots):

- P / R / F1 with a 3 px tolerance pooled over every frame of the source's shots
  (``evaluate._scene_counts`` / ``_pooled_metrics``, what ``eval seams`` counts with);
- ``free %``: the share of pixels flagged on seam-free frames (frames whose truth has no
  seam pixel, mostly those of the seam-free shots);
- ``consistency``: per shot with a seam, the share of its seamed frames where the seam was
  found (recall >= 0.5 on that frame), averaged over the source's shots; and ``flicker``:
  the shots where the seam was found on some frames and not on others (the painted-out
  seam would flicker).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from .evaluate import _pooled_metrics, _scene_counts

__all__ = ["Variant", "parse_variant", "shot_seeds", "write_shot", "run_batch", "score_shot", "shot_rows",
           "format_shot_table", "FIRST_FRAME"]  # fmt: skip

FIRST_FRAME = 1001
SHOT_SEED_OFFSET = {"seam": 0, "free": 500}  # the seam-free shots of a source get their own seeds
FOUND_RECALL = 0.5  # a frame's seam counts as found at this recall


class Variant(tuple):
    """``(label, extra batch args)``."""

    def __new__(cls, label: str, args: list[str] | tuple[str, ...] = ()):
        return super().__new__(cls, (label, tuple(args)))

    @property
    def label(self) -> str:
        return self[0]

    @property
    def args(self) -> tuple[str, ...]:
        return self[1]


def parse_variant(text: str) -> Variant:
    """``LABEL=ARGS`` (ARGS split as a shell would: ``off=--set seam_removal.gate=off``)."""
    label, sep, rest = text.partition("=")
    if not sep or not label.strip():
        raise ValueError(f"a variant is LABEL=ARGS, got {text!r}")
    return Variant(label.strip(), shlex.split(rest))


def shot_seeds(source_id: str, seed: int) -> dict[str, int]:
    """The seeds of a source's seamed and seam-free shots: ``seed`` plus the source's index
    among all foreign then validation sources (a source's shots do not depend on which other
    rows are asked for), the seam-free ones 500 further."""
    from .. import sources

    order = sources.source_ids("foreign") + sources.source_ids("validation")
    return {k: seed + off + order.index(source_id) for k, off in SHOT_SEED_OFFSET.items()}


def build_source_shots(source_id: str, count: int, *, seed: int, hw: tuple[int, int], frames: int,
                       root: Path | None = None, infos: list | None = None, free: int | None = None) -> list[list]:  # fmt: skip
    """``count`` shots of ``source_id``: first ``count - free`` with a seam on every head
    (p_seam 1; a head too small for a seam line has none), then ``free`` seam-free ones
    (default ``count // 2``). ``infos`` gets each shot's ``make_world_shot`` info (its camera
    shakes among them)."""
    return list(iter_build_source_shots(source_id, count, seed=seed, hw=hw, frames=frames, root=root, infos=infos,
                                        free=free))  # fmt: skip


def iter_build_source_shots(source_id: str, count: int, *, seed: int, hw: tuple[int, int], frames: int,
                            root: Path | None = None, infos: list | None = None, free: int | None = None) -> Iterator[list]:  # fmt: skip
    """:func:`build_source_shots` one shot at a time (the same shots, in the same order)."""
    from .world import iter_source_shots as shots_of

    seeds = shot_seeds(source_id, seed)
    n_free = count // 2 if free is None else free
    yield from shots_of(source_id, count - n_free, seed=seeds["seam"], hw=hw, frames=frames, p_seam=1.0, root=root,
                        infos=infos)  # fmt: skip
    if n_free:
        yield from shots_of(source_id, n_free, seed=seeds["free"], hw=hw, frames=frames, p_seam=0.0, root=root,
                            infos=infos)  # fmt: skip


#: a camera solve whose worst frame's mean corner error exceeds this (px) counts as lost
CAMERA_LOST_PX = 2.0


def camera_error(out_dir: Path, shakes: list, hw: tuple[int, int]) -> float | None:
    """The camera solve's worst frame error in a batch output (``stabilize.json``'s
    ``to_reference`` against the shot's true camera shakes: mean distance of the frame's four
    corners, px), or None when the chain has no stabilize. The shot's first frame is the
    reference: frame k maps to it by ``shake_0 @ inverse(shake_k)``."""
    sidecar = Path(out_dir) / "stabilize.json"
    if not sidecar.exists():
        return None
    h, w = hw
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [w - 1, h - 1, 1], [0, h - 1, 1]], float).T

    def h3(m):
        return np.vstack([np.asarray(m, float), [0.0, 0.0, 1.0]])

    s0 = h3(shakes[0])
    worst = 0.0
    for entry in json.loads(sidecar.read_text())["frames"]:
        k = int(entry["frame"]) - FIRST_FRAME
        a = s0 @ np.linalg.inv(h3(shakes[k])) @ corners
        b = np.asarray(entry["to_reference"], float) @ corners
        worst = max(worst, float(np.mean(np.linalg.norm(a[:2] / a[2] - b[:2] / b[2], axis=0))))
    return worst


def write_shot(shot: list, folder: Path) -> list[str]:
    """The frames of ``shot`` as 8-bit PNG ``folder/frame.1001.png ...`` and their truth masks
    under ``folder``'s sibling ``<folder>.truth/``; returns the frame stems."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth = folder.with_name(folder.name + ".truth")
    truth.mkdir(exist_ok=True)
    stems = []
    for k, scene in enumerate(shot):
        stem = f"frame.{FIRST_FRAME + k}"
        rgb8 = (np.clip(scene.frame, 0, 1) * 255 + 0.5).astype(np.uint8)
        if not cv2.imwrite(str(folder / f"{stem}.png"), cv2.cvtColor(rgb8, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {folder / stem}.png")
        cv2.imwrite(str(truth / f"{stem}.png"), scene.mask)
        stems.append(stem)
    return stems


def run_batch(shot_dir: Path, out_dir: Path, args: tuple[str, ...] = (), *, workers: int = 2) -> float:
    """Run the real CLI on ``shot_dir``; raises RuntimeError with its stderr's tail when it
    fails. Returns the wall time in seconds."""
    cmd = [sys.executable, "-m", "laika_fx", "batch", str(shot_dir), str(out_dir), "--save-masks", "--workers",
           str(workers), "-q", *args]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise RuntimeError(f"laika-fx batch exited {proc.returncode}: {shlex.join(cmd)}\n{tail}")
    return time.perf_counter() - t0


def read_masks(out_dir: Path, stems: list[str], hw: tuple[int, int]) -> list[np.ndarray]:
    """The seam masks the batch saved (bool), one per frame stem; a missing mask file is an
    error (``--save-masks`` writes one per frame)."""
    masks = []
    for stem in stems:
        p = Path(out_dir) / "masks" / f"{stem}.png"
        m = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        if m is None:
            raise FileNotFoundError(f"the batch saved no mask {p}")
        if m.ndim == 3:
            m = m[..., 0]
        if m.shape != tuple(hw):
            raise ValueError(f"mask {p} is {m.shape}, the frame {hw}")
        masks.append(m > 127)
    return masks


def score_shot(preds: list[np.ndarray], truths: list[np.ndarray]) -> dict:
    """One shot's counts: pooled ``_scene_counts`` totals, and per seamed frame whether the
    seam was found (recall >= 0.5)."""
    totals = np.zeros(6, np.int64)
    found = []
    for pred, truth in zip(preds, truths, strict=True):
        seam = bool(truth.any())
        c = _scene_counts(pred, truth, seam)
        totals += c
        if seam:
            found.append(bool(c[3] and c[2] / c[3] >= FOUND_RECALL))
    return {"totals": totals, "found": found}


def _source_row(scores: list[dict]) -> dict:
    totals = sum((s["totals"] for s in scores), np.zeros(6, np.int64))
    row = _pooled_metrics(totals)
    seamed = [s["found"] for s in scores if s["found"]]
    row["consistency"] = round(float(np.mean([np.mean(f) for f in seamed])), 4) if seamed else None
    row["flicker_shots"] = int(sum(0 < sum(f) < len(f) for f in seamed))
    row["seam_shots"] = len(seamed)
    row["shots"] = len(scores)
    row["seam_frames"] = int(sum(len(s["found"]) for s in scores))
    row["found_per_shot"] = [[int(f) for f in s["found"]] for s in scores]  # per shot, per seamed frame
    return row


def shot_rows(*, splits=("validation", "foreign"), per_source: int = 6, frames: int = 8, seed: int = 4242,
              hw: tuple[int, int] = (540, 960), variants=None, root: Path | None = None,
              work: Path | None = None, log=None) -> dict:  # fmt: skip
    """Build, write and run the shots of ``splits``' sources; returns ``{"sources": [...],
    "split": {sid: split}, "variants": {label: {"args": [...], "rows": {sid: row}}},
    "seconds": {...}}``. ``work``: where the shots and batch outputs go (kept); a temporary
    folder (removed) when None."""
    import tempfile

    from .. import sources

    variants = tuple(variants or (Variant("default"),))

    ids = [sid for split in splits for sid in sources.source_ids(split)]
    split_of = {p.id: p.split for p in sources.PACKAGE_SOURCES}
    log = log or (lambda _line: None)
    out: dict = {"sources": ids, "split": {s: split_of[s] for s in ids}, "per_source": per_source, "frames": frames,
                 "seed": seed, "size": [hw[1], hw[0]],
                 "variants": {v.label: {"args": list(v.args), "rows": {}} for v in variants}}  # fmt: skip
    t_build = t_batch = 0.0
    tmp = None
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="laika_fx_seam_shots_")
        work = Path(tmp.name)
    work = Path(work)
    try:
        for sid in ids:
            t0 = time.perf_counter()
            infos: list = []
            shots = build_source_shots(sid, per_source, seed=seed, hw=hw, frames=frames, root=root, infos=infos)
            written = []
            for i, shot in enumerate(shots):
                folder = work / sid / f"shot{i:02d}"
                written.append((folder, write_shot(shot, folder), [s.mask > 0 for s in shot], infos[i]["camera"]))
            del shots
            t_build += time.perf_counter() - t0
            for v in variants:
                scores, cameras = [], []
                for folder, stems, truths, shakes in written:
                    dest = work / sid / f"{folder.name}.out.{v.label}"
                    t_batch += run_batch(folder, dest, v.args)
                    scores.append(score_shot(read_masks(dest, stems, hw), truths))
                    cameras.append(camera_error(dest, shakes, hw))
                row = _source_row(scores)
                solved = [c for c in cameras if c is not None]
                row["camera_worst_px"] = [None if c is None else round(c, 2) for c in cameras]
                row["camera_lost"] = sum(c > CAMERA_LOST_PX for c in solved) if solved else None
                out["variants"][v.label]["rows"][sid] = row
                log(f"{sid} {v.label}: F1 {row['f1']} free % {row['clean_flagged_pct']} "
                    f"consistency {row['consistency']}")  # fmt: skip
    finally:
        if tmp is not None:
            tmp.cleanup()
    out["seconds"] = {"build_and_write": round(t_build, 1), "batch": round(t_batch, 1)}
    return out


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def _cell(v, width: int) -> str:
    return f"{'-' if v is None else v:>{width}}"


def _lost(row: dict) -> str:
    return "-" if row.get("camera_lost") is None else f"{row['camera_lost']}/{row['shots']}"


def _lost_sum(rows: list[dict]) -> str:
    solved = [r for r in rows if r.get("camera_lost") is not None]
    return f"{sum(r['camera_lost'] for r in solved)}/{sum(r['shots'] for r in solved)}" if solved else "-"


def format_shot_table(rows: dict) -> str:
    """The rows as plain text: per split a line per source and variant, and mean lines."""
    head = (f"{'source':<26}{'split':<11}{'variant':<12}{'P':>7}{'R':>7}{'F1':>7}{'free %':>9}{'consist':>9}"
            f"{'flicker':>9}{'cam lost':>10}")  # fmt: skip
    lines = [f"seam removal on shots through laika-fx batch ({rows['per_source']} shots per source, "
             f"{rows['frames']} frames at {rows['size'][0]}x{rows['size'][1]}, seed {rows['seed']}; P/R/F1 3 px "
             "pooled over frames; free % = pixels flagged on seam-free frames; consist = share of a shot's seamed "
             "frames where the seam was found (R >= 0.5), mean over shots; flicker = shots found on some frames "
             f"only / shots with a seam; cam lost = shots whose camera solve is off by > {CAMERA_LOST_PX:g} px on "
             "some frame (mean corner error vs the true shake) / shots)"]  # fmt: skip
    for split in ("foreign", "validation"):
        ids = [s for s in rows["sources"] if rows["split"][s] == split]
        if not ids:
            continue
        lines += ["", f"{split} sources", head, "-" * len(head)]
        for label, var in rows["variants"].items():
            rs = [var["rows"][s] for s in ids if s in var["rows"]]
            for sid in ids:
                if sid not in var["rows"]:
                    continue
                r = var["rows"][sid]
                lines.append(f"{sid:<26}{split:<11}{label:<12}{r['precision']:>7}{r['recall']:>7}{r['f1']:>7}"
                             f"{_cell(r['clean_flagged_pct'], 9)}{_cell(r['consistency'], 9)}"
                             f"{str(r['flicker_shots']) + '/' + str(r['seam_shots']):>9}"
                             f"{_lost(r):>10}")  # fmt: skip
            if rs:
                lines.append(f"{'mean':<26}{split:<11}{label:<12}{_mean(r['precision'] for r in rs):>7}"
                             f"{_mean(r['recall'] for r in rs):>7}{_mean(r['f1'] for r in rs):>7}"
                             f"{_cell(_mean(r['clean_flagged_pct'] for r in rs), 9)}"
                             f"{_cell(_mean(r['consistency'] for r in rs), 9)}"
                             f"{str(sum(r['flicker_shots'] for r in rs)) + '/' + str(sum(r['seam_shots'] for r in rs)):>9}"
                             f"{_lost_sum(rs):>10}")  # fmt: skip
    return "\n".join(lines)


def write_json(rows: dict, path: Path) -> None:
    Path(path).write_text(json.dumps(rows, indent=2) + "\n")


def moving_grids(out_dir: Path) -> dict[int, np.ndarray]:
    """The moving grid of every frame a batch with stabilize analysed (its sidecar
    ``stabilize.json``, ``moving``): ``{frame number: (rows, cols) bool}``; frames without one
    are absent."""
    from laika_fx.stabilize.moving import unpack_grid

    doc = json.loads((Path(out_dir) / "stabilize.json").read_text())
    return {int(f["frame"]): unpack_grid(f["moving"]) for f in doc.get("frames", []) if "moving" in f}


def calibration_shots(*, seed: int, seamed_per_source: int, free_per_source: int, frames: int = 8,
                      hw: tuple[int, int] = (540, 960), work: Path, root: Path | None = None,
                      log=None) -> tuple[list, list]:  # fmt: skip
    """Frames of validation shots as the seam plugin meets them in a batch, for the detector's
    calibration (:func:`.evaluate.calibrate_threshold`'s ``shot_scenes`` / ``shot_free_scenes``).

    Per validation source ``seamed_per_source`` shots with a seam on every head and
    ``free_per_source`` seam-free shots (:func:`.world.source_shots`, seeds of
    :func:`shot_seeds`), written as 8-bit PNG under ``work`` and run through the real CLI with
    the stabilize plugin alone (its analysis gives each frame's moving grid, as the default
    chain's seam_removal gets it through ``FrameContext.moving``; a shot already analysed there
    is not run again). Returns ``(seamed, free)``: frames of the seamed shots (a head too small
    for a seam line has none) and of the seam-free shots, each a namespace with ``frame`` (the
    frame as written, uint8 RGB: what the batch reads), ``mask`` (uint8 truth), ``moving`` (bool
    grid or None), ``source`` and ``shot``."""
    from types import SimpleNamespace

    from .. import sources

    log = log or (lambda _line: None)
    # shots analysed before are reused by folder name: only those of the same settings
    settings = {"seed": seed, "seamed_per_source": seamed_per_source, "free_per_source": free_per_source,
                "frames": frames, "hw": list(hw), "sources": str(sources.sources_root(root))}  # fmt: skip
    stamp = Path(work) / "calibration_shots.json"
    if stamp.exists() and json.loads(stamp.read_text()) != settings:
        raise ValueError(f"{work} holds calibration shots of other settings ({stamp}): empty it or use another folder")
    Path(work).mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(settings) + "\n")
    out: dict[str, list] = {"seam": [], "free": []}
    for sid in sources.source_ids("validation"):
        shots = iter_build_source_shots(sid, seamed_per_source + free_per_source, seed=seed, hw=hw, frames=frames,
                                        root=root, free=free_per_source)  # one at a time: only their 8-bit frames are kept
        for j, shot in enumerate(shots):
            kind, i = ("seam", j) if j < seamed_per_source else ("free", j - seamed_per_source)
            folder = Path(work) / sid / f"{kind}{i:02d}"
            dest = Path(work) / sid / f"{folder.name}.out"
            if not (dest / "stabilize.json").exists():
                write_shot(shot, folder)
                run_batch(folder, dest, ("--plugins", "stabilize"))
            grids = moving_grids(dest)
            for k, scene in enumerate(shot):
                rgb8 = (np.clip(scene.frame, 0, 1) * 255 + 0.5).astype(np.uint8)
                out[kind].append(SimpleNamespace(frame=rgb8, mask=scene.mask, source=sid, shot=i,
                                                 moving=grids.get(FIRST_FRAME + k)))  # fmt: skip
        log(f"{sid}: {seamed_per_source} + {free_per_source} shots written and analysed")
    return out["seam"], out["free"]
