"""Learning from an artist's corrections: the FP32 IR loader, ``laika-fx train seam-detector
--from-shot`` (its refusals, the per-shot model it writes) and the batch using that model."""

from __future__ import annotations

import numpy as np
import pytest

from laika_fx.accelerators.runtime import MODELS_DIR, core


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
    scale = float(np.abs(ref).max())
    assert float(np.abs(ours - ref).max()) <= 1e-4 * max(1.0, scale)


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
