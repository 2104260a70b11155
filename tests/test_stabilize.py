"""Camera alignment: solve accuracy, foreground robustness, modes, border handling, sidecar, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from laika_fx.io import read_frame, write_frame
from laika_fx.pipeline import BatchOptions, run_batch
from laika_fx.sequence import open_shot
from laika_fx.stabilize.motion import corner_error, is_affine, scale_inverse, scale_matrix
from laika_fx.stabilize.plugin import StabilizePlugin
from laika_fx.stabilize.smooth import smoothed_corrections
from laika_fx.stabilize.solver import CameraSolver, estimate_transform
from laika_fx.stabilize.warp import (
    coverage,
    crop_matrix,
    warp_frame,
    zoom_rectangle,
)
from laika_fx_train.stabilize.evaluate import _similarity, synthetic_shot

W, H = 640, 360
CENTRE = ((W - 1) / 2, (H - 1) / 2)


def _shot(photos, matrices, *, foreground=0.0, seed=0, size=(W, H)):
    return synthetic_shot(photos["set"], photos["puppet"], size=size, foreground=max(foreground, 1e-4),
                          flicker=0.05, seed=seed, matrices=matrices)  # fmt: skip


def _homography(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    src = np.float32([[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]])
    dst = src + rng.uniform(-6, 6, (4, 2)).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64)


TRANSFORMS = {
    "translation": ("translation", _similarity(7.3, -4.6, 0.0, 1.0, CENTRE)),
    "rotation": ("similarity", _similarity(0.0, 0.0, 0.8, 1.0, CENTRE)),
    "scale": ("similarity", _similarity(1.2, 0.4, 0.0, 1.015, CENTRE)),
    "homography": ("homography", _homography(3)),
}


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("kind", list(TRANSFORMS))
def test_recovers_known_transform(photos, kind, dtype):
    motion, truth = TRANSFORMS[kind]
    shot = _shot(photos, [np.eye(3), truth])
    ref, mov = shot.frames
    if dtype == np.uint16:
        ref, mov = (f.astype(np.uint16) * 257 for f in (ref, mov))
    est = estimate_transform(mov, ref, motion=motion, coarse=None)
    before = corner_error(np.eye(3), truth, size=(W, H))
    after = corner_error(est, truth, size=(W, H))
    assert before > 1.0
    assert after < 0.08, f"{kind}/{dtype.__name__}: corner error {after:.4f} px"


def test_moving_foreground_is_rejected(photos):
    truth = _similarity(5.0, 3.0, 0.3, 1.004, CENTRE)
    shot = _shot(photos, [np.eye(3), truth], foreground=0.3, seed=1)
    ref, mov = shot.frames
    robust = CameraSolver(ref, coarse=None).solve(mov)
    naive = CameraSolver(ref, coarse=None, reject_foreground=False).solve(mov)
    err_robust = corner_error(robust.matrix, truth, size=(W, H))
    err_naive = corner_error(naive.matrix, truth, size=(W, H))
    assert err_robust < 0.1, err_robust
    assert err_naive > 3 * err_robust  # the masking is what makes the difference
    # the static set excludes about the puppet area (in both frames) and not much more
    assert 0.4 < robust.static_fraction < 0.85


def _write_shot(folder: Path, frames, start=1001):
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        write_frame(folder / f"frame.{start + i:04d}.png", f)


def _run(folder: Path, out: Path, **settings):
    plugin = StabilizePlugin({"learned": False, **settings})
    report = run_batch(open_shot(str(folder)), out, [plugin], BatchOptions(workers=2))
    return plugin, report, json.loads((out / "stabilize.json").read_text())


def _path(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return [np.eye(3)] + [_similarity(*rng.uniform(-12, 12, 2), rng.uniform(-0.5, 0.5), 1 + rng.uniform(-0.01, 0.01),
                                      CENTRE) for _ in range(n - 1)]  # fmt: skip


def test_sidecar_contract_and_reference_choice(photos, tmp_path):
    truths = _path(5)
    shot = _shot(photos, truths, foreground=0.15, seed=2)
    _write_shot(tmp_path / "shot", shot.frames)
    plugin, report, doc = _run(tmp_path / "shot", tmp_path / "out", reference=1003)
    assert report["frames_written"] == 5 and not report["frames_failed"]
    assert doc["reference_frame"] == 1003
    assert [f["frame"] for f in doc["frames"]] == list(range(1001, 1006))
    ref_truth = truths[2]  # frame n -> frame 1001 ... ; to 1003: inv(T_1003) @ T_n
    for f, t in zip(doc["frames"], truths, strict=True):
        m = np.asarray(f["matrix"])
        assert m.shape == (3, 3)
        expected = np.linalg.inv(ref_truth) @ t
        assert corner_error(m, expected, size=(W, H)) < 0.1, f["frame"]
    assert np.allclose(doc["frames"][2]["matrix"], np.eye(3))
    # round trip: a plugin given the saved sidecar renders exactly what the batch wrote
    again = StabilizePlugin({"learned": False})
    again.set_analysis(json.loads((tmp_path / "out" / "stabilize.json").read_text()))
    from laika_fx.plugins import FrameContext

    def read_source(n: int) -> np.ndarray:
        return read_frame(tmp_path / "shot" / f"frame.{n:04d}.png")

    out = again.render(shot.frames[3], FrameContext(frame=1004, read_source=read_source))
    assert np.array_equal(out, read_frame(tmp_path / "out" / "frame.1004.png"))


@pytest.mark.parametrize("border", ["crop", "zoom"])
def test_crop_and_zoom_leave_no_undefined_pixels(photos, tmp_path, border):
    truths = _path(6, seed=4)
    shot = _shot(photos, truths, seed=3)
    _write_shot(tmp_path / "shot", shot.frames)
    plugin, report, doc = _run(tmp_path / "shot", tmp_path / "out", border=border)
    sizes = {read_frame(tmp_path / "out" / f"frame.{n:04d}.png").shape for n in range(1001, 1007)}
    assert len(sizes) == 1  # one size for the whole shot
    rect = plugin.crop_rectangle
    x, y, rw, rh = rect
    if border == "crop":
        assert sizes == {(rh, rw, 3)}
    else:
        assert sizes == {(H, W, 3)}
    # every output pixel of every frame comes from inside its input frame
    for f in doc["frames"]:
        m = np.asarray(f["matrix"])
        if border == "crop":
            full = crop_matrix(rect, (W, H), zoom=False) @ m
            out_size = (rw, rh)
        else:
            full = crop_matrix(zoom_rectangle(rect, (W, H)), (W, H), zoom=True) @ m
            out_size = (W, H)
        assert coverage(full, (W, H), out_size).all()
        ones = warp_frame(np.full((H, W), 1.0, np.float32), full, size=out_size, border="constant")
        assert ones.min() > 0.999
    # and the crop is not needlessly small: the union of the shifts bounds it
    assert rw > W - 2 * 40 and rh > H - 2 * 40


def test_fill_mode_takes_border_from_neighbours(photos, tmp_path):
    truths = [np.eye(3), _similarity(25, 0, 0, 1, CENTRE), _similarity(-25, 0, 0, 1, CENTRE)]
    shot = _shot(photos, truths, seed=5)
    _write_shot(tmp_path / "shot", shot.frames)
    plugin, report, doc = _run(tmp_path / "shot", tmp_path / "out", border="fill")
    out = read_frame(tmp_path / "out" / "frame.1002.png").astype(np.float32)
    # frame 1002 moved right by 25 px: its left border (x < ~25) is uncovered; frame 1003
    # moved left and covers it, so the filled strip matches the clean reference view
    strip = (slice(20, H - 20), slice(2, 20))
    clean = shot.clean_reference.astype(np.float32)
    err_fill = np.abs(out[strip] - clean[strip]).mean()
    replicated = warp_frame(shot.frames[1], np.asarray(doc["frames"][1]["matrix"])).astype(np.float32)
    err_replicate = np.abs(replicated[strip] - clean[strip]).mean()
    assert err_fill < 8 and err_fill < 0.4 * err_replicate


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [None, 3, 4])
@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos"])
def test_warp_keeps_dtype_channels_and_warps_alpha(dtype, channels, interpolation):
    rng = np.random.default_rng(0)
    shape = (60, 80) if channels is None else (60, 80, channels)
    base = cv2.GaussianBlur(rng.random(shape).astype(np.float32), (0, 0), 3)
    frame = base if dtype == np.float32 else (base * np.iinfo(dtype).max).astype(dtype)
    m = _similarity(3.5, -2.25, 2.0, 1.01, (39.5, 29.5))
    out = warp_frame(frame, m, interpolation=interpolation)
    assert out.dtype == frame.dtype and out.shape == frame.shape
    if channels == 4:
        alpha_alone = warp_frame(np.ascontiguousarray(frame[:, :, 3]), m, interpolation=interpolation)
        assert np.array_equal(out[:, :, 3], alpha_alone)
    # the content really moved: output pixel d shows the input at inverse(m) @ d
    dst = np.array([40.0, 30.0, 1.0])
    src = np.linalg.inv(m) @ dst
    plane = np.ascontiguousarray(frame if channels is None else frame[:, :, 0]).astype(np.float32)
    want = cv2.getRectSubPix(plane, (1, 1), (float(src[0]), float(src[1])))[0, 0]
    got = float(out[30, 40] if channels is None else out[30, 40, 0])
    scale = 1.0 if dtype == np.float32 else float(np.iinfo(dtype).max)
    assert abs(got - want) / scale < 0.01


def test_smooth_mode_keeps_the_move_and_removes_jitter():
    rng = np.random.default_rng(0)
    n = 40
    pan = [np.array([[1, 0, -3.0 * i], [0, 1, -0.5 * i], [0, 0, 1]]) for i in range(n)]  # intended move
    jitter = [np.array([[1, 0, rng.normal(0, 2)], [0, 1, rng.normal(0, 2)], [0, 0, 1]]) for _ in range(n)]
    matrices = [j @ p for j, p in zip(jitter, pan, strict=True)]  # frame -> reference
    corr = smoothed_corrections(matrices, size=(W, H), sigma=6, motion="similarity")
    # ideal correction removes only the jitter: inverse(pan) @ jitter @ pan
    resid = [corner_error(c, np.linalg.inv(p) @ j @ p, size=(W, H)) for c, j, p in zip(corr, jitter, pan, strict=True)]
    jitter_size = [corner_error(j, np.eye(3), size=(W, H)) for j in jitter]
    assert np.median(resid) < 0.35 * np.median(jitter_size)
    # the move is kept: the corrections do not pull frames back to the reference
    assert abs(corr[-1][0, 2]) < 10


def test_cli_on_sample_frames_matches_ground_truth(sample_dir, tmp_path):
    from laika_fx.cli import main

    gt_path = sample_dir / "ground_truth" / "camera.json"
    if not gt_path.exists():
        pytest.fail("sample_frames/ground_truth/camera.json is missing")
    out = tmp_path / "out"
    code = main(["batch", str(sample_dir), str(out), "--plugins", "stabilize"])
    assert code == 0
    doc = json.loads((out / "stabilize.json").read_text())
    truth = {f["frame"]: np.asarray(f["matrix"]) for f in json.loads(gt_path.read_text())["frames"]}
    assert doc["reference_frame"] == json.loads(gt_path.read_text())["reference_frame"]
    size = tuple(doc["frame_size"])
    errs = [corner_error(np.asarray(f["matrix"]), truth[f["frame"]], size=size) for f in doc["frames"]]
    assert len(errs) == len(truth)
    assert np.median(errs) < 0.1 and max(errs) < 0.5, errs
    inputs = sorted(sample_dir.glob("frame.*.png"))
    outputs = sorted(out.glob("frame.*.png"))
    assert [p.name for p in outputs] == [p.name for p in inputs]
    assert read_frame(outputs[0]).shape == read_frame(inputs[0]).shape


@pytest.mark.parametrize("seed", [0, 1])
def test_big_bump_under_heavy_foreground_is_found_by_the_coarse_search(photos, seed):
    rng = np.random.default_rng(seed)
    ang = rng.uniform(0, 2 * np.pi)
    truth = _similarity(28 * np.cos(ang), 28 * np.sin(ang), 0.7, 1.01, CENTRE)  # ~85 px at 1080p
    shot = _shot(photos, [np.eye(3), truth], foreground=0.3, seed=10 + seed)
    ref, mov = shot.frames
    found = CameraSolver(ref, coarse=None).solve(mov)
    assert corner_error(found.matrix, truth, size=(W, H)) < 0.15
    assert found.initial == "search"


@pytest.mark.parametrize("angle", [0.0, 2.0, -1.0])
def test_hole_bands_hold_every_hole_and_band_coverage_matches(angle):
    from laika_fx.stabilize.warp import hole_bands

    m = _similarity(-14.0, 9.0, angle, 1.01, CENTRE)
    full = coverage(m, (W, H), (W, H))
    holes = ~full
    bands = hole_bands(m, (W, H), holes)
    inside = np.zeros_like(holes)
    for x, y, bw, bh in bands:
        inside[y : y + bh, x : x + bw] = True
        assert np.array_equal(coverage(m, (W, H), (W, H), region=(x, y, bw, bh)), full[y : y + bh, x : x + bw])
    assert not (holes & ~inside).any()
    assert inside.mean() < 0.2  # strips, not the frame


def test_fill_reads_the_nearest_neighbours_once(photos):
    from laika_fx.plugins import FrameContext

    truths = [_similarity(dx, 0, 0, 1, CENTRE) for dx in (0, 20, -20, 15, -15, 10, -10)]
    shot = _shot(photos, truths, seed=6)
    plugin = StabilizePlugin({"border": "fill", "fill_radius": 2})
    plugin.set_analysis({"frames": [{"frame": 1001 + i, "matrix": np.linalg.inv(t).tolist()} for i, t in enumerate(truths)],
                         "frame_size": [W, H]})  # fmt: skip
    reads = []

    def read_source(n):
        reads.append(n)
        return shot.frames[n - 1001]

    outs = {n: plugin.render(shot.frames[n - 1001], FrameContext(frame=n, read_source=read_source))
            for n in (1003, 1004, 1005)}  # fmt: skip
    assert set(reads) <= set(range(1001, 1008))
    assert all(abs(r - n) <= 2 for r in reads for n in [min((1003, 1004, 1005), key=lambda k: abs(k - r))])
    assert len(reads) == len(set(reads))  # each neighbour read once, then cached
    assert not {1003, 1004, 1005} & set(reads)  # a frame just rendered is never read back
    # and the result is the same as with every neighbour read from the source
    fresh = StabilizePlugin({"border": "fill", "fill_radius": 2})
    fresh.set_analysis(plugin.analysis)
    again = fresh.render(shot.frames[3], FrameContext(frame=1004, read_source=lambda n: shot.frames[n - 1001]))
    assert np.array_equal(outs[1004], again)


def test_shot_pass_repairs_a_frame_that_disagrees_with_its_neighbours(photos):
    from laika_fx.stabilize.shot import refine_shot
    from laika_fx.stabilize.solver import Alignment

    bump = _similarity(20.0, -12.0, 0.4, 1.0, CENTRE)
    mats = [np.eye(3), _similarity(0.6, -0.4, 0.0, 1.0, CENTRE)] + [bump @ _similarity(d, 0.3, 0.0, 1.0, CENTRE)
                                                                     for d in (0.0, 0.5, -0.4)]  # fmt: skip
    shot = _shot(photos, mats, foreground=0.2, seed=3)
    solver = CameraSolver(shot.frames[0], coarse=None)
    solved = {n: solver.solve(shot.frames[n]) for n in range(1, 5)}
    # a frame locked onto the wrong layer: 25 px off, the neighbours are right
    wrong = _similarity(-25.0, 8.0, 0.0, 1.0, CENTRE) @ mats[3]
    solved[3] = Alignment(wrong, 0.5, 0.5, "search")
    reads = []
    fixed = refine_shot(solver, list(range(5)), solved, lambda k: reads.append(k) or shot.frames[k], reference=0)
    assert fixed[3].initial == "neighbour"
    for n in range(1, 5):
        assert corner_error(fixed[n].matrix, mats[n], size=(W, H)) < 0.15
    assert max(reads.count(k) for k in set(reads)) <= 2  # at most once per pass


def test_fill_does_not_depend_on_render_order(sample_dir, tmp_path):
    """Filled borders come from neighbours in a fixed order, not from whichever is cached:
    frames rendered in any order (several workers, a chunk, the app's preview) come out the same."""
    import shutil

    from laika_fx.plugins import FrameContext

    shot = tmp_path / "shot"
    shot.mkdir()
    for p in sorted(sample_dir.glob("frame.*.png"))[:6]:
        shutil.copy(p, shot / p.name)
    out = tmp_path / "out"
    settings = {"learned": False, "fill_radius": 1}
    run_batch(open_shot(shot), out, [StabilizePlugin(settings)], BatchOptions(workers=1))
    again = StabilizePlugin(settings)
    again.set_analysis(StabilizePlugin.read_analysis(out / "stabilize.json"))

    def read_source(n: int) -> np.ndarray:
        return read_frame(shot / f"frame.{n}.png")

    for n in reversed(range(1001, 1007)):  # each next frame is cached before its previous one
        got = again.render(read_source(n), FrameContext(frame=n, read_source=read_source))
        np.testing.assert_array_equal(got, read_frame(out / f"frame.{n}.png"), err_msg=str(n))


def test_fill_neighbours_are_input_frames_even_after_other_plugins(photos):
    """A frame rendered after other plugins is kept for its neighbours as its *input* version."""
    from laika_fx.plugins import FrameContext

    truths = [_similarity(dx, 0, 0, 1, CENTRE) for dx in (0, 20, -20, 15, -15)]
    shot = _shot(photos, truths, seed=7)
    analysis = {"frames": [{"frame": 1001 + i, "matrix": np.linalg.inv(t).tolist()} for i, t in enumerate(truths)],
                "frame_size": [W, H]}  # fmt: skip

    def read_source(n):
        return shot.frames[n - 1001]

    def brighter(img):  # what a plugin before stabilize (deflicker) does to a frame
        return np.clip(img.astype(np.int16) + 40, 0, 255).astype(img.dtype)

    plugin = StabilizePlugin({"border": "fill", "fill_radius": 1})
    plugin.set_analysis(analysis)
    src = shot.frames[2]
    plugin.render(brighter(src), FrameContext(frame=1003, read_source=read_source, source=src))
    after = plugin.render(brighter(shot.frames[3]), FrameContext(frame=1004, read_source=read_source,
                                                               source=shot.frames[3]))  # fmt: skip
    fresh = StabilizePlugin({"border": "fill", "fill_radius": 1})
    fresh.set_analysis(analysis)
    alone = fresh.render(brighter(shot.frames[3]), FrameContext(frame=1004, read_source=read_source,
                                                              source=shot.frames[3]))  # fmt: skip
    assert np.array_equal(after, alone)


def test_balanced_points_are_the_per_cell_strongest_in_lexsort_order():
    """The fast selection takes exactly the pixels (and, beyond max_points, the same
    fixed-seed subset) as the plain definition: every pixel sorted by (cell, -magnitude)."""
    from laika_fx.stabilize.refine import balanced_points

    def plain(mag, *, fraction, max_points, cells=24):
        h, w = mag.shape
        cell = max(4, int(np.ceil(max(w, h) / cells)))
        cy, cx = np.divmod(np.arange(h * w), w)
        cid = (cy // cell) * (-(-w // cell)) + (cx // cell)
        flat = mag.ravel()
        order = np.lexsort((-flat, cid))
        sorted_cid = cid[order]
        rank = np.arange(len(order)) - np.searchsorted(sorted_cid, sorted_cid, side="left")
        floor = 0.25 * float(np.percentile(flat, 90))
        keep = order[(rank < max(1, int(fraction * cell * cell))) & (flat[order] > max(floor, 1e-6))]
        if len(keep) > max_points:
            keep = np.random.default_rng(0).choice(keep, max_points, replace=False)
        return np.sort(keep)

    rng = np.random.default_rng(3)
    smooth = cv2.GaussianBlur(rng.random((270, 480)).astype(np.float32), (0, 0), 3)
    images = [np.hypot(*np.gradient(smooth)).astype(np.float32),  # a real gradient magnitude
              np.round(rng.random((97, 131)).astype(np.float32) * 4) / 4,  # many ties
              np.zeros((40, 60), np.float32), np.ones((40, 60), np.float32)]
    for mag in images:
        for fraction, max_points in ((0.3, 20000), (0.3, 300), (1.0, 10**6), (0.01, 5)):
            assert np.array_equal(balanced_points(mag, fraction=fraction, max_points=max_points),
                                  plain(mag, fraction=fraction, max_points=max_points))


def test_is_affine_agrees_with_allclose_at_the_tolerance_edges():
    """The solve's affine check gives np.allclose's answer (its default tolerances) exactly."""
    eps = [0.0, 1e-09, 9.99e-09, 1e-08, 1.0001e-08, 2e-08, 1e-06, -1e-08, -2e-08, np.nan, np.inf, -np.inf]
    ones = [1.0, 1.0 + 1e-05, 1.0 + 1.001e-05, 1.0 + 1.1e-05, 1.0 - 1.001e-05, 1.0 - 1.1e-05, 1.0 + 1e-08 + 1e-05,
            np.nextafter(1.0 + 1e-08 + 1e-05, 2.0), 0.0, np.nan, np.inf]  # fmt: skip
    for dtype in (np.float64, np.float32):
        for a in eps:
            for c in ones:
                for row in ([a, 0.0, c], [0.0, a, c]):
                    m = np.eye(3, dtype=dtype)
                    m[2] = row
                    assert is_affine(m) == bool(np.allclose(m[2], [0, 0, 1])), (dtype, row)


def test_scale_inverse_is_numpys_inverse_bit_for_bit():
    for sx, sy in [(0.5, 0.5), (0.125, 0.12592592592592591), (1 / 3, 0.2), (1.0, 1.0)]:
        s = scale_matrix(sx, sy)
        inv = scale_inverse(s)
        assert inv.tobytes() == np.linalg.inv(s).tobytes() and not inv.flags.writeable
        assert scale_inverse(s.copy()) is inv  # computed once per matrix
