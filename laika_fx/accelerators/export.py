"""torch -> OpenVINO IR export and NNCF post-training INT8 quantization (training time only).

The shape of NNCF's own examples: FP32 model -> ``nncf.Dataset(loader, transform_fn)``
-> ``nncf.quantize`` -> save FP32 (``compress_to_fp16=False``) and INT8 IR -> validate
both with the same function -> report the drop.

Needs the ``[train]`` extra (torch, nncf); the runtime never imports this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["export_ir", "quantize_ir", "check_ir_matches_torch", "load_ir_weights"]


def export_ir(
    module: Any,
    example_inputs: Sequence[np.ndarray],
    xml_path: str | os.PathLike,
    *,
    dynamic_spatial: bool = True,
) -> Path:
    """Convert a torch module to an FP32 OpenVINO IR (weights kept in FP32).

    Parameters
    ----------
    module : ``torch.nn.Module`` in eval mode.
    example_inputs : one NCHW float32 array per input.
    xml_path : destination ``.xml`` (the ``.bin`` goes beside it).
    dynamic_spatial : leave H and W dynamic so one IR serves every resolution.
    """
    import openvino as ov
    import torch

    module = module.eval()
    examples = tuple(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)) for x in example_inputs)
    inputs = None
    if dynamic_spatial:
        inputs = [ov.PartialShape([-1, x.shape[1], -1, -1]) for x in examples]
    with torch.no_grad():
        model = ov.convert_model(module, example_input=examples if len(examples) > 1 else examples[0], input=inputs)
    xml_path = Path(xml_path)
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(xml_path), compress_to_fp16=False)
    return xml_path


def quantize_ir(
    fp32_xml: str | os.PathLike,
    calibration: Iterable[Any],
    int8_xml: str | os.PathLike,
    *,
    transform_fn: Callable[[Any], Any] | None = None,
    subset_size: int = 300,
    ignored_types: Sequence[str] = (),
    ignored_names: Sequence[str] = (),
    fast_bias_correction: bool = True,
) -> Path:
    """Post-training INT8 quantization of an FP32 IR with NNCF; saves the INT8 IR.

    Parameters
    ----------
    calibration : items the ``transform_fn`` turns into model inputs (real training-like
        samples, not random noise).
    ignored_types, ignored_names : layers kept in FP32 (``nncf.IgnoredScope``), e.g. the
        output convolution of an inpainter whose residual is small and precise.
    """
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(fp32_xml))
    dataset = nncf.Dataset(list(calibration), transform_fn)
    scope = None
    if ignored_types or ignored_names:
        scope = nncf.IgnoredScope(types=list(ignored_types), names=list(ignored_names), validate=False)
    kwargs: dict[str, Any] = {"subset_size": subset_size, "fast_bias_correction": fast_bias_correction}
    if scope is not None:
        kwargs["ignored_scope"] = scope
    quantized = nncf.quantize(model, dataset, **kwargs)
    int8_xml = Path(int8_xml)
    ov.save_model(quantized, str(int8_xml), compress_to_fp16=False)
    return int8_xml


def check_ir_matches_torch(
    module: Any, xml_path: str | os.PathLike, inputs: Sequence[np.ndarray]
) -> float:
    """Largest absolute difference between torch and the FP32 IR (run at f32) outputs."""
    import torch

    from .runtime import core

    with torch.no_grad():
        ref = module.eval()(*[torch.from_numpy(np.asarray(x, np.float32)) for x in inputs])
    refs = ref if isinstance(ref, (tuple, list)) else (ref,)
    compiled = core().compile_model(str(xml_path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    outs = compiled([np.asarray(x, np.float32) for x in inputs])
    return max(float(np.abs(outs[compiled.outputs[i]] - r.numpy()).max()) for i, r in enumerate(refs))


def load_ir_weights(module: Any, xml_path: str | os.PathLike) -> Any:
    """Load into ``module`` the weights of an FP32 IR that :func:`export_ir` made from a
    module of the same class (so a shipped model can be trained further without its
    training checkpoint). Convolution weights are the IR's ``self.<name>`` constants, their
    biases the ``__module.<conv>/aten::_convolution/Reshape`` constants (what
    ``ov.convert_model`` names them); raises ``KeyError`` for anything else.
    """
    import openvino as ov
    import torch

    model = ov.Core().read_model(str(xml_path))
    consts = {op.get_friendly_name(): op for op in model.get_ordered_ops() if op.get_type_name() == "Constant"}
    state = module.state_dict()
    loaded = {}
    for key, ref in state.items():
        if key.endswith(".weight"):
            name = f"self.{key}"
        elif key.endswith(".bias"):
            name = f"__module.{key.removesuffix('.bias')}/aten::_convolution/Reshape"
        else:
            raise KeyError(f"{key}: only convolution weights and biases are read from an IR")
        if name not in consts:
            raise KeyError(f"{key}: no constant {name!r} in {xml_path}")
        value = np.asarray(consts[name].get_data(), dtype=np.float32).reshape(ref.shape)
        loaded[key] = torch.from_numpy(value.copy())
    module.load_state_dict(loaded)
    return module
