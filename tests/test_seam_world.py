"""The package image sources (registry, split, fetch script) and the wide seam world, on a
tiny fake sources folder (no fetched package is needed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from laika_fx_train import sources

pytest.importorskip("PIL")


def test_every_source_is_in_exactly_one_split_and_named_for_it():
    prefix = {"train": "T-", "validation": "V-", "foreign": "F-"}
    seen: dict[str, str] = {}
    for p in sources.PACKAGE_SOURCES:
        assert p.split in sources.SPLITS
        assert p.id.startswith(prefix[p.split]), p.id
        assert seen.setdefault(p.id, p.split) == p.split  # a source never spans splits
        assert re.fullmatch(r"[0-9a-f]{64}", p.sha256), p.name
        assert p.licence.strip() and p.version.strip()
    names = [p.name for p in sources.PACKAGE_SOURCES]
    assert len(names) == len(set(names)), "a package belongs to one source only"
    splits = [set(sources.source_ids(s)) for s in sources.SPLITS]
    assert not (splits[0] & splits[1]) and not (splits[0] & splits[2]) and not (splits[1] & splits[2])
    assert sources.source_ids("foreign") == (
        "F-lomiri-wallpapers", "F-ufoai-textures", "F-opencv-samples", "F-wesnoth-portraits")  # fmt: skip


def test_the_fetch_script_embeds_the_registry():
    text = sources.fetch_script().read_text()
    table = text.split("<<'EOF_TABLE'", 1)[1].split("\nEOF_TABLE", 1)[0]
    rows = [line.split("\t") for line in table.splitlines()[1:] if line.strip() and not line.startswith("#")]
    split = {"val": "validation"}
    got = [(r[0], split.get(r[1], r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]
    want = [(p.id, p.split, p.kind, p.name, p.version, p.sha256, p.include, p.exclude, p.post)
            for p in sources.PACKAGE_SOURCES]  # fmt: skip
    assert got == want


def test_fetch_sources_fetches_only_registered_sources(tmp_path):
    """A package name that is no source id of the registry is refused before anything is made."""
    proc = subprocess.run([sys.executable, "-m", "laika_fx", "train", "fetch-sources", str(tmp_path / "s"),
                           "--only", "some-other-package"], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 2
    assert "not a source id" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()
    # the script itself refuses it too (called directly), again before fetching
    proc = subprocess.run(["bash", str(sources.fetch_script()), str(tmp_path / "t"), "--only", "some-other-package"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "not a source id" in proc.stderr
    assert not (tmp_path / "t").exists()


def test_sources_root_comes_from_the_option_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(sources.SOURCES_ENV, str(tmp_path / "env"))
    assert sources.sources_root() == tmp_path / "env"
    assert sources.sources_root(tmp_path / "opt") == tmp_path / "opt"
    monkeypatch.delenv(sources.SOURCES_ENV)
    assert sources.sources_root() == Path.home() / ".cache" / "laika_fx" / "sources"


def _fake_sources(root: Path, moved_from: str | None = None) -> Path:
    """A sources folder with a few images for T-gcompris and F-wesnoth-portraits."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    lines = {"T-gcompris": [], "F-wesnoth-portraits": []}
    d = root / "debian" / "pkg"
    d.mkdir(parents=True, exist_ok=True)
    for i in range(4):  # opaque "photos" with some structure
        yy, xx = np.mgrid[0:120, 0:160]
        img = (127 + 100 * np.sin(xx / (5 + 3 * i))[..., None] * rng.uniform(0.3, 1, 3)).astype(np.uint8)
        Image.fromarray(img).save(d / f"photo{i}.png")
        lines["T-gcompris"].append(d / f"photo{i}.png")
    for i in range(3):  # cut-outs: a disc with alpha; one as a 1-bit GIF
        a = np.zeros((100, 80), np.uint8)
        yy, xx = np.mgrid[0:100, 0:80]
        a[((xx - 40) / 30) ** 2 + ((yy - 50) / 40) ** 2 < 1] = 255
        rgba = np.dstack([rng.integers(0, 255, (100, 80, 3), dtype=np.uint8), a])
        if i == 2:
            im = Image.fromarray(rgba[..., :3]).convert("P", palette=Image.ADAPTIVE, colors=255)
            idx = np.array(im)
            idx[a == 0] = 255
            im = Image.fromarray(idx, "P")
            im.putpalette(Image.fromarray(rgba[..., :3]).convert("P", palette=Image.ADAPTIVE, colors=255).getpalette())
            im.save(d / f"cut{i}.gif", transparency=255)
            p = d / f"cut{i}.gif"
        else:
            Image.fromarray(rgba, "RGBA").save(d / f"cut{i}.png")
            p = d / f"cut{i}.png"
        lines["T-gcompris"].append(p)
        lines["F-wesnoth-portraits"].append(p)
    for sid, paths in lines.items():
        text = "\n".join(str(p).replace(str(root), moved_from) if moved_from else str(p) for p in paths)
        (root / "manifests" / f"{sid}.txt").write_text(text + "\n")
    return root


def test_manifest_paths_follow_a_moved_sources_folder(tmp_path):
    root = _fake_sources(tmp_path / "here", moved_from="/somewhere/else")
    paths = sources.manifest_paths("T-gcompris", root)
    assert len(paths) == 7 and all(p.exists() for p in paths)
    assert sources.manifest_paths("T-hdri", root) == []


def test_world_scenes_are_deterministic_uint16_and_carry_seams(tmp_path):
    from laika_fx_train.seam import world

    root = _fake_sources(tmp_path / "src")
    # T-gcompris is the only train source with a manifest here
    frames, masks = world.world_scenes(10, seed=3, split="train", hw=(96, 128), root=root)
    again, masks2 = world.world_scenes(10, seed=3, split="train", hw=(96, 128), root=root)
    assert frames.dtype == np.uint16 and frames.shape == (10, 96, 128, 3)
    assert np.array_equal(frames, again) and np.array_equal(masks, masks2)
    assert masks.any(axis=(1, 2)).sum() >= 3  # most scenes have a seam
    assert not masks.all(axis=(1, 2)).any()
    # not 8-bit in disguise: some frames use values between the 8-bit steps
    assert any((f % 257 != 0).any() for f in frames)


def test_the_world_reports_missing_sources_in_one_sentence(tmp_path):
    from laika_fx_train.seam import world

    with pytest.raises(FileNotFoundError, match="fetch-sources"):
        world.SplitPools.of("train", tmp_path)


def test_hard_mattes_are_softened():
    from laika_fx_train.seam.world import _soften

    a = np.zeros((64, 64), np.float32)
    a[16:48, 16:48] = 1.0
    soft = _soften(a, np.random.default_rng(0))
    assert ((soft > 0.02) & (soft < 0.98)).sum() > 100
    assert ((a > 0.02) & (a < 0.98)).sum() == 0


def test_the_held_out_groove_seam_is_masked_and_its_clean_image_has_no_gap():
    from laika_fx_train.seam.world import draw_groove_seam

    rng = np.random.default_rng(1)
    img = np.full((80, 120, 3), 0.6, np.float32)
    face = np.zeros((80, 120), np.float32)
    face[10:70, 10:110] = 1
    curve = np.stack([np.linspace(0, 119, 50), np.full(50, 40.0)], axis=1).astype(np.float32)
    out, mask, clean = draw_groove_seam(img, curve, face, rng=rng, width=2.5)
    assert mask[38:43, 20:100].any(axis=0).all()  # the gap is masked along the whole face
    assert not mask[:, :8].any() and not mask[:, 112:].any()  # and only on the face
    assert out[40, 60].mean() < 0.45  # dark
    assert abs(float(clean[40, 60].mean()) - 0.6) < 0.02  # the clean image has no gap


def test_source_rows_on_a_foreign_source_and_none_without_sources(tmp_path):
    from laika_fx_train.seam.evaluate import format_source_table, source_rows, source_scenes_of

    assert source_rows(root=tmp_path / "none") == {}
    assert "fetch-sources" in format_source_table({})
    root = _fake_sources(tmp_path / "src")
    rows = source_rows(splits=("foreign",), precisions=("int8",), count=4, root=root, inpaint=False)
    assert rows["sources"] == ["F-wesnoth-portraits"]
    row = rows["int8"]["off"]["F-wesnoth-portraits"]
    assert set(rows["int8"]) == {"auto", "face", "off"}
    assert set(row) >= {"precision", "recall", "f1", "free_flagged_pct", "free_psnr"}
    assert "F-wesnoth-portraits" in format_source_table(rows)
    # the default policy pooled by face size (every scene's face share lands in one bucket)
    buckets = rows["by_face"]["int8"]["foreign"]
    seamed = sum(bool(s.mask.any()) for s in source_scenes_of("F-wesnoth-portraits", 4, root=root))
    assert sum(b["scenes"] for b in buckets.values()) == seamed
    assert "by the face's share of the frame" in format_source_table(rows)


def test_face_bucket_rows_pool_seamed_scenes_by_face_share():
    from laika_fx_train.seam.data import Scene
    from laika_fx_train.seam.evaluate import FACE_BUCKETS, face_bucket_rows, face_share

    def scene(face_rows: int, seam: bool) -> Scene:
        frame = np.zeros((100, 100, 3), np.float32)
        mask = np.zeros((100, 100), np.uint8)
        if seam:
            mask[50, 10:90] = 255
        face = np.zeros((100, 100), np.uint8)
        face[:face_rows] = 255
        return Scene(frame, frame, mask, True, face)

    scenes = [scene(2, True), scene(2, True), scene(20, True), scene(100, True), scene(50, False)]
    assert [face_share(s) for s in scenes] == [0.02, 0.02, 0.2, 1.0, 0.5]
    hit = [s.mask > 0 for s in scenes]  # found exactly
    miss = [np.zeros((100, 100), bool) for _ in scenes]
    preds = [hit[0], miss[1], hit[2], miss[3], hit[4]]
    rows = face_bucket_rows(scenes, preds)
    lo, hi = (f"{a:g}-{b:g}" for a, b in (FACE_BUCKETS[0], FACE_BUCKETS[-1]))
    assert set(rows) == {lo, "0.15-0.3", hi}  # no seamed scene in 0.05-0.15; the seam-free one counts nowhere
    assert rows[lo]["scenes"] == 2 and rows[lo]["recall"] == 0.5 and rows[lo]["precision"] == 1.0
    assert rows["0.15-0.3"]["f1"] == 1.0
    assert rows[hi]["scenes"] == 1 and rows[hi]["recall"] == 0.0  # a face filling the frame is in the last bucket


def test_training_on_the_wide_world_without_sources_is_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    from laika_fx.cli import main

    code = main(["train", "seam-detector", "--sources", str(tmp_path / "none"), "--run-dir", str(tmp_path / "r"),
                 "--out-dir", str(tmp_path / "m")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "fetch-sources" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists() and not (tmp_path / "r").exists()  # nothing started


# --------------------------------------------------------------------------- inpainter on the wide world
def test_runtime_holes_cover_the_seam_and_grow_like_the_plugin_s_masks():
    import cv2

    from laika_fx_train.seam.world import runtime_hole

    mask = np.zeros((96, 128), bool)
    cv2.line(mask.view(np.uint8), (10, 40), (118, 60), 1, 2)
    grown = []
    for seed in range(24):
        hole = runtime_hole(mask, np.random.default_rng(seed))
        assert hole.shape == mask.shape and hole.dtype == bool
        assert hole[mask].all()  # the seam is always inside the hole
        grown.append(hole.sum() / mask.sum())
    # some holes are the mask itself (eval's true mask, grown 0 px), most are wider: the
    # plugin's detection brought back to the frame and dilated
    assert min(grown) == 1.0
    assert sum(g > 1.8 for g in grown) >= 12
    assert max(grown) < 6


def test_inpaint_crops_are_deterministic_uint16_with_a_telea_fill_of_the_hole(tmp_path):
    from laika_fx_train.seam import world

    root = _fake_sources(tmp_path / "src")
    out = world.inpaint_crops(12, seed=5, hw=(128, 128), crop=48, root=root)
    again = world.inpaint_crops(12, seed=5, hw=(128, 128), crop=48, root=root)
    frames, clean, telea, holes = out
    assert all(np.array_equal(a, b) for a, b in zip(out, again, strict=True))
    assert frames.dtype == clean.dtype == telea.dtype == np.uint16 and frames.shape == (12, 48, 48, 3)
    assert holes.dtype == np.uint8 and holes.shape == (12, 48, 48)
    assert holes.any(axis=(1, 2)).all()  # every crop holds part of a hole
    h = holes.astype(bool)
    f, c, t = (a.astype(np.float64) / 65535 for a in (frames, clean, telea))
    assert np.abs(t - f)[~h].max() < 2 / 255  # Telea changes only the hole
    # in the hole the seamed frame is far from the clean one and Telea nearer
    assert np.abs(t - c)[h].mean() < np.abs(f - c)[h].mean()


def test_inpaint_source_rows_report_the_fill_flicker_of_a_static_head(tmp_path):
    from laika_fx.accelerators.runtime import available
    from laika_fx_train.seam.evaluate import format_source_table, source_rows

    if not available("inpainter", "int8"):
        pytest.skip("no shipped inpainter")
    root = _fake_sources(tmp_path / "src")
    rows = source_rows(splits=("foreign",), precisions=("int8",), count=4, root=root, detect=False)
    assert "int8" not in rows  # no detection rows asked for
    row = rows["inpaint"]["F-wesnoth-portraits"]
    for method in ("telea", "int8"):
        assert row[method]["psnr_seam"] > 10
        assert 0 < row[method]["flicker"] < 10
    table = format_source_table(rows)
    assert "flicker" in table and "mean gain" in table and "learned int8" in table


def test_training_the_inpainter_on_the_wide_world_without_sources_is_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    from laika_fx.cli import main

    code = main(["train", "inpainter", "--sources", str(tmp_path / "none"), "--run-dir", str(tmp_path / "r"),
                 "--out-dir", str(tmp_path / "m")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "fetch-sources" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists() and not (tmp_path / "r").exists()


def _validation(gains: dict, base: float = 30.0) -> dict:
    rows = {sid: {"psnr_seam": base + g} for sid, g in gains.items()}
    return {"psnr_seam": base + float(np.mean(list(gains.values()))), "sources": rows}


def test_a_new_inpainter_ships_only_if_it_beats_the_shipped_one_and_never_falls_below_telea():
    from laika_fx_train.seam.train import ship_decision

    telea = _validation({"V-a": 0.0, "V-b": 0.0})
    cand = {"fp32": _validation({"V-a": 1.0, "V-b": 0.5}), "int8": _validation({"V-a": 0.9, "V-b": 0.4}), "telea": telea}
    old = {"fp32": _validation({"V-a": 0.5, "V-b": 0.2}), "int8": _validation({"V-a": 0.5, "V-b": 0.2})}
    assert ship_decision(cand, old)["ship"]
    assert ship_decision(cand, None)["ship"]  # nothing shipped yet
    # better on average, but one source below Telea (INT8)
    below = {**cand, "int8": _validation({"V-a": 2.0, "V-b": -0.1})}
    decision = ship_decision(below, old)
    assert not decision["ship"] and any("V-b" in r and "below Telea" in r for r in decision["reasons"])
    # above Telea everywhere but not better than the shipped model
    worse = {**cand, "fp32": _validation({"V-a": 0.3, "V-b": 0.2})}
    assert not ship_decision(worse, old)["ship"]
    # a shipped record of other validation data (no per-source rows) does not block
    assert ship_decision(cand, {"fp32": {"psnr_seam": 99.0}, "int8": {"psnr_seam": 99.0}})["ship"]


def test_the_in_distribution_table_of_an_inpaint_only_run_has_only_inpainting_rows():
    from laika_fx_train.seam.evaluate import format_table

    fill = {"inpaint": {"psnr_seam": 33.1, "psnr_full": 47.0}, "temporal": {"ratio": 0.85}}
    table = format_table({"int8": fill, "telea": {"inpaint": {"psnr_seam": 31.0, "psnr_full": 45.0},
                                                  "temporal": {"ratio": 0.85}}})  # fmt: skip
    assert "inpaint PSNR seam region, learned (dB)" in table and "33.1" in table and "inpaint telea" in table
    assert "F1" not in table and "sample_frames" not in table


def test_retraining_the_face_finder_beside_a_wide_world_detector_needs_the_validation_sources(tmp_path, capsys):
    """The detector beside it is calibrated again after the face finder is trained, on the
    validation sources: without them one line and exit 2 before any training starts."""
    import shutil

    pytest.importorskip("torch")
    from laika_fx.accelerators.runtime import MODELS_DIR
    from laika_fx.cli import main

    out = tmp_path / "m"
    out.mkdir()
    for p in MODELS_DIR.glob("seam_detector*"):
        shutil.copy(p, out / p.name)
    code = main(["train", "face-finder", "--sources", str(tmp_path / "none"), "--run-dir", str(tmp_path / "r"),
                 "--out-dir", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "validation sources" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r").exists() and not (out / "face_finder_int8.xml").exists()


# --------------------------------------------------------------------------- face finder on the wide world
def test_world_face_scenes_are_deterministic_and_mark_the_heads(tmp_path):
    from laika_fx_train.seam import world

    root = _fake_sources(tmp_path / "src")
    frames, faces = world.world_face_scenes(12, seed=5, hw=(96, 128), root=root, p_paint=0.3)
    again, faces2 = world.world_face_scenes(12, seed=5, hw=(96, 128), root=root, p_paint=0.3)
    assert frames.dtype == np.uint8 and frames.shape == (12, 48, 64, 3)  # shrunk to the finder's size
    assert faces.dtype == np.uint8 and faces.shape == (12, 48, 64) and set(np.unique(faces)) <= {0, 1}
    assert np.array_equal(frames, again) and np.array_equal(faces, faces2)
    with_face = faces.any(axis=(1, 2))
    assert 6 <= with_face.sum() < 12  # most scenes have a head (p_head 0.8), not all
    assert faces[with_face].mean() < 0.9  # a head, not the whole frame
    # the face is where the head was drawn: it differs from the set around it
    i = int(np.argmax(with_face))
    assert frames[i].std() > 5


def test_training_the_face_finder_on_the_wide_world_without_sources_is_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    from laika_fx.cli import main

    code = main(["train", "face-finder", "--world", "wide", "--sources", str(tmp_path / "none"),
                 "--run-dir", str(tmp_path / "r"), "--out-dir", str(tmp_path / "m")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "fetch-sources" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists() and not (tmp_path / "r").exists()  # nothing started


def test_a_face_finder_starts_from_the_shipped_ir(tmp_path):
    """``--init-from``: the shipped FP32 IR's weights load into FaceNet exactly."""
    torch = pytest.importorskip("torch")
    from laika_fx.accelerators.runtime import MODELS_DIR
    from laika_fx.seam_removal.face import FaceFinder
    from laika_fx_train.seam.nets import FaceNet
    from laika_fx_train.ship import load_ir_weights

    xml = MODELS_DIR / "face_finder_fp32.xml"
    if not xml.exists():
        pytest.skip("no shipped face finder")
    net = load_ir_weights(FaceNet(), xml)
    x = np.random.default_rng(0).random((1, 3, 64, 96), np.float32)
    with torch.no_grad():
        torch_out = net(torch.from_numpy(x)).numpy()[0, 0]
    ir_out = FaceFinder(model_xml=xml, precision="fp32")._net(64, 96)(x)[0][0, 0]
    assert torch_out.shape == ir_out.shape == (32, 48)
    np.testing.assert_allclose(torch_out, ir_out, atol=1e-3)


def test_a_models_folder_is_judged_with_its_own_face_finder(tmp_path):
    """``eval seams --models DIR`` and the ship rules judge a detector with the face finder it
    was calibrated with: the one in DIR when it has one, else the shipped one."""
    import shutil

    from laika_fx.accelerators.runtime import MODELS_DIR
    from laika_fx_train.seam.evaluate import load_detector

    if not (MODELS_DIR / "face_finder_int8.xml").exists():
        pytest.skip("no shipped face finder")
    for p in MODELS_DIR.glob("seam_detector*"):
        shutil.copy(p, tmp_path / p.name)
    assert load_detector("int8", models_dir=tmp_path).face_finder.xml == MODELS_DIR / "face_finder_int8.xml"
    for p in MODELS_DIR.glob("face_finder_int8.*"):
        shutil.copy(p, tmp_path / p.name)
    assert load_detector("int8", models_dir=tmp_path).face_finder.xml == tmp_path / "face_finder_int8.xml"
