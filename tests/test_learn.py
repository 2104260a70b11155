"""Learning from an artist's corrections: the FP32 IR loader, ``laika-fx train seam-detector
--from-shot`` (its refusals, the per-shot model it writes) and the batch using that model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from laika_fx.accelerators.runtime import MODELS_DIR, core
from laika_fx.io import read_frame


def _ir_output(xml, x: np.ndarray) -> np.ndarray:
    compiled = core().compile_model(str(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return compiled([x])[compiled.outputs[0]]


# ---------------------------------------------------------------- the FP32 IR loader
@pytest.mark.parametrize(("name", "net", "channels", "hw"), [
    ("seam_detector", "SeamNet", 3, (96, 128)),
    ("face_finder", "FaceNet", 3, (64, 96)),
    ("inpainter", "InpaintNet", 7, (48, 64)),
])  # fmt: skip
def test_the_shipped_fp32_irs_load_into_our_torch_nets_and_compute_the_same(name, net, channels, hw):
    torch = pytest.importorskip("torch")
    from laika_fx_train.seam import nets
    from laika_fx_train.ship import load_ir_weights

    module = getattr(nets, net)()
    if net == "SeamNet":
        module.full_resolution = False  # as exported: the runtime upsamples the logits
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    load_ir_weights(module, MODELS_DIR / f"{name}_fp32.xml")
    assert all(not torch.equal(before[k], v) for k, v in module.state_dict().items())  # every tensor filled
    x = np.random.default_rng(3).random((1, channels, *hw), dtype=np.float32)
    with torch.no_grad():
        ours = module(torch.from_numpy(x)).numpy()
    ref = _ir_output(MODELS_DIR / f"{name}_fp32.xml", x)
    assert ours.shape == ref.shape
    assert float(np.abs(ours - ref).max()) <= 1e-4  # measured 1e-7 to 2e-5 (outputs up to ~40)


def test_a_seam_detector_of_any_widths_is_rebuilt_from_its_ir(tmp_path):
    torch = pytest.importorskip("torch")
    import openvino as ov

    from laika_fx_train.seam.nets import SeamNet
    from laika_fx_train.ship import load_ir_weights, seam_net_of_ir

    assert seam_net_of_ir(MODELS_DIR / "seam_detector_fp32.xml").arch == {"widths": (16, 24, 32, 48), "context": 64}
    torch.manual_seed(0)
    net = SeamNet((16, 24, 40, 56), 80).eval()
    x = torch.rand(1, 3, 64, 64)
    xml = tmp_path / "wide.xml"
    ov.save_model(ov.convert_model(net, example_input=x), str(xml), compress_to_fp16=False)
    again = load_ir_weights(seam_net_of_ir(xml), xml)
    assert again.arch == net.arch
    with torch.no_grad():
        assert float((again(x) - net(x)).abs().max()) <= 1e-5
    with pytest.raises(ValueError, match="convolutions"):
        seam_net_of_ir(MODELS_DIR / "face_finder_fp32.xml")  # 13 convolutions


def test_the_loader_refuses_what_does_not_fit_strictly(tmp_path):
    pytest.importorskip("torch")
    from torch import nn

    from laika_fx_train.seam.nets import FaceNet, SeamNet
    from laika_fx_train.ship import load_ir_weights

    xml = MODELS_DIR / "seam_detector_fp32.xml"
    with pytest.raises(ValueError, match="convolutions"):  # the four-level net has fewer convolutions
        load_ir_weights(SeamNet(context=0), xml)
    with pytest.raises(ValueError, match="weight"):  # as many convolutions, other widths
        load_ir_weights(SeamNet(widths=(16, 24, 32, 40)), xml)
    with pytest.raises(ValueError, match="convolutions"):
        load_ir_weights(FaceNet(), xml)
    with pytest.raises(ValueError, match="not a Constant"):  # an INT8 IR holds no FP32 weights to train on
        load_ir_weights(SeamNet(), MODELS_DIR / "seam_detector_int8.xml")

    class WithNorm(nn.Module):  # a learned layer the IR folded away cannot be restored
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.norm = nn.BatchNorm2d(4)

        def forward(self, x):
            return self.norm(self.conv(x))

    from laika_fx_train.ship import export_ir

    x = np.zeros((1, 3, 32, 32), np.float32)
    small = export_ir(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1)), [x], tmp_path / "small.xml")
    with pytest.raises(ValueError, match="norm"):
        load_ir_weights(WithNorm(), small)
    padded = export_ir(nn.Sequential(nn.Conv2d(3, 4, 3, padding=2, dilation=2)), [x], tmp_path / "dilated.xml")
    with pytest.raises(ValueError, match="pads|dilations"):
        load_ir_weights(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1)), padded)


# ---------------------------------------------------------------- per-shot models at run time
def _run_cli(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "NNCF_EXTENSION_LOAD_TIMEOUT": "900"}
    return subprocess.run([sys.executable, "-m", "laika_fx", *map(str, args)], capture_output=True, text=True,
                          env=env)  # fmt: skip


def _fake_shot_model(shot: Path, *, threshold: float) -> Path:
    """The shipped detector IRs copied as the shot's per-shot model, with other thresholds."""
    from laika_fx.overrides import default_shot_model_dir

    folder = default_shot_model_dir(shot)
    folder.mkdir(parents=True, exist_ok=True)
    for p in ("fp32", "int8"):
        for ext in ("xml", "bin"):
            shutil.copyfile(MODELS_DIR / f"seam_detector_{p}.{ext}", folder / f"seam_detector_{p}.{ext}")
    meta = json.loads((MODELS_DIR / "seam_detector.json").read_text())
    meta["runtime"] = {p: {"threshold": threshold, "low_ratio": 0.5, "face_gate": False} for p in ("fp32", "int8")}
    (folder / "seam_detector.json").write_text(json.dumps(meta))
    return folder


def test_the_batch_uses_the_shots_model_names_it_and_shot_model_off_ignores_it(tmp_path):
    from laika_fx.accelerators.runtime import model_digest

    from .conftest import digest_tree, make_foreign_head_shot

    shot = tmp_path / "shot"
    make_foreign_head_shot(shot, 2)
    plain = tmp_path / "plain"
    assert _run_cli("batch", shot, plain, "--plugins", "seam_removal", "--save-masks", "-q").returncode == 0
    folder = _fake_shot_model(shot, threshold=0.02)  # flags far more than the shipped thresholds
    before = digest_tree(shot)
    out, off = tmp_path / "out", tmp_path / "off"
    res = _run_cli("batch", shot, out, "--plugins", "seam_removal", "--save-masks")
    assert res.returncode == 0, res.stderr
    assert "per-shot detector" in res.stdout and str(folder / "seam_detector_int8.xml") in res.stdout
    report = json.loads((out / "laika_fx_report.json").read_text())
    (used,) = report["notes"]["seam_removal"]["shot_models"]
    assert used["path"] == str(folder / "seam_detector_int8.xml") and used["frames"] == 2
    assert used["sha256"] == model_digest(folder / "seam_detector_int8.xml")
    res = _run_cli("batch", shot, off, "--plugins", "seam_removal", "--save-masks", "--set",
                   "seam_removal.shot_model=off")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "shot_models" not in json.dumps(json.loads((off / "laika_fx_report.json").read_text())["notes"]).replace(
        '"shot_models": []', "")
    for p in sorted((plain / "masks").glob("*.png")):
        auto_mask, off_mask, plain_mask = (read_frame(d / "masks" / p.name) for d in (out, off, plain))
        np.testing.assert_array_equal(off_mask, plain_mask)  # off: the shipped detector, as before
        assert (auto_mask > 0).sum() > (plain_mask > 0).sum()  # auto: the shot's model and its thresholds
    assert digest_tree(shot) == before  # the shot folder is never written
    # the same bytes whatever the workers: the result depends on input, settings and model files
    two = tmp_path / "two"
    assert _run_cli("batch", shot, two, "--plugins", "seam_removal", "--save-masks", "--workers", "2",
                    "-q").returncode == 0  # fmt: skip
    for p in sorted(out.rglob("*.png")):
        assert (two / p.relative_to(out)).read_bytes() == p.read_bytes(), p.name


def test_a_broken_shot_model_fails_its_frames_with_one_clear_line(tmp_path):
    from .conftest import make_foreign_head_shot

    shot = tmp_path / "shot"
    make_foreign_head_shot(shot, 1)
    folder = _fake_shot_model(shot, threshold=0.5)
    (folder / "seam_detector.json").write_text("{not json")
    res = _run_cli("batch", shot, tmp_path / "out", "--plugins", "seam_removal")
    assert res.returncode != 0
    assert "per-shot model" in res.stdout + res.stderr and "shot_model=off" in res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_a_shot_model_written_again_is_picked_up_by_a_running_plugin(tmp_path):
    from laika_fx.seam_removal.plugin import SeamRemoval

    from .conftest import make_foreign_head_shot

    shot = tmp_path / "shot"
    (path,) = make_foreign_head_shot(shot, 1)[0]
    plugin = SeamRemoval()
    det, model = plugin.shot_detector(path)
    assert model is None and det is plugin._detector  # no model yet: the shipped one
    _fake_shot_model(shot, threshold=0.3)
    det, model = plugin.shot_detector(path)
    assert model is not None and det.default_threshold == 0.3
    time.sleep(0.01)
    _fake_shot_model(shot, threshold=0.7)  # learned again while the app runs
    det, model = plugin.shot_detector(path)
    assert det.default_threshold == 0.7
    assert SeamRemoval({"shot_model": "off"}).shot_detector(path)[1] is None


# ---------------------------------------------------------------- the measurement shots
def test_a_head_shot_from_any_picture_as_16_bit_tiff(tmp_path):
    """bench_learn's looks: head and set from picture arrays, uint16 frames written as TIFF and
    read back unchanged, the true masks beside the shot."""
    pytest.importorskip("skimage")
    from laika_fx.io import read_frame
    from laika_fx_train.seam.shot import moving_head_shot, write_shot

    rng = np.random.default_rng(3)
    head = rng.uniform(0.3, 0.9, (96, 160, 3)).astype(np.float32)
    backdrop = np.full((48, 80, 3), 0.5, np.float32)
    shot = moving_head_shot(2, hw=(48, 80), head=head, backdrop=backdrop, step=2.0, exposure=0.8, width=2.0,
                            darkness=0.6, dtype=np.uint16)  # fmt: skip
    assert shot.frames[0].dtype == np.uint16 and shot.frames[0].shape == (48, 80, 3) and shot.masks[0].any()
    assert shot.frames[0].max() > 255  # the whole 16-bit range, not 8-bit values
    paths = write_shot(shot, tmp_path / "shot", ext=".tif")
    assert [p.name for p in paths] == ["head.1001.tif", "head.1002.tif"]
    np.testing.assert_array_equal(read_frame(paths[1]), shot.frames[1])
    assert (tmp_path / "shot_truth" / "head.1001.png").exists()
    with pytest.raises(ValueError, match="uint8 or uint16"):
        moving_head_shot(1, hw=(48, 80), head=head, backdrop=backdrop, dtype=np.float32)


# ---------------------------------------------------------------- thresholds of a per-shot model
def test_calibration_on_trained_on_frames_takes_the_middle_of_the_f1_plateau_not_its_top():
    """On frames a model was trained on F1 is flat up to the highest threshold; ``ties="middle"``
    (what learning uses when no corrected frame is held back) takes the middle pair of that
    plateau, the default the highest, and both keep the seam-free bar."""
    from types import SimpleNamespace

    from laika_fx_train.seam.evaluate import calibrate_threshold

    seam = np.zeros((40, 60), np.uint8)
    seam[20, 5:55] = 255
    prob_seam = np.where(seam > 0, 0.9999, 0.0).astype(np.float32)  # found at every candidate
    prob_free = np.zeros((40, 60), np.float32)
    prob_free[30, 0:60] = 0.45  # a wire flagged at 0.4 only
    scenes = [SimpleNamespace(frame=0, mask=seam), SimpleNamespace(frame=1, mask=np.zeros_like(seam))]
    det = SimpleNamespace(probability=lambda f: prob_seam if f == 0 else prob_free, face_mask=lambda f: None)
    kw = dict(candidates=[0.4, 0.9, 0.99, 0.999, 0.9998], low_ratios=(0.5,))
    assert calibrate_threshold(det, scenes, **kw)[0] == 0.9998
    thr, _, metrics = calibrate_threshold(det, scenes, ties="middle", **kw)
    assert thr == 0.999 and metrics["f1"] == 1.0 and metrics["clean_flagged_pct"] == 0.0  # of 0.9..0.9998
    with pytest.raises(ValueError, match="ties"):
        calibrate_threshold(det, scenes, ties="low", **kw)


# ---------------------------------------------------------------- learning: refusals
def test_learning_refuses_a_shot_without_corrections_in_one_line(tmp_path):
    pytest.importorskip("torch")
    from .conftest import make_foreign_head_shot

    shot = tmp_path / "shot"
    make_foreign_head_shot(shot, 2)
    res = _run_cli("train", "seam-detector", "--from-shot", shot, "--steps", "1")
    assert res.returncode == 2
    assert "no mask overrides" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "shot.laika_fx" / "models").exists()
    res = _run_cli("train", "seam-detector", "--from-shot", tmp_path / "nowhere", "--steps", "1")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    res = _run_cli("train", "seam-detector", "--from-shot", shot, "--calibrate-only")
    assert res.returncode == 2 and "--from-shot" in res.stderr


def test_learning_refuses_an_override_that_does_not_fit_and_too_many_held_back(tmp_path):
    pytest.importorskip("torch")
    from laika_fx.overrides import default_mask_override_dir, save_mask_override

    from .conftest import make_foreign_head_shot

    shot = tmp_path / "shot"
    paths, truths = make_foreign_head_shot(shot, 2)
    save_mask_override(default_mask_override_dir(shot), paths[0], truths[0])
    res = _run_cli("train", "seam-detector", "--from-shot", shot, "--hold-back", "1", "--steps", "1")
    assert res.returncode == 2 and "hold back" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    save_mask_override(default_mask_override_dir(shot), paths[1], np.zeros((10, 10), np.uint8))
    res = _run_cli("train", "seam-detector", "--from-shot", shot, "--steps", "1")
    assert res.returncode == 2 and "mask override" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "shot.laika_fx" / "models").exists()


# ---------------------------------------------------------------- learning, end to end
@pytest.mark.slow
def test_learning_from_three_corrections_lifts_f1_on_the_other_frames_and_the_batch_uses_it(tmp_path):
    """A dim shot of a moving head where the shipped detector is weak: corrections (the true
    mask grown 2 px) on 4 of 8 frames, one of them held back to calibrate on (the default from
    4 up), a short run (80 steps), then F1 on the 4 frames nobody corrected must rise well
    above the shipped detector's, and the batch detects with the new model and names it."""
    pytest.importorskip("torch")
    pytest.importorskip("nncf")
    import cv2

    from laika_fx.overrides import default_mask_override_dir, save_mask_override
    from laika_fx.seam_removal.plugin import SeamRemoval
    from laika_fx_train.seam.evaluate import detection_metrics
    from laika_fx_train.seam.shot import moving_head_shot, write_shot

    shot_dir = tmp_path / "shot"
    shot = moving_head_shot(8, hw=(192, 320), step=4.0)
    paths = write_shot(shot, shot_dir)
    corrected = (1, 3, 4, 6)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for i in corrected:
        save_mask_override(default_mask_override_dir(shot_dir), paths[i],
                           cv2.dilate(shot.masks[i].astype(np.uint8) * 255, disk))  # fmt: skip
    others = [i for i in range(8) if i not in corrected]

    def f1() -> tuple[float, object]:
        plugin = SeamRemoval({"dilation": 0})
        preds = []
        for i in others:
            det, model = plugin.shot_detector(paths[i])
            preds.append(det.detect(shot.frames[i], dilation=0) > 0)
        return detection_metrics(preds, [shot.masks[i] for i in others], [True] * len(others))["f1"], model

    before, model = f1()
    assert model is None
    res = _run_cli("train", "seam-detector", "--from-shot", shot_dir, "--steps", "80", "--minutes", "3")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "learn: [100%]" in res.stdout and "synthetic-world scenes" in res.stdout
    folder = tmp_path / "shot.laika_fx" / "models"
    meta = json.loads((folder / "seam_detector.json").read_text())
    assert meta["training"]["override_frames"] == [1002, 1004, 1007]
    assert meta["training"]["held_back_frames"] == [1005]
    assert "held-back frames [1005]" in meta["validation_data"] and meta["validation"]["int8"]["f1"] > 0.5
    assert "ties within 0.005 to the highest threshold" in meta["validation_data"]  # not trained on: the top
    assert meta["training"]["steps"] == 80 and meta["training"]["base_model"]["int8"]["sha256"]
    after, model = f1()
    print(f"F1 on the {len(others)} uncorrected frames: shipped {before}, learned {after}")
    assert model is not None and after >= before + 0.2 and after >= 0.75
    out = tmp_path / "out"
    res = _run_cli("batch", shot_dir, out, "--plugins", "seam_removal")
    assert res.returncode == 0, res.stderr
    (used,) = json.loads((out / "laika_fx_report.json").read_text())["notes"]["seam_removal"]["shot_models"]
    assert used["path"] == str(folder / "seam_detector_int8.xml") and used["frames"] == 8 - len(corrected)
