"""Build the synthetic stop-motion sample shot in ``sample_frames/``.

Makes 24 frames (``frame.1001.png`` ... ``frame.1024.png``, 960x540, 8-bit RGB) of a
puppet (head from :mod:`laika_fx_train.seam.synth`) sitting at a table in front
of a defocused brick-wall miniature set with a framed photo on the wall. Every
frame has a replacement-face seam across the lower face, small puppet animation
(head moves/tilts, blinks, mouth shapes), camera bumps (sub-pixel jitter, slow
drift and one persistent bump) and a slight global lighting flicker.

Ground truth goes to ``sample_frames/ground_truth/``:

- ``clean/frame.NNNN.png``: the same frame rendered without the seam line (same camera
  warp, flicker and noise realisation). The slight brightness/colour step between
  the upper and lower printed halves is kept: it is not meant to be removed;
- ``masks/frame.NNNN.png``: uint8 0/255 seam mask (warped like the frame, bilinear,
  re-thresholded at 0.25 so it errs on the covering side);
- ``camera.json``: per frame a 3x3 matrix mapping pixel ``(x, y, 1)`` of that frame
  to the reference frame 1001 (``cv2.warpAffine(frame, M[:2], (960, 540))``
  aligns a frame onto frame 1001);
- ``flicker.json``: per-frame global gain (relative to frame 1001);
- ``SOURCES.md``: which packaged photographs and procedural textures were used.

Rerun from the repository root (deterministic: fixed seed, byte-identical output)::

    .venv/bin/python sample_frames/make_sample_frames.py

It only writes inside ``sample_frames/``.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from laika_fx_train.seam import synth  # noqa: E402

SEED = 20240611
FIRST, N_FRAMES = 1001, 24
W, H = 960, 540
MARGIN = 40  # scene canvas is larger than the frame so warps never show borders
CW, CH = W + 2 * MARGIN, H + 2 * MARGIN
NOISE_SIGMA = 0.0 / 255.0  # sensor noise off: even 0.3/255 grain ~doubles the PNG sizes
TABLE_FAR = 428  # canvas y of the table's far edge
TABLE_OCC = 500  # canvas y where the table surface hides the puppet's torso
PNG = [cv2.IMWRITE_PNG_COMPRESSION, 9]


# --------------------------------------------------------------------------- set


def _disk_blur(img: np.ndarray, radius: float) -> np.ndarray:
    """Lens-like defocus: convolution with an anti-aliased disk."""
    r = int(math.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0.0, 1.0)
    k /= k.sum()
    return cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT)


def _load_photos() -> dict[str, np.ndarray]:
    """Photographs bundled inside installed packages (no network access)."""
    import skimage.data as skd

    return {
        "brick": skd.brick().astype(np.float32) / 255.0,  # (512, 512) gray
        "coffee": skd.coffee().astype(np.float32) / 255.0,  # (400, 600, 3)
        "chelsea": skd.chelsea().astype(np.float32) / 255.0,  # (300, 451, 3)
    }


def _wood(photos: dict[str, np.ndarray], size_wh: tuple[int, int]) -> np.ndarray:
    """Wood texture: the plain table area at the right of ``skimage.data.coffee()``."""
    strip = photos["coffee"][0:400, 490:600]  # wood only, no cup
    strip = np.ascontiguousarray(np.rot90(strip))  # grain roughly horizontal
    return cv2.resize(strip, size_wh, interpolation=cv2.INTER_CUBIC)


def build_set(photos: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Static miniature set in canvas coordinates, float32 RGB (CH, CW, 3)."""
    gy, gx = np.mgrid[0:CH, 0:CW].astype(np.float32)

    # Back wall: the CC0 brick photo, bricks horizontal, painted a muted red-brown.
    brick = np.ascontiguousarray(np.rot90(photos["brick"]))
    brick = cv2.resize(brick, (CW, CW), interpolation=cv2.INTER_CUBIC)[:CH]
    brick = (brick - brick.mean()) / (brick.std() + 1e-6)
    tint = np.array([0.55, 0.36, 0.28], np.float32)
    wall = tint * (1.0 + 0.13 * np.clip(brick, -3, 3))[..., None]
    wall *= (1.0 + 0.05 * cv2.GaussianBlur(rng.standard_normal((CH, CW)), (0, 0), 25) * 40)[
        ..., None
    ].astype(np.float32)

    # Framed picture on the wall: skimage.data.chelsea() in a dark wooden frame.
    pic_w, pic_h, border = 196, 131, 12
    px0, py0 = 720, 84
    frame_tex = _wood(photos, (pic_w + 2 * border, pic_h + 2 * border)) * 0.55
    shadow = np.zeros((CH, CW), np.float32)
    shadow[py0 + 8 : py0 + pic_h + 2 * border + 8, px0 + 10 : px0 + pic_w + 2 * border + 10] = 1
    shadow = cv2.GaussianBlur(shadow, (0, 0), 7)
    wall *= (1.0 - 0.45 * shadow)[..., None]
    wall[py0 : py0 + pic_h + 2 * border, px0 : px0 + pic_w + 2 * border] = frame_tex
    cat = cv2.resize(photos["chelsea"], (pic_w, pic_h), interpolation=cv2.INTER_AREA)
    wall[py0 + border : py0 + border + pic_h, px0 + border : px0 + border + pic_w] = (
        cat * 0.8 + 0.03
    )

    # Key light pool from the upper left, darker corners.
    pool = np.exp(-(((gx - 360) / 520) ** 2 + ((gy - 170) / 330) ** 2))
    wall *= (0.17 + 0.6 * pool)[..., None]  # low-key: the puppet is the brightest thing
    wall = _disk_blur(wall, 13.0)

    # Table: wood texture in perspective, defocus growing with distance from the
    # puppet's depth (near rows at the bottom are most blurred).
    tw, th = 1400, 420
    wood = _wood(photos, (tw, th))
    src = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]])
    dst = np.float32([[-160, TABLE_FAR], [CW + 160, TABLE_FAR], [CW + 700, CH], [-700, CH]])
    persp = cv2.getPerspectiveTransform(src, dst)
    table = cv2.warpPerspective(wood, persp, (CW, CH), flags=cv2.INTER_CUBIC)
    table *= (0.4 + 0.4 * np.exp(-(((gx - 420) / 600) ** 2)))[..., None]
    table *= (1.0 - 0.7 * np.clip((gy - TABLE_OCC) / (CH - TABLE_OCC), 0, 1))[..., None]
    levels = [table, _disk_blur(table, 6.0), _disk_blur(table, 9.0), _disk_blur(table, 16.0)]
    rows = np.arange(CH, dtype=np.float32)
    focus = np.interp(rows, [TABLE_FAR, TABLE_OCC - 20, TABLE_OCC + 30, CH], [2.2, 1.0, 1.2, 3.0])
    lo = np.clip(np.floor(focus).astype(int), 0, 2)
    fr = (focus - lo)[:, None, None]
    tbl = np.zeros_like(table)
    for i in range(3):
        sel = (lo == i)[:, None, None]
        tbl += np.where(sel, levels[i] * (1 - fr) + levels[i + 1] * fr, 0)
    # A soft dark line at the far edge (table thickness / occlusion).
    edge = np.exp(-(((rows - TABLE_FAR - 2) / 3.0) ** 2))[:, None, None]
    tbl *= 1.0 - 0.35 * edge
    tmask = _smooth_rows(rows, TABLE_FAR)[:, None, None]
    return (wall * (1 - tmask) + tbl * tmask).astype(np.float32)


def _smooth_rows(rows: np.ndarray, y: float) -> np.ndarray:
    return np.clip(rows - y + 0.5, 0.0, 1.0)


# --------------------------------------------------------------------------- puppet


def _felt(rng: np.random.Generator) -> np.ndarray:
    """Procedural felt-jacket albedo (soft mottling + faint fibres), canvas sized."""
    mottle = cv2.GaussianBlur(rng.standard_normal((CH, CW)).astype(np.float32), (0, 0), 6)
    fibre = cv2.GaussianBlur(rng.standard_normal((CH, CW)).astype(np.float32), (0, 0), 1.5)
    base = np.array([0.19, 0.28, 0.4], np.float32)
    return base * (1.0 + 1.0 * mottle + 0.06 * fibre)[..., None]


def render_puppet(
    felt: np.ndarray, head_rng_seed: int, pose: dict
) -> tuple[np.ndarray, np.ndarray, synth.PuppetHead]:
    """Body + neck + head for one frame (canvas coordinates).

    Returns
    -------
    rgb, alpha, head
        Colour (CH, CW, 3), coverage (CH, CW) of the whole puppet (torso clipped at
        the table) and the head render (whose ``face_mask`` is used for the seam).
    """
    gy, gx = np.mgrid[0:CH, 0:CW].astype(np.float32)
    hx, hy = pose["head_xy"]
    rx, ry = 108.0, 136.0
    bx = pose["body_x"]

    # Torso: rounded shoulders, clipped by the table surface.
    sh_top, sh_rx, sh_ry = 372.0, 215.0, 95.0
    ex = (gx - bx) / sh_rx
    ey = (gy - (sh_top + sh_ry)) / sh_ry
    # superellipse top: flatter shoulders than a plain ellipse
    torso_d = (1.0 - (np.abs(ex) ** 3 + np.abs(np.minimum(ey, 0.0)) ** 3) ** (1 / 3)) * sh_ry
    torso_a = np.clip(torso_d + 0.5, 0, 1) * np.clip(TABLE_OCC - gy + 0.5, 0, 1)
    cyl = np.sqrt(np.clip(1.0 - ex * ex, 0.0, 1.0))
    torso_shade = 0.3 + 0.75 * np.clip(0.35 + 0.65 * cyl - 0.25 * ex, 0, 1)
    torso_shade *= 1.0 - 0.35 * np.clip((gy - sh_top) / 120.0, 0, 1)
    torso = felt * torso_shade[..., None]

    # Neck: shaded cylinder between head and shoulders.
    nw = 0.26 * rx
    ncx = 0.5 * (hx + bx)
    nd = (gx - ncx) / nw
    neck_a = np.clip((1.0 - np.abs(nd)) * nw + 0.5, 0, 1) * (gy > hy) * (gy < sh_top + 40)
    ncyl = np.sqrt(np.clip(1.0 - nd * nd, 0.0, 1.0))
    nshade = 0.25 + 0.65 * np.clip(0.3 + 0.7 * ncyl - 0.3 * nd, 0, 1)
    nshade *= 1.0 - 0.55 * np.exp(-np.maximum(gy - (hy + 0.8 * ry), 0) / 18.0)  # chin shadow
    neck = np.array([0.86, 0.66, 0.54], np.float32) * nshade[..., None]
    # Collar: darker felt band where the neck enters the jacket.
    collar = np.exp(-(((gy - sh_top - 4) / 7.0) ** 2) - ((gx - ncx) / (nw * 1.8)) ** 4)
    torso *= (1.0 - 0.35 * collar)[..., None]

    head = synth.render_puppet_head(
        (CH, CW),
        center=(hx, hy),
        radius_xy=(rx, ry),
        rng=np.random.default_rng(head_rng_seed),
        tilt_deg=pose["tilt"],
        blink=pose["blink"],
        gaze=pose["gaze"],
        mouth_open=pose["mouth"],
        smile=pose["smile"],
        brow_raise=pose["brow"],
        hair_rgb=(0.33, 0.19, 0.1),
        iris_rgb=(0.3, 0.45, 0.3),
        seam_v=0.2,
    )
    rgb = neck * neck_a[..., None]
    a = neck_a
    rgb = rgb * (1 - torso_a[..., None]) + torso * torso_a[..., None]
    a = a + torso_a * (1 - a)
    ha = head.alpha[..., None]
    rgb = rgb * (1 - ha) + head.rgb * ha
    a = a + head.alpha * (1 - a)
    return rgb.astype(np.float32), a.astype(np.float32), head


def composite(scene: np.ndarray, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Puppet over the set with a soft cast shadow on the wall and a contact shadow."""
    sh = cv2.GaussianBlur(alpha, (0, 0), 16)
    sh = cv2.warpAffine(sh, np.float32([[1, 0, 34], [0, 1, 14]]), (CW, CH))
    rows = np.arange(CH, dtype=np.float32)[:, None]
    on_wall = np.clip(TABLE_FAR - rows, 0, 1)
    contact = cv2.GaussianBlur(alpha * (rows > TABLE_OCC - 12), (0, 0), 9)
    contact *= np.clip(rows - TABLE_OCC + 1, 0, 1)
    dark = 1.0 - 0.38 * sh * on_wall - 0.5 * np.clip(contact * 1.6, 0, 1)
    bg = scene * dark[..., None]
    return (bg * (1 - alpha[..., None]) + rgb * alpha[..., None]).astype(np.float32)


# --------------------------------------------------------------------------- camera


def similarity(theta_deg: float, tx: float, ty: float) -> np.ndarray:
    """3x3 rotation about the frame centre followed by translation (frame px)."""
    a = math.radians(theta_deg)
    c, s = math.cos(a), math.sin(a)
    cx, cy = (W - 1) / 2.0, (H - 1) / 2.0
    m = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    m[0, 2] = cx - c * cx + s * cy + tx
    m[1, 2] = cy - s * cx - c * cy + ty
    return m


def camera_motion(rng: np.random.Generator) -> list[np.ndarray]:
    """Reference->frame warps T_n (scene point p in frame 1001 appears at T_n p)."""
    bump_from = 14  # index of frame 1015
    out = []
    for i in range(N_FRAMES):
        if i == 0:
            out.append(np.eye(3))
            continue
        ang = rng.uniform(0, 2 * math.pi)
        mag = rng.uniform(0.3, 1.0) if rng.random() < 0.8 else rng.uniform(0.05, 0.2)
        jx, jy = mag * math.cos(ang), mag * math.sin(ang)
        jr = rng.normal(0.0, 0.01)
        tx, ty, th = 0.07 * i + jx, -0.045 * i + jy, 0.004 * i + jr
        if i >= bump_from:
            tx, ty, th = tx + 5.6, ty + 3.3, th + 0.3
        out.append(similarity(th, tx, ty))
    return out


def warp_to_frame(canvas: np.ndarray, t_ref_to_frame: np.ndarray, interp: int) -> np.ndarray:
    """Sample the canvas for frame pixels: frame(x) = canvas(C @ T^-1 @ x)."""
    c = np.array([[1.0, 0, MARGIN], [0, 1.0, MARGIN], [0, 0, 1.0]])
    m = (c @ np.linalg.inv(t_ref_to_frame))[:2].astype(np.float64)
    return cv2.warpAffine(
        canvas, m, (W, H), flags=interp | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
    )


# --------------------------------------------------------------------------- animation


def poses() -> list[dict]:
    """Per-frame puppet pose (stepped, like replacement animation on twos/ones)."""
    blink = {7: 0.55, 8: 1.0, 9: 0.35, 19: 1.0, 20: 0.5}
    mouth = [0, 0, 0.15, 0.45, 0.6, 0.3, 0.1, 0, 0, 0.25, 0.5, 0.5, 0.2, 0, 0, 0.35,
             0.55, 0.3, 0.1, 0, 0, 0.15, 0.3, 0.1]  # fmt: skip
    out = []
    for i in range(N_FRAMES):
        k = i // 2 * 2  # head moves on twos
        hx = 470 + 3.0 * math.sin(k / 5.0) + (2.0 if i >= 12 else 0.0)
        hy = 226 + 1.5 * math.sin(k / 3.7 + 1.0)
        out.append(
            {
                "head_xy": (hx, hy),
                "body_x": 470 + 0.8 * math.sin(k / 5.0),
                "tilt": 2.5 * math.sin(k / 6.0 + 0.4) - 1.0,
                "blink": blink.get(i, 0.0),
                "gaze": (-0.5, 0.1) if 10 <= i < 17 else (0.25, 0.0),
                "mouth": mouth[i],
                "smile": 0.35 - 0.3 * mouth[i],
                "brow": 0.6 if 15 <= i < 19 else 0.0,
            }
        )
    return out


# --------------------------------------------------------------------------- main


def to_u8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)


def write_png(path: Path, img_u8: np.ndarray) -> None:
    bgr = img_u8[..., ::-1] if img_u8.ndim == 3 else img_u8
    if not cv2.imwrite(str(path), np.ascontiguousarray(bgr), PNG):
        raise OSError(f"could not write {path}")


SOURCES = """# Sources of the sample shot

Generated by `sample_frames/make_sample_frames.py` (seed {seed}); no network access,
all photographs ship inside installed Python packages.

## Packaged photographs

| Use | Package | Function / file | Licence (per the package docs) |
|---|---|---|---|
| Back wall (rotated, tinted red-brown, defocused) | scikit-image {skv} | `skimage.data.brick()` (`skimage/data/brick.png`) | CC0 (from CC0Textures "Bricks25") |
| Table top (perspective-warped) and picture frame wood | scikit-image {skv} | `skimage.data.coffee()` (`skimage/data/coffee.png`), crop rows 0-400, columns 490-600 (plain wood, no cup) | CC0, photographer Rachel Michetti |
| Framed photo on the wall | scikit-image {skv} | `skimage.data.chelsea()` (`skimage/data/chelsea.png`) | CC0, photographer Stefan van der Walt |

## Procedural (this repository)

- Puppet head, eyes, brows, lips, hair cap, stray fringe strands, printed texture and the
  replacement-face seam: `laika_fx_train/seam/synth.py`
  (`render_puppet_head`, `seam_curve`, `draw_seam`).
- Felt jacket (blurred Gaussian noise), neck, wall light pool, wall paint
  mottling (blurred Gaussian noise), cast and contact shadows, disk-kernel defocus:
  `sample_frames/make_sample_frames.py`.
- Camera motion, flicker gains and sensor noise (Gaussian, sigma {noise:.2f}/255):
  `numpy.random.default_rng({seed})`.
"""


def main() -> None:
    import skimage

    rng = np.random.default_rng(SEED)
    photos = _load_photos()
    scene = build_set(photos, rng)
    felt = _felt(rng)
    cams = camera_motion(rng)
    gains = [1.0] + [float(1.0 + rng.uniform(-0.025, 0.025)) for _ in range(N_FRAMES - 1)]
    seam_base = {"width": 1.7, "darkness": 0.62, "highlight": 0.22, "step": 0.03,
                 "softness": 1.3, "shadow": 0.3, "shadow_side": 1, "jitter": 0.25,
                 "step_tint": (0.006, -0.002, -0.006)}  # fmt: skip

    gt = HERE / "ground_truth"
    (gt / "clean").mkdir(parents=True, exist_ok=True)
    (gt / "masks").mkdir(parents=True, exist_ok=True)

    cam_json = {"reference_frame": FIRST, "frames": []}
    for i, pose in enumerate(poses()):
        fno = FIRST + i
        frng = np.random.default_rng([SEED, fno])
        rgb, alpha, head = render_puppet(felt, SEED + 7, pose)
        plain = composite(scene, rgb, alpha)
        lm = head.landmarks
        # Each replacement face is a separate print: the seam wanders a little.
        sc = (lm["seam_center"][0], lm["seam_center"][1] + frng.uniform(-0.6, 0.6))
        curve = synth.seam_curve(
            sc,
            lm["seam_half_width"],
            rng=np.random.default_rng(SEED + 11),  # same curve shape on every face
            angle_deg=lm["tilt_deg"],
            sag=-0.1,
            wobble=0.01,
        )
        params = dict(seam_base)
        params["width"] *= float(frng.uniform(0.88, 1.12))
        params["darkness"] *= float(frng.uniform(0.92, 1.05))
        rng_clean = copy.deepcopy(frng)
        seamed, mask = synth.draw_seam(plain, curve, head.face_mask, rng=frng, **params)
        # Clean = what a perfect seam removal gives: the line (gap, shadow, highlight) gone,
        # the slight brightness/colour step between the two printed halves kept.
        params.update(darkness=0.0, highlight=0.0, shadow=0.0)
        clean, _ = synth.draw_seam(plain, curve, head.face_mask, rng=rng_clean, **params)

        t = cams[i]
        noise = frng.standard_normal((H, W, 3)).astype(np.float32) * NOISE_SIGMA
        out = {}
        for name, img in (("seamed", seamed), ("clean", clean)):
            fr = warp_to_frame(img, t, cv2.INTER_CUBIC) * gains[i] + noise
            out[name] = to_u8(fr)
        m = warp_to_frame(mask.astype(np.float32) / 255.0, t, cv2.INTER_LINEAR)
        write_png(HERE / f"frame.{fno}.png", out["seamed"])
        write_png(gt / "clean" / f"frame.{fno}.png", out["clean"])
        write_png(gt / "masks" / f"frame.{fno}.png", np.where(m >= 0.25, 255, 0).astype(np.uint8))
        inv = np.linalg.inv(t)
        inv /= inv[2, 2]
        cam_json["frames"].append(
            {"frame": fno, "matrix": [[round(float(v), 10) + 0.0 for v in row] for row in inv]}
        )

    (gt / "camera.json").write_text(json.dumps(cam_json, indent=1) + "\n")
    flick = {
        "reference_frame": FIRST,
        "note": "frame = clip(warped_scene * gain + noise); gains relative to frame 1001",
        "frames": [{"frame": FIRST + i, "gain": round(g, 8)} for i, g in enumerate(gains)],
    }
    (gt / "flicker.json").write_text(json.dumps(flick, indent=1) + "\n")
    (gt / "SOURCES.md").write_text(
        SOURCES.format(seed=SEED, skv=skimage.__version__, noise=NOISE_SIGMA * 255)
    )
    print(f"wrote {N_FRAMES} frames + ground truth to {HERE}")


if __name__ == "__main__":
    main()
