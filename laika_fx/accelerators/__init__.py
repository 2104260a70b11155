"""Inference acceleration shared by every model.

- :mod:`.runtime` -- OpenVINO on CPU: one Core, compile once, explicit precision hint,
  per-thread infer requests (runtime dependency: openvino only)
- :mod:`.export` -- torch -> IR, NNCF INT8 quantization ([train] extra)
- :mod:`.bench` -- ``laika-fx bench``: time an IR at a resolution and precision
"""

from .runtime import MODELS_DIR, CompiledNet, available, compile_model, core, model_path

__all__ = ["MODELS_DIR", "CompiledNet", "available", "compile_model", "core", "model_path"]
