"""Inference acceleration shared by every model.

- :mod:`.runtime` -- OpenVINO on CPU: one Core, compile once, explicit precision hint,
  per-thread infer requests (runtime dependency: openvino only)
- :mod:`.bench` -- ``laika-fx bench``: time an IR at a resolution and precision

Export to IR and INT8 quantization live in ``laika_fx_train.ship`` (the ``[train]`` extra).
"""

from .runtime import MODELS_DIR, CompiledNet, available, compile_model, core, model_path

__all__ = ["MODELS_DIR", "CompiledNet", "available", "compile_model", "core", "model_path"]
