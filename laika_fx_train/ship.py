"""The one ship flow of every model: torch -> FP32 IR -> INT8 IR -> validate both -> metrics JSON.

:func:`ship` follows NNCF's own examples: export the torch model to an FP32 IR
(``compress_to_fp16=False``), check the IR against torch, make the INT8 IR (NNCF
post-training quantization, ``nncf.Dataset`` -> ``nncf.quantize``, or the export of a
quantization-aware trained copy), validate FP32 and INT8 with the same caller-given
function and write ``<name>.json`` beside the IRs (:func:`record_metrics`), one schema
for every model (:data:`SCHEMA_VERSION`, checked by :func:`check_metrics`)::

    {"schema_version": 1,
     "name": "seam_detector",
     "quantization": "how the INT8 IR was made",
     "torch_ir_max_abs_diff": 7.6e-06,
     "validation_data": "what the validation ran on",
     "validation": {"fp32": {metric: value}, "int8": {metric: value}, ...baselines},
     "int8_drop": {metric: how much worse INT8 is than FP32 (> 0: worse)},
     "sizes_bytes": {"<name>_fp32.bin": n, "<name>_int8.bin": n},
     "runtime": {"int8": {setting: value}, "fp32": {...}} (what inference reads; may be {}),
     "training": {...} (photos, notes)}

Needs the ``[train]`` extra (torch, nncf) except :func:`record_metrics` and
:func:`check_metrics`; the runtime never imports this package.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "SCHEMA_VERSION", "ship", "record_metrics", "check_metrics", "export_ir", "quantize_ir",
    "check_ir_matches_torch", "load_ir_weights", "ir_convolutions",
]  # fmt: skip

#: version of the metrics JSON schema written by :func:`record_metrics`
SCHEMA_VERSION = 1
PRECISIONS = ("fp32", "int8")


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

    from laika_fx.accelerators.runtime import core

    with torch.no_grad():
        ref = module.eval()(*[torch.from_numpy(np.asarray(x, np.float32)) for x in inputs])
    refs = ref if isinstance(ref, (tuple, list)) else (ref,)
    compiled = core().compile_model(str(xml_path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    outs = compiled([np.asarray(x, np.float32) for x in inputs])
    return max(float(np.abs(outs[compiled.outputs[i]] - r.numpy()).max()) for i, r in enumerate(refs))


def ir_convolutions(xml_path: str | os.PathLike) -> list[dict]:
    """The convolutions of an FP32 IR in the IR's execution order, with their constants.

    Each item: ``{"name", "weight": (O, I, kh, kw) float32, "bias": (O,) float32 or None,
    "strides", "pads_begin", "pads_end", "dilations"}``. The weight is the Constant
    feeding the Convolution's second input; the bias is the Constant of the one Add that
    follows it (what ``ov.convert_model`` makes of ``nn.Conv2d``'s bias), ``(1, O, 1, 1)``.
    Raises ``ValueError`` when a weight is not a plain Constant (an INT8 or FP16-compressed
    IR: its weights pass through FakeQuantize or Convert) or a bias has another shape.
    """
    import openvino as ov

    model = ov.Core().read_model(str(xml_path))
    out = []
    for op in model.get_ordered_ops():
        if op.get_type_name() != "Convolution":
            continue
        name = op.get_friendly_name()
        w = op.input_value(1).get_node()
        if w.get_type_name() != "Constant":
            raise ValueError(f"{Path(xml_path).name}: the weight of {name} is a {w.get_type_name()}, not a "
                             "Constant (only an FP32 IR saved with compress_to_fp16=False can be loaded)")  # fmt: skip
        weight = np.array(w.get_data(), dtype=np.float32)
        bias = None
        adds = [t.get_node() for t in op.output(0).get_target_inputs() if t.get_node().get_type_name() == "Add"]
        if len(adds) == 1:
            others = [adds[0].input_value(i).get_node() for i in range(2)]
            consts = [n for n in others if n.get_type_name() == "Constant"]
            if len(consts) == 1:
                b = np.array(consts[0].get_data(), dtype=np.float32)
                if b.shape != (1, weight.shape[0], 1, 1):
                    raise ValueError(f"{Path(xml_path).name}: the bias of {name} is {b.shape}, expected "
                                     f"{(1, weight.shape[0], 1, 1)}")  # fmt: skip
                bias = b.reshape(-1)
        attrs = op.get_attributes()
        out.append({"name": name, "weight": weight, "bias": bias,
                    **{k: [int(v) for v in attrs[k]] for k in ("strides", "pads_begin", "pads_end", "dilations")}})
    return out


def seam_net_of_ir(xml_path: str | os.PathLike) -> Any:
    """An untrained :class:`~laika_fx_train.seam.nets.SeamNet` of the widths of the FP32 IR
    ``xml_path`` (read off its convolutions' output channels in execution order: the
    encoder's stride-2 convolutions come first), for :func:`load_ir_weights` to fill."""
    from .seam.nets import SeamNet

    outs = [int(c["weight"].shape[0]) for c in ir_convolutions(xml_path)]
    if len(outs) not in (12, 16):
        raise ValueError(f"{Path(xml_path).name}: {len(outs)} convolutions, not a seam detector's 12 or 16")
    return SeamNet((outs[0], outs[2], outs[4], outs[6]), outs[8] if len(outs) == 16 else 0)


def seam_net_from_ir(xml_path: str | os.PathLike) -> Any:
    """The seam detector of the FP32 IR ``xml_path`` as a torch net: :func:`seam_net_of_ir`
    filled by :func:`load_ir_weights` (eval mode)."""
    return load_ir_weights(seam_net_of_ir(xml_path), xml_path)


def load_ir_weights(module: Any, xml_path: str | os.PathLike, *, size: int = 64) -> Any:
    """Fill ``module`` (one of our conv nets) with the constants of an FP32 IR of the same
    architecture, so a shipped model can be trained further without a torch checkpoint.

    The IR's convolutions (:func:`ir_convolutions`, in the IR's execution order) are
    matched one to one with the module's ``nn.Conv2d`` layers in the order a forward pass
    calls them (a ``(1, C, size, size)`` zero input, ``C`` the IR input's channels; ``size``
    a multiple of the net's stride). Checked strictly: as many convolutions on both sides,
    each weight of the same shape, a bias on both sides or neither, the same strides,
    padding and dilation, and every parameter and buffer of ``module`` filled (a net with
    other learned layers, e.g. batch norm, is refused). Raises ``ValueError`` naming the
    first mismatch. Returns ``module`` (in eval mode).
    """
    import openvino as ov
    import torch
    from torch import nn

    xml_path = Path(xml_path)
    convs = ir_convolutions(xml_path)
    inputs = ov.Core().read_model(str(xml_path)).inputs
    if len(inputs) != 1 or inputs[0].get_partial_shape()[1].is_dynamic:
        raise ValueError(f"{xml_path.name}: expected one input with a known channel count")
    channels = inputs[0].get_partial_shape()[1].get_length()
    order: list[tuple[str, Any]] = []
    names = {m: n for n, m in module.named_modules()}
    hooks = [m.register_forward_hook(lambda mod, _i, _o: order.append((names[mod], mod)))
             for m in module.modules() if isinstance(m, nn.Conv2d)]  # fmt: skip
    try:
        with torch.no_grad():
            module.eval()(torch.zeros(1, channels, size, size))
    finally:
        for h in hooks:
            h.remove()
    if len({n for n, _ in order}) != len(order):
        raise ValueError(f"{type(module).__name__}: a convolution runs twice in one pass (shared weights)")
    if len(order) != len(convs):
        raise ValueError(f"{xml_path.name} has {len(convs)} convolutions, {type(module).__name__} runs "
                         f"{len(order)}")  # fmt: skip
    state: dict[str, Any] = {}
    for (name, conv), ir in zip(order, convs, strict=True):
        where = f"{name} <- {ir['name']}"
        if tuple(conv.weight.shape) != ir["weight"].shape:
            raise ValueError(f"{where}: weight {tuple(conv.weight.shape)} vs {ir['weight'].shape}")
        if (conv.bias is None) != (ir["bias"] is None):
            raise ValueError(f"{where}: bias {'absent' if conv.bias is None else 'present'} in torch, not in the IR")
        pads = list(conv.padding) if not isinstance(conv.padding, str) else None
        want = {"strides": list(conv.stride), "pads_begin": pads, "pads_end": pads, "dilations": list(conv.dilation)}
        for key, value in want.items():
            if value != ir[key]:
                raise ValueError(f"{where}: {key} {value} vs {ir[key]}")
        if conv.groups != 1:
            raise ValueError(f"{where}: grouped convolutions are not read")
        state[f"{name}.weight"] = torch.from_numpy(ir["weight"].copy())
        if conv.bias is not None:
            state[f"{name}.bias"] = torch.from_numpy(ir["bias"].copy())
    rest = sorted(set(module.state_dict()) - set(state))
    if rest:
        raise ValueError(f"{type(module).__name__}: {', '.join(rest)} are not convolution weights (not in the IR)")
    module.load_state_dict(state, strict=True)
    return module.eval()


def ship(
    net: Any,
    name: str,
    *,
    out_dir: str | os.PathLike,
    example_inputs: Sequence[np.ndarray],
    check_inputs: Sequence[np.ndarray],
    validate: Callable[[Path, str], dict],
    quantization: str,
    int8_drop: Mapping[str, str],
    validation_data: str,
    qat: Any = None,
    calibration: Iterable[Any] | None = None,
    quantize_options: Mapping[str, Any] | Callable[[Path], Mapping[str, Any]] | None = None,
    dynamic_spatial: bool = True,
    runtime: Mapping[str, Any] | Callable[[dict], Mapping[str, Any]] | None = None,
    training: Mapping[str, Any] | None = None,
    extra_validation: Mapping[str, dict] | None = None,
) -> dict:
    """Ship ``net`` as ``out_dir/<name>_{fp32,int8}.xml`` and ``out_dir/<name>.json``.

    Parameters
    ----------
    net : trained ``torch.nn.Module`` (exported in eval mode).
    example_inputs : one NCHW float32 array per input, to trace the export.
    check_inputs : inputs on which torch and the FP32 IR are compared.
    validate : ``validate(xml, precision) -> {metric: value}``; called for the FP32 and
        the INT8 IR alike.
    quantization : how the INT8 IR was made, in words (recorded).
    int8_drop : metric -> ``"higher"`` or ``"lower"`` (which is better); the JSON records
        how much worse INT8 is than FP32 on each.
    validation_data : what ``validate`` runs on, in words (recorded).
    qat : a quantization-aware trained copy of ``net``: its export is the INT8 IR.
        Without it, NNCF post-training quantization of the FP32 IR on ``calibration``.
    quantize_options : keyword arguments of :func:`quantize_ir`, or a function of the
        FP32 IR's path returning them (to keep layers found in it FP32).
    runtime : settings the runtime reads, per precision, or a function of the validation
        results returning them.
    training : how the model was trained (photos, notes), recorded as given.
    extra_validation : further validation rows (e.g. a classical baseline).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / f"{name}_fp32.xml"
    int8 = out_dir / f"{name}_int8.xml"
    export_ir(net.eval(), example_inputs, fp32, dynamic_spatial=dynamic_spatial)
    diff = check_ir_matches_torch(net, fp32, check_inputs)
    if qat is not None:
        export_ir(qat.eval(), example_inputs, int8, dynamic_spatial=dynamic_spatial)
    else:
        if calibration is None:
            raise ValueError("ship: post-training quantization needs calibration samples")
        options = quantize_options(fp32) if callable(quantize_options) else (quantize_options or {})
        quantize_ir(fp32, calibration, int8, **options)
    return record_metrics(name, out_dir, validate, quantization=quantization, torch_ir_max_abs_diff=diff,
                          int8_drop=int8_drop, validation_data=validation_data, runtime=runtime,
                          training=training, extra_validation=extra_validation)  # fmt: skip


def record_metrics(
    name: str,
    out_dir: str | os.PathLike,
    validate: Callable[[Path, str], dict],
    *,
    quantization: str,
    torch_ir_max_abs_diff: float | None,
    int8_drop: Mapping[str, str],
    validation_data: str,
    runtime: Mapping[str, Any] | Callable[[dict], Mapping[str, Any]] | None = None,
    training: Mapping[str, Any] | None = None,
    extra_validation: Mapping[str, dict] | None = None,
) -> dict:
    """Validate ``out_dir/<name>_{fp32,int8}.xml`` with ``validate`` and write ``<name>.json``
    (the schema of this module's docstring); returns what was written. Needs no torch."""
    out_dir = Path(out_dir)
    validation = {p: validate(out_dir / f"{name}_{p}.xml", p) for p in PRECISIONS}
    validation.update(extra_validation or {})
    drops = {}
    for metric, better in int8_drop.items():
        if better not in ("higher", "lower"):
            raise ValueError(f"int8_drop[{metric!r}] must be 'higher' or 'lower', got {better!r}")
        worse = validation["fp32"][metric] - validation["int8"][metric]
        drops[metric] = round(worse if better == "higher" else -worse, 4)
    meta = {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "quantization": quantization,
        "torch_ir_max_abs_diff": torch_ir_max_abs_diff,
        "validation_data": validation_data,
        "validation": validation,
        "int8_drop": drops,
        "sizes_bytes": {f"{name}_{p}.bin": (out_dir / f"{name}_{p}.bin").stat().st_size for p in PRECISIONS},
        "runtime": dict(runtime(validation) if callable(runtime) else (runtime or {})),
        "training": dict(training or {}),
    }
    check_metrics(meta)
    (out_dir / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def check_metrics(meta: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless ``meta`` follows the metrics schema (module docstring)."""
    expected = {"schema_version": int, "name": str, "quantization": str, "torch_ir_max_abs_diff": (float, int, type(None)),
                "validation_data": str, "validation": dict, "int8_drop": dict, "sizes_bytes": dict,
                "runtime": dict, "training": dict}  # fmt: skip
    problems = [f"missing {k!r}" for k in expected if k not in meta]
    problems += [f"unknown key {k!r}" for k in meta if k not in expected]
    problems += [f"{k!r} is {type(meta[k]).__name__}" for k, t in expected.items()
                 if k in meta and (isinstance(meta[k], bool) or not isinstance(meta[k], t))]  # fmt: skip
    if not problems:
        if meta["schema_version"] != SCHEMA_VERSION:
            problems.append(f"schema_version {meta['schema_version']} (expected {SCHEMA_VERSION})")
        for p in PRECISIONS:
            if not isinstance(meta["validation"].get(p), dict) or not meta["validation"][p]:
                problems.append(f"validation has no {p!r} results")
        for metric, value in meta["int8_drop"].items():
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(f"int8_drop[{metric!r}] is not a number")
            elif not all(isinstance(meta["validation"].get(p), dict) and metric in meta["validation"][p]
                         for p in PRECISIONS):  # fmt: skip
                problems.append(f"int8_drop[{metric!r}] is not a validation metric")
        for p in PRECISIONS:
            size = meta["sizes_bytes"].get(f"{meta['name']}_{p}.bin")
            if not isinstance(size, int) or size <= 0:
                problems.append(f"sizes_bytes has no {meta['name']}_{p}.bin")
        for p, settings in meta["runtime"].items():
            if p not in PRECISIONS or not isinstance(settings, dict):
                problems.append(f"runtime[{p!r}] must be a dict of settings of precision fp32 or int8")
    if problems:
        raise ValueError(f"metrics of {meta.get('name', '?')!r} do not follow schema {SCHEMA_VERSION}: "
                         + "; ".join(problems))  # fmt: skip
