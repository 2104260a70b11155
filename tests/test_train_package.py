"""The training package: the one ship flow and its metrics schema, the one photo registry,
and how ``laika-fx`` finds its commands."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from laika_fx.accelerators.runtime import MODELS_DIR
from laika_fx_train import sources
from laika_fx_train.ship import SCHEMA_VERSION, check_metrics

SHIPPED = ("seam_detector", "face_finder", "inpainter", "aligner")


# ---------------------------------------------------------------- metrics schema
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_has_metrics_in_the_one_schema(name):
    meta = json.loads((MODELS_DIR / f"{name}.json").read_text())
    check_metrics(meta)
    assert meta["schema_version"] == SCHEMA_VERSION and meta["name"] == name
    for precision in ("fp32", "int8"):
        assert (MODELS_DIR / f"{name}_{precision}.xml").exists()
    assert set(meta["sizes_bytes"]) == {f"{name}_fp32.bin", f"{name}_int8.bin"}
    assert sorted(p.name for p in MODELS_DIR.glob("*.json")) == sorted(f"{n}.json" for n in SHIPPED)


def test_detector_thresholds_are_read_from_the_runtime_section():
    from laika_fx.seam_removal.detector import SeamDetector

    meta = json.loads((MODELS_DIR / "seam_detector.json").read_text())
    for precision in ("int8", "fp32"):
        det = SeamDetector(precision=precision, face_gate=False)
        assert det.default_threshold == meta["runtime"][precision]["threshold"]
        assert det.default_low_ratio == meta["runtime"][precision]["low_ratio"]
        # the runtime settings are the ones calibrated for that precision
        assert meta["runtime"][precision]["threshold"] == meta["validation"][precision]["threshold"]


def test_check_metrics_rejects_other_schemas():
    meta = json.loads((MODELS_DIR / "seam_detector.json").read_text())
    for broken in (
        {k: v for k, v in meta.items() if k != "runtime"},
        {**meta, "threshold": 0.5},
        {**meta, "schema_version": SCHEMA_VERSION + 1},
        {**meta, "int8_drop": {"no_such_metric": 0.1}},
        {**meta, "runtime": {"bf16": {}}},
    ):
        with pytest.raises(ValueError, match="schema"):
            check_metrics(broken)


def test_ship_flow_end_to_end_on_a_tiny_net(tmp_path):
    """torch -> FP32 IR -> torch check -> NNCF INT8 -> one validation function -> <name>.json."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("nncf")
    from laika_fx.accelerators.runtime import compile_model
    from laika_fx_train.ship import ship

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 1, 1))
    rng = np.random.default_rng(0)
    inputs = [rng.random((1, 3, 16, 16), dtype=np.float32) for _ in range(12)]
    with torch.no_grad():
        truth = [net(torch.from_numpy(x)).numpy() for x in inputs]
    calls = []

    def validate(xml, precision):
        calls.append((xml.name, precision))
        compiled = compile_model(xml, precision="f32", shape=[(1, 3, 16, 16)])
        err = [float(np.abs(compiled(x)[0] - t).mean()) for x, t in zip(inputs, truth, strict=True)]
        return {"mae": round(float(np.mean(err)), 6), "samples": len(err)}

    meta = ship(net, "tiny", out_dir=tmp_path, example_inputs=inputs[:1], check_inputs=[np.concatenate(inputs[:2])],
                validate=validate, quantization="nncf post-training", calibration=inputs,
                quantize_options={"subset_size": len(inputs)}, int8_drop={"mae": "lower"},
                validation_data="12 random inputs", runtime={"int8": {"threshold": 0.5}},
                training={"photos": []})  # fmt: skip
    assert calls == [("tiny_fp32.xml", "fp32"), ("tiny_int8.xml", "int8")]
    for suffix in ("fp32.xml", "fp32.bin", "int8.xml", "int8.bin"):
        assert (tmp_path / f"tiny_{suffix}").exists()
    written = json.loads((tmp_path / "tiny.json").read_text())
    assert written == meta
    check_metrics(written)
    assert written["torch_ir_max_abs_diff"] < 1e-4
    assert written["validation"]["fp32"]["mae"] < 1e-5
    assert written["int8_drop"]["mae"] == round(written["validation"]["int8"]["mae"] - written["validation"]["fp32"]["mae"], 4)
    assert written["sizes_bytes"]["tiny_fp32.bin"] == (tmp_path / "tiny_fp32.bin").stat().st_size
    assert written["sizes_bytes"]["tiny_int8.bin"] < written["sizes_bytes"]["tiny_fp32.bin"]
    assert written["runtime"] == {"int8": {"threshold": 0.5}}


# ---------------------------------------------------------------- photo registry
def test_one_held_out_split_for_every_model():
    assert set(sources.HELD_OUT) == {"rocket", "coffee", "stereo_motorcycle", "grace_hopper", "brick", "chelsea"}
    assert not set(sources.HELD_OUT) & set(sources.TRAIN)
    assert set(sources.HELD_OUT) | set(sources.TRAIN) == set(sources.PHOTOS)
    for photo in sources.PHOTOS.values():
        assert photo.origin and photo.licence and photo.split in ("train", "held_out")

    from laika_fx_train.seam import data as sdata
    from laika_fx_train.stabilize.data import EVAL_PHOTOS

    assert sdata.HELD_OUT == sources.HELD_OUT and sdata.TRAIN_PHOTOS == sources.TRAIN
    # the stabilisation shots keep their order: rocket, coffee, motorcycle, grace_hopper
    assert EVAL_PHOTOS == ("rocket", "coffee", "stereo_motorcycle", "grace_hopper")
    assert set(EVAL_PHOTOS) <= set(sources.HELD_OUT)


@pytest.mark.parametrize("name", ["coffee", "camera", "stereo_motorcycle", "grace_hopper"])
def test_load_photo_converts_to_the_dtype_asked_for(name):
    pytest.importorskip("skimage")
    u8 = sources.load_photo(name, np.uint8)
    f32 = sources.load_photo(name, np.float32)
    assert u8.dtype == np.uint8 and f32.dtype == np.float32
    assert u8.ndim == 3 and u8.shape[2] == 3 and u8.shape == f32.shape
    assert 0.0 <= f32.min() and f32.max() <= 1.0
    assert np.array_equal(u8, np.round(f32 * 255).astype(np.uint8))  # every photo is 8-bit
    with pytest.raises(ValueError):
        sources.load_photo(name, np.uint16)


# ---------------------------------------------------------------- commands
def test_train_and_eval_commands_come_through_the_entry_point():
    from laika_fx.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"batch", "info", "plugins", "bench", "train", "eval"} <= set(sub.choices)
    assert set(sub.choices["train"]._actions[-1].choices) == {"seam-detector", "face-finder", "inpainter", "aligner",
                                                              "fetch-sources"}
    assert set(sub.choices["eval"]._actions[-1].choices) == {"seams", "seam-shots", "seam-curve", "stabilize"}


def test_a_broken_command_module_is_reported_and_skipped(monkeypatch, capsys):
    from importlib.metadata import EntryPoint

    from laika_fx import cli

    eps = [EntryPoint("broken", "laika_fx_no_such_module:register_commands", cli.COMMANDS_ENTRY_POINT_GROUP),
           EntryPoint("half", "tests.test_train_package:_register_then_fail", cli.COMMANDS_ENTRY_POINT_GROUP),
           EntryPoint("bench", "laika_fx.accelerators.bench:register_commands", cli.COMMANDS_ENTRY_POINT_GROUP)]  # fmt: skip
    monkeypatch.setattr(cli, "entry_points", lambda group: [e for e in eps if e.group == group])
    monkeypatch.delenv("LAIKA_FX_DISABLE_PLUGINS", raising=False)
    parser = cli.build_parser()
    err = capsys.readouterr().err
    assert "'broken'" in err and "laika_fx_no_such_module" in err and "'half'" in err
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "bench" in sub.choices and "half-done" not in sub.choices
    assert parser.parse_args(["bench", "x.xml"]).func is not None


def _register_then_fail(sub):
    sub.add_parser("half-done")
    raise RuntimeError("registration failed half way")


def test_train_without_the_train_extra_is_one_line(monkeypatch, capsys, tmp_path):
    from laika_fx.cli import main

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ModuleNotFoundError
    code = main(["train", "aligner", "--export-only", "--work", str(tmp_path), "--models-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "training needs the [train] extra" in err
