"""Seam removal at run time: learned seam detector + learned inpainter (OpenVINO).

- :mod:`.detector` -- ``SeamDetector``: probability map, hysteresis mask, face gate
- :mod:`.face` -- ``FaceFinder``: where a puppet's face is (the detector's face gate)
- :mod:`.inpaint` -- ``Inpainter``: learned residual over Telea, or Telea / NS
- :mod:`.plugin` -- the ``seam_removal`` plugin

Synthetic data, networks, training and ``laika-fx eval seams`` live in
``laika_fx_train.seam`` (the ``[train]`` extra).
"""
