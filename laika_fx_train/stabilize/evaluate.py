"""``laika-fx eval stabilize``: camera solve quality on synthetic shots with known transforms.

Shots are built from photographs never used in training (:data:`~.data.EVAL_PHOTOS`):
per-frame jitter, a persistent bump half way, slow drift, a moving "puppet" covering
10-30% of the frame (cut from another held-out photo) and +-5% flicker.

Methods compared on the same frames:

* ``ours`` — the plugin's default solve: the identity, then the learned coarse
  aligner's guess, each verified by the robust cost, the exhaustive coarse shift search
  only when neither verifies; sparse robust refinement (:mod:`laika_fx.stabilize.solver`);
* ``ours, learned off`` — the same without the learned guess (``learned=false``);
* ``ecc`` — plain OpenCV ECC (affine, whole frame, half resolution);
* ``orb+ransac`` — ORB features, RANSAC similarity, whole frame;
* ``vidstab`` — ffmpeg vidstabdetect/vidstabtransform in tripod mode.

Solves are scored by the mean corner error against the truth. vidstab gives no
transforms, so every method's *output frames* are also scored by the residual
misalignment of their static background: an oracle ECC between the output and the
clean reference view with the known puppet regions masked out.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from laika_fx.stabilize.motion import corner_error, project_to_motion
from laika_fx.stabilize.proxies import gray_proxy
from laika_fx.stabilize.shot import refine_shot
from laika_fx.stabilize.solver import CameraSolver
from laika_fx.stabilize.warp import warp_frame

from ..sources import load_photo
from .data import EVAL_PHOTOS

__all__ = [
    "SyntheticShot", "synthetic_shot", "evaluate", "evaluate_bumps", "summarise_bumps", "evaluate_bump_shots",
    "head_shot", "evaluate_head_shots", "format_table", "BUMP_CONFIGS",
]


@dataclass
class SyntheticShot:
    """A synthetic shot with known camera transforms.

    Attributes
    ----------
    frames : list of (H, W, 3) uint8 frames; frame 0 is the reference.
    truth : list of (3, 3) true transforms, frame -> reference.
    clean_reference : (H, W, 3) uint8 reference view without puppet or flicker.
    puppet_masks : list of (H, W) bool, puppet pixels in each frame.
    """

    frames: list[np.ndarray]
    truth: list[np.ndarray]
    clean_reference: np.ndarray
    puppet_masks: list[np.ndarray]


def _similarity(tx: float, ty: float, angle_deg: float, scale: float, centre: tuple[float, float]) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a) * scale, np.sin(a) * scale
    cx, cy = centre
    return np.array([[c, -s, cx + tx - c * cx + s * cy], [s, c, cy + ty - s * cx - c * cy], [0, 0, 1.0]])


def synthetic_shot(
    photo: np.ndarray,
    puppet_photo: np.ndarray,
    *,
    size: tuple[int, int] = (1280, 720),
    frames: int = 24,
    foreground: float = 0.3,
    bump: float = 40.0,
    flicker: float = 0.05,
    seed: int = 0,
    matrices: list[np.ndarray] | None = None,
) -> SyntheticShot:
    """Build a shot: jitter + a persistent bump at mid-shot + slow drift, a moving puppet, flicker.

    Parameters
    ----------
    photo : (h, w, 3) uint8 set photograph (upscaled to cover the frame).
    puppet_photo : (h, w, 3) uint8 texture of the moving foreground.
    size : (width, height) of the frames.
    foreground : puppet area as a fraction of the frame.
    bump : size of the persistent bump in pixels.
    flicker : largest gain change (0.05 = +-5%).
    matrices : explicit true transforms (frame -> reference), one per frame, instead of
        the jitter/bump/drift path; ``frames`` is then ``len(matrices)``.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    margin = 1.35
    ph, pw = photo.shape[:2]
    s = max(w * margin / pw, h * margin / ph)
    scene = cv2.resize(photo, (round(pw * s), round(ph * s)), interpolation=cv2.INTER_CUBIC)
    sh, sw = scene.shape[:2]
    origin = np.array([[1, 0, (sw - w) / 2], [0, 1, (sh - h) / 2], [0, 0, 1.0]])  # reference pixel -> scene
    centre = ((w - 1) / 2, (h - 1) / 2)
    bump_dir = rng.uniform(0, 2 * np.pi)
    bump_matrix = _similarity(bump * np.cos(bump_dir), bump * np.sin(bump_dir), rng.uniform(-0.5, 0.5),
                              1 + rng.uniform(-0.01, 0.01), centre)  # fmt: skip
    drift = rng.normal(0, 0.15, 2)
    truth, out_frames, masks = [], [], []
    # puppet: a body and a head ellipse, textured from another photo, moving along a path
    area = foreground * w * h
    body_rx = np.sqrt(area * 0.8 / np.pi / 1.8)
    body_ry = body_rx * 1.8
    head_r = np.sqrt(area * 0.2 / np.pi)
    tex = cv2.resize(puppet_photo, (w, h), interpolation=cv2.INTER_CUBIC)
    start = np.array([rng.uniform(0.3, 0.45) * w, rng.uniform(0.45, 0.6) * h])
    velocity = np.array([rng.uniform(0.004, 0.012) * w, rng.uniform(-0.004, 0.004) * h])
    if matrices is not None:
        frames = len(matrices)
    for n in range(frames):
        if matrices is not None:
            m = np.asarray(matrices[n], float)
        elif n == 0:
            m = np.eye(3)
        else:
            jitter = _similarity(*rng.normal(0, 1.0, 2), rng.normal(0, 0.05), 1 + rng.normal(0, 0.0008), centre)
            m = jitter @ _similarity(*(drift * n), 0.0, 1.0, centre)
            if n >= frames // 2:
                m = bump_matrix @ m
        truth.append(m)
        view = cv2.warpPerspective(scene, origin @ m, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        if n == 0:
            clean = view.copy()
        pos = start + velocity * n + rng.normal(0, 2, 2)
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (int(pos[0]), int(pos[1])), (int(body_rx), int(body_ry)), float(10 * np.sin(n / 3)), 0, 360, 1, -1)
        head = (int(pos[0] + 0.2 * body_rx * np.sin(n / 2)), int(pos[1] - body_ry - 0.7 * head_r))
        cv2.circle(mask, head, int(head_r), 1, -1)
        shift = np.array([[1, 0, -velocity[0] * n * 0.5], [0, 1, 3 * np.sin(n)]], np.float64)
        puppet = cv2.warpAffine(tex, shift, (w, h), borderMode=cv2.BORDER_REFLECT)
        sel = mask > 0
        view[sel] = puppet[sel]
        gain = 1 + rng.uniform(-flicker, flicker)
        noisy = view.astype(np.float32) * gain + rng.normal(0, 1.0, view.shape).astype(np.float32)
        out_frames.append(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))
        masks.append(sel)
    return SyntheticShot(out_frames, truth, clean, masks)


# ------------------------------------------------------------------------- baselines
def ecc_whole_frame(moving: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Plain OpenCV ECC (affine, whole frame, half resolution, identity start)."""
    h, w = reference.shape[:2]
    ref = gray_proxy(reference, width=w // 2)
    mov = gray_proxy(moving, width=w // 2)
    warp = np.eye(2, 3, dtype=np.float32)
    try:
        _, warp = cv2.findTransformECC(
            ref, mov, warp, cv2.MOTION_AFFINE, (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-6), None, 5
        )
    except cv2.error:
        pass
    full = np.vstack([warp.astype(np.float64), [0, 0, 1]])
    sx, sy = ref.shape[1] / w, ref.shape[0] / h
    s = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])
    m = np.linalg.inv(s) @ np.linalg.inv(full) @ s
    return project_to_motion(m, "similarity", size=(w, h))


def orb_ransac(moving: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """ORB (2000 features, fastThreshold 10) + RANSAC similarity on whole frames."""
    orb = cv2.ORB_create(2000, fastThreshold=10)
    g = [(gray_proxy(x) * 255).astype(np.uint8) for x in (moving, reference)]
    k1, d1 = orb.detectAndCompute(g[0], None)
    k2, d2 = orb.detectAndCompute(g[1], None)
    if d1 is None or d2 is None:
        return np.eye(3)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(d1, d2)
    if len(matches) < 4:
        return np.eye(3)
    src = np.float32([k1[m.queryIdx].pt for m in matches])
    dst = np.float32([k2[m.trainIdx].pt for m in matches])
    m, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if m is None:
        return np.eye(3)
    return np.vstack([m, [0, 0, 1]])


def vidstab_tripod(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Stabilise frames with ffmpeg's vidstab in tripod mode (reference = first frame)."""
    import ffmpeg
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for i, f in enumerate(frames):
            cv2.imwrite(str(tmp / f"in.{i:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        trf = str(tmp / "transforms.trf")
        src = str(tmp / "in.%04d.png")
        (
            ffmpeg.input(src, framerate=24, start_number=0)
            .filter("vidstabdetect", tripod=1, result=trf, shakiness=10, accuracy=15)
            .output("-", format="null")
            .run(cmd=exe, quiet=True)
        )
        (
            ffmpeg.input(src, framerate=24, start_number=0)
            .filter("vidstabtransform", tripod=1, input=trf, optzoom=0, crop="black", interpol="bicubic")
            .output(str(tmp / "out.%04d.png"), start_number=0, pix_fmt="rgb24")
            .run(cmd=exe, quiet=True)
        )
        out = []
        for i in range(len(frames)):
            img = cv2.imread(str(tmp / f"out.{i:04d}.png"), cv2.IMREAD_COLOR)
            out.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if img is not None else np.zeros((h, w, 3), np.uint8))
        return out


def residual_misalignment(output: np.ndarray, clean_reference: np.ndarray, puppet_mask: np.ndarray) -> float:
    """Corner error (pixels) left in an output frame, measured on the static background.

    An oracle ECC (affine, full resolution, identity start) between the output and the clean reference view, with the known puppet region
    (dilated) and black borders masked out.
    """
    h, w = clean_reference.shape[:2]
    fg = cv2.dilate(puppet_mask.astype(np.uint8), np.ones((61, 61), np.uint8))
    gray = gray_proxy(output)
    valid = (gray > 0.002).astype(np.uint8)
    valid = cv2.erode(valid, np.ones((9, 9), np.uint8))
    static = ((fg == 0) & (valid > 0)).astype(np.uint8) * 255
    ref = gray_proxy(clean_reference)
    warp = np.eye(2, 3, dtype=np.float32)
    try:
        _, warp = cv2.findTransformECCWithMask(
            ref, gray, static, np.full_like(static, 255), warp, cv2.MOTION_AFFINE,
            (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-7), 5,
        )  # fmt: skip
    except cv2.error:
        return float("nan")
    residual = np.linalg.inv(np.vstack([warp.astype(np.float64), [0, 0, 1]]))
    return corner_error(residual, np.eye(3), size=(w, h))


# ------------------------------------------------------------------------- evaluation
def _coarse_or_none():
    from laika_fx.stabilize.coarse import LearnedCoarseAligner

    try:
        return LearnedCoarseAligner()
    except FileNotFoundError:
        return None


def evaluate(
    *,
    width: int = 1280,
    height: int = 720,
    frames: int = 24,
    shots: int = 4,
    seed: int = 0,
    baselines: bool = True,
    vidstab: bool = True,
    foreground: float = 0.3,
) -> list[dict]:
    """One row per (shot, method): corner errors of the solve and residuals of the output."""
    names = list(EVAL_PHOTOS)[:shots]
    photos = {n: load_photo(n, np.uint8) for n in EVAL_PHOTOS}
    coarse = _coarse_or_none()
    rows = []
    for k, name in enumerate(names):
        puppet_name = [n for n in EVAL_PHOTOS if n != name][k % (len(EVAL_PHOTOS) - 1)]
        fg = float(np.clip(foreground * (0.5 + 0.5 * k / max(1, shots - 1)), 0.1, foreground))
        shot = synthetic_shot(photos[name], photos[puppet_name], size=(width, height), frames=frames,
                              foreground=fg, seed=seed + k)  # fmt: skip
        ref = shot.frames[0]
        methods: dict = {}
        solver = CameraSolver(ref, coarse=coarse)
        methods["ours"] = lambda f, s=solver: s.solve(f).matrix
        if coarse is not None:
            plain = CameraSolver(ref, coarse=None)
            methods["ours, learned off"] = lambda f, s=plain: s.solve(f).matrix
        if baselines:
            methods["ecc (whole frame)"] = lambda f, r=ref: ecc_whole_frame(f, r)
            methods["orb+ransac"] = lambda f, r=ref: orb_ransac(f, r)
        for method, fn in methods.items():
            errs, resid, times = [], [], []
            for n in range(1, frames):
                t0 = time.perf_counter()
                m = fn(shot.frames[n])
                times.append(time.perf_counter() - t0)
                errs.append(corner_error(m, shot.truth[n], size=(width, height)))
                out = warp_frame(shot.frames[n], m, border="constant")
                fg_out = warp_frame(shot.puppet_masks[n].astype(np.uint8), m, border="constant") > 0
                resid.append(residual_misalignment(out, shot.clean_reference, fg_out))
            rows.append(_row(name, fg, method, errs, resid, times))
        if vidstab:
            t0 = time.perf_counter()
            outs = vidstab_tripod(shot.frames)
            dt = (time.perf_counter() - t0) / frames
            resid = []
            for n in range(1, frames):
                fg_out = cv2.warpPerspective(shot.puppet_masks[n].astype(np.uint8), shot.truth[n], (width, height)) > 0
                resid.append(residual_misalignment(outs[n], shot.clean_reference, fg_out))
            rows.append(_row(name, fg, "vidstab (tripod)", None, resid, [dt]))
    return rows


def _row(shot: str, fg: float, method: str, errs, resid, times) -> dict:
    row = {"shot": shot, "foreground": round(fg, 3), "method": method}
    if errs is not None:
        e = np.asarray(errs)
        row.update(corner_median=float(np.median(e)), corner_mean=float(e.mean()), corner_max=float(e.max()),
                   failures_gt2px=int((e > 2).sum()))  # fmt: skip
    r = np.asarray(resid)
    row.update(residual_median=float(np.nanmedian(r)), residual_max=float(np.nanmax(r)),
               ms_per_frame=float(np.mean(times) * 1000))  # fmt: skip
    return row


#: solver configurations compared on large bumps: (label, CameraSolver keywords, learned)
BUMP_CONFIGS = (
    ("refinement only (identity)", {"search": 0.0}, False),
    ("+ exhaustive search", {}, False),
    ("+ learned guess", {"search": 0.0}, True),
    ("+ learned guess + search", {}, True),
)


def evaluate_bumps(
    *,
    width: int = 1920,
    height: int = 1080,
    bumps: tuple[float, ...] = (20, 40, 60, 80),
    trials: int = 6,
    foreground: float = 0.3,
    seed: int = 0,
    configs: tuple = BUMP_CONFIGS,
) -> list[dict]:
    """Large bumps with heavy foreground: what each source of starting points contributes.

    One pair per trial (reference, bumped frame; translation ``bump`` px in a random
    direction, +-1 deg, +-2% zoom, ``foreground`` moving puppet, flicker). Rows per
    configuration of :data:`BUMP_CONFIGS`: the identity alone (the refinement from no
    guess), plus the exhaustive shift search, plus the learned coarse aligner's guess,
    both. Cheap starts (identity, learned guess) that verify skip the search
    (:func:`~laika_fx.stabilize.starts.choose_candidates`); ``searched`` is the fraction of trials
    in which the search still ran, ``cpu_ms_per_frame`` the solve's CPU time (robust to
    a shared machine's load; one thread, OpenCV's own threads not counted).
    """
    photos = {n: load_photo(n, np.uint8) for n in EVAL_PHOTOS}
    names = list(photos)
    coarse = _coarse_or_none()
    variants = [(label, dict(kw, coarse=coarse if learned else None)) for label, kw, learned in configs
                if coarse is not None or not learned]  # fmt: skip
    rows = []
    for bump in bumps:
        stats: dict[str, list] = {label: [] for label, _ in variants}
        times: dict[str, list] = {k: [] for k in stats}
        searched: dict[str, list] = {k: [] for k in stats}
        for t in range(trials):
            name = names[t % len(names)]
            rng = np.random.default_rng(seed + t)
            ang = rng.uniform(0, 2 * np.pi)
            truth = _similarity(bump * np.cos(ang), bump * np.sin(ang), rng.uniform(-1, 1), 1 + rng.uniform(-0.02, 0.02),
                                ((width - 1) / 2, (height - 1) / 2))  # fmt: skip
            shot = synthetic_shot(photos[name], photos[names[(t + 1) % len(names)]], size=(width, height),
                                  foreground=foreground, seed=seed + 100 * t + int(bump), matrices=[np.eye(3), truth])  # fmt: skip
            moving = shot.frames[1]
            for label, kwargs in variants:
                solver = CameraSolver(shot.frames[0], **kwargs)
                t0 = time.thread_time()
                a = solver.solve(moving)
                times[label].append(time.thread_time() - t0)
                searched[label].append(a.searched)
                stats[label].append(corner_error(a.matrix, truth, size=(width, height)))
        for label, errs in stats.items():
            if not errs:
                continue
            e = np.asarray(errs)
            rows.append({"bump_px": bump, "method": label, "trials": len(e), "failures_gt2px": int((e > 2).sum()),
                         "success": float((e <= 2).mean()), "corner_median": float(np.median(e)),
                         "corner_max": float(e.max()), "searched": float(np.mean(searched[label])),
                         "cpu_ms_per_frame": float(np.mean(times[label]) * 1000)})  # fmt: skip
    return rows


def summarise_bumps(rows: list[dict]) -> list[dict]:
    """One row per configuration over all bump sizes of :func:`evaluate_bumps`."""
    out = []
    for label in dict.fromkeys(r["method"] for r in rows):
        sel = [r for r in rows if r["method"] == label]
        n = sum(r["trials"] for r in sel)
        out.append({"method": label, "trials": n, "failures_gt2px": sum(r["failures_gt2px"] for r in sel),
                    "success": sum(r["success"] * r["trials"] for r in sel) / n,
                    "searched": sum(r["searched"] * r["trials"] for r in sel) / n,
                    "cpu_ms_per_frame": sum(r["cpu_ms_per_frame"] * r["trials"] for r in sel) / n})  # fmt: skip
    return out


def evaluate_bump_shots(
    *,
    width: int = 1920,
    height: int = 1080,
    bumps: tuple[float, ...] = (20, 40, 60, 80),
    trials: int = 4,
    frames: int = 6,
    foreground: float = 0.3,
    seed: int = 0,
) -> list[dict]:
    """Large bumps inside short shots: each trial is ``frames`` frames (frame 0 the
    reference), ~1 px jitter per frame, the bump from frame ``frames // 2`` on and the
    puppet moving as in :func:`synthetic_shot`; every non-reference frame is scored.

    Rows: ``ours (per frame)`` (each frame solved alone, learned guess on as in the
    plugin) and ``ours + shot pass`` (then :func:`~laika_fx.stabilize.shot.refine_shot`, the plugin's
    default); ms are per frame, both passes.
    """
    photos = {n: load_photo(n, np.uint8) for n in EVAL_PHOTOS}
    names = list(photos)
    coarse = _coarse_or_none()
    centre = ((width - 1) / 2, (height - 1) / 2)
    rows = []
    for bump in bumps:
        errs: dict[str, list] = {"ours (per frame)": [], "ours + shot pass": []}
        times: dict[str, list] = {k: [] for k in errs}
        for t in range(trials):
            rng = np.random.default_rng(seed + t)
            ang = rng.uniform(0, 2 * np.pi)
            bump_m = _similarity(bump * np.cos(ang), bump * np.sin(ang), rng.uniform(-1, 1),
                                 1 + rng.uniform(-0.02, 0.02), centre)  # fmt: skip
            mats = [np.eye(3)]
            for n in range(1, frames):
                jitter = _similarity(*rng.normal(0, 1.0, 2), rng.normal(0, 0.05), 1 + rng.normal(0, 0.0008), centre)
                mats.append(bump_m @ jitter if n >= frames // 2 else jitter)
            name = names[t % len(names)]
            shot = synthetic_shot(photos[name], photos[names[(t + 1) % len(names)]], size=(width, height),
                                  foreground=foreground, seed=seed + 100 * t + int(bump), matrices=mats)  # fmt: skip
            solver = CameraSolver(shot.frames[0], coarse=coarse)
            t0 = time.perf_counter()
            single = {n: solver.solve(shot.frames[n]) for n in range(1, frames)}
            t1 = time.perf_counter()
            refined = refine_shot(solver, list(range(frames)), single, shot.frames.__getitem__, reference=0)
            t2 = time.perf_counter()
            for label, res, dt in (("ours (per frame)", single, t1 - t0), ("ours + shot pass", refined, t2 - t0)):
                errs[label] += [corner_error(res[n].matrix, mats[n], size=(width, height)) for n in range(1, frames)]
                times[label].append(dt / (frames - 1))
        for label, e in errs.items():
            e = np.asarray(e)
            rows.append({"bump_px": bump, "method": label, "frames": len(e), "failures_gt2px": int((e > 2).sum()),
                         "corner_median": float(np.median(e)), "corner_max": float(e.max()),
                         "ms_per_frame": float(np.mean(times[label]) * 1000)})  # fmt: skip
    return rows


def head_shot(
    set_photo: np.ndarray,
    head_photo: np.ndarray,
    *,
    size: tuple[int, int] = (960, 540),
    frames: int = 8,
    radius: float = 0.5,
    speed: float = 2.0,
    blur: float = 6.0,
    seed: int = 0,
) -> SyntheticShot:
    """A large textured head walking over a soft (depth-of-field blurred) set, camera shake.

    The case ``laika-fx eval seam-shots`` loses the camera on: a sharp disc-like head
    (radius ``radius`` x the short side, textured from ``head_photo``) walking ``speed``
    px per frame in one direction as one rigid piece over ``set_photo`` blurred by a
    Gaussian of ``blur`` px, plus a camera shake of +-3 px / +-0.3 deg per frame (applied
    to the whole frame, head included) and +-2 % flicker. Frame 0 is the reference.

    Parameters
    ----------
    set_photo, head_photo : (h, w, 3) uint8 photographs.
    size : (width, height).

    Returns
    -------
    shot : :class:`SyntheticShot` (``truth`` maps each frame to frame 0).
    """
    rng = np.random.default_rng(seed)
    w, h = size
    ph, pw = set_photo.shape[:2]
    s = max(w * 1.1 / pw, h * 1.1 / ph)
    scene = cv2.resize(set_photo, (round(pw * s), round(ph * s)), interpolation=cv2.INTER_AREA)
    sh, sw = scene.shape[:2]
    scene = scene[(sh - h) // 2 : (sh - h) // 2 + h, (sw - w) // 2 : (sw - w) // 2 + w]
    scene = cv2.GaussianBlur(scene, (0, 0), blur).astype(np.float32)
    tex = cv2.resize(head_photo, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    r = radius * min(w, h)
    axes = (r * rng.uniform(0.8, 1.2), r * rng.uniform(0.8, 1.2))
    angle = rng.uniform(0, 2 * np.pi)
    step = speed * np.array([np.cos(angle), np.sin(angle)])
    start = np.array([w / 2, h / 2]) - step * (frames - 1) / 2 + rng.uniform(-0.1, 0.1, 2) * (w, h)
    centre = ((w - 1) / 2, (h - 1) / 2)
    shakes = [_similarity(*rng.uniform(-3, 3, 2), rng.uniform(-0.3, 0.3), 1.0, centre) for _ in range(frames)]
    tilt = float(rng.uniform(0, 180))
    out_frames, truth, masks = [], [], []
    for n in range(frames):
        pos = start + step * n
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (int(round(pos[0])), int(round(pos[1]))), (int(axes[0]), int(axes[1])), tilt, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 1.0)[..., None]
        moved = cv2.warpAffine(tex, np.array([[1.0, 0, step[0] * n], [0, 1.0, step[1] * n]]), (w, h),
                               borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        world = scene * (1 - mask) + moved * mask
        # the shake maps reference-camera pixels to this frame's: frame = world seen through it
        view = cv2.warpPerspective(world, shakes[n], (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        gain = 1 + rng.uniform(-0.02, 0.02)
        noisy = view * gain + rng.normal(0, 1.0, view.shape).astype(np.float32)
        out_frames.append(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))
        truth.append(shakes[0] @ np.linalg.inv(shakes[n]))
        masks.append(cv2.warpPerspective(mask[..., 0], shakes[n], (w, h)) > 0.5)
    clean = np.clip(cv2.warpPerspective(scene, shakes[0], (w, h), borderMode=cv2.BORDER_REFLECT), 0, 255)
    return SyntheticShot(out_frames, truth, clean.astype(np.uint8), masks)


def evaluate_head_shots(
    *, shots: int = 8, frames: int = 8, size: tuple[int, int] = (960, 540), seed: int = 0
) -> list[dict]:
    """Large textured heads walking over soft sets (:func:`head_shot`), from the held-out photos.

    Each shot draws a set photo and a different head photo from :data:`EVAL_PHOTOS`, a
    head radius of 0.3-0.7 x the short side, a walk of 1-4 px per frame and a set blur of
    3-10 px. Rows: ``ours (per frame)`` and ``ours + shot pass`` (the plugin's default),
    every non-reference frame scored; ``shots_lost`` counts the shots whose worst frame
    is off by more than 2 px (what ``laika-fx eval seam-shots`` calls ``cam lost``).
    """
    photos = {n: load_photo(n, np.uint8) for n in EVAL_PHOTOS}
    names = list(photos)
    coarse = _coarse_or_none()
    errs: dict[str, list] = {"ours (per frame)": [], "ours + shot pass": []}
    worst: dict[str, list] = {k: [] for k in errs}
    cpu: dict[str, float] = dict.fromkeys(errs, 0.0)
    for t in range(shots):
        rng = np.random.default_rng(seed + 1000 + t)
        a, b = rng.choice(len(names), 2, replace=False)
        shot = head_shot(photos[names[a]], photos[names[b]], size=size, frames=frames,
                         radius=float(rng.uniform(0.3, 0.7)), speed=float(rng.uniform(1.0, 4.0)),
                         blur=float(rng.uniform(3.0, 10.0)), seed=seed + t)  # fmt: skip
        solver = CameraSolver(shot.frames[0], coarse=coarse)
        t0 = time.process_time()
        single = {n: solver.solve(shot.frames[n]) for n in range(1, frames)}
        t1 = time.process_time()
        refined = refine_shot(solver, list(range(frames)), single, shot.frames.__getitem__, reference=0)
        t2 = time.process_time()
        for label, res, dt in (("ours (per frame)", single, t1 - t0), ("ours + shot pass", refined, t2 - t0)):
            e = [corner_error(res[n].matrix, shot.truth[n], size=size) for n in range(1, frames)]
            errs[label] += e
            worst[label].append(max(e))
            cpu[label] += dt
    rows = []
    for label, e in errs.items():
        e = np.asarray(e)
        rows.append({"method": label, "shots": shots, "shots_lost": int((np.asarray(worst[label]) > 2).sum()),
                     "frames": len(e), "failures_gt2px": int((e > 2).sum()), "corner_median": float(np.median(e)),
                     "corner_max": float(e.max()), "cpu_ms_per_frame": 1000 * cpu[label] / len(e)})  # fmt: skip
    return rows


def format_table(rows: list[dict]) -> str:
    """Plain-text table of :func:`evaluate` or :func:`evaluate_bumps` rows."""
    if not rows:
        return "(no rows)"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4f}" if abs(v) < 100 else f"{v:.1f}"
        return str(v)
    table = [[fmt(r.get(k, "-")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(t[i]) for t in table)) for i, k in enumerate(keys)]
    lines = [" | ".join(k.ljust(wd) for k, wd in zip(keys, widths, strict=True))]
    lines.append("-|-".join("-" * wd for wd in widths))
    lines += [" | ".join(c.ljust(wd) for c, wd in zip(t, widths, strict=True)) for t in table]
    return "\n".join(lines)

