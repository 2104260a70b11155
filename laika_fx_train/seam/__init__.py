"""Seam removal models: synthetic seams and scenes, networks, training, evaluation.

- :mod:`.synth` -- procedural seams and puppet heads
- :mod:`.data` -- synthetic scenes from the photo registry (training and held-out)
- :mod:`.nets` -- ``SeamNet``, ``FaceNet``, ``InpaintNet`` (torch)
- :mod:`.train` -- training runs and their export through the ship flow
- :mod:`.evaluate` -- ``laika-fx eval seams``, threshold calibration
"""
