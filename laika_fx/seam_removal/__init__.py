"""Seam removal: learned seam detector + learned inpainter (OpenVINO at run time).

- :mod:`.detector` -- ``SeamDetector``: probability map, hysteresis mask
- :mod:`.inpaint` -- ``Inpainter``: learned residual over Telea, or Telea / NS
- :mod:`.plugin` -- the ``seam_removal`` plugin
- :mod:`.synth`, :mod:`.data` -- synthetic seams and training scenes
- :mod:`.model`, :mod:`.train` -- torch networks and training ([train] extra)
- :mod:`.evaluate` -- ``laika-fx eval seams``
"""
