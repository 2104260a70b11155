"""laika_fx: stop-motion post-production plugin suite.

Public API (the app in ``gui/`` and third-party plugins use only these modules; the
others are internal and may change):

- :mod:`laika_fx` -- ``__version__``
- :mod:`laika_fx.sequence` -- discover frame sequences, parse frame ranges, report gaps
- :mod:`laika_fx.io` -- read/write frames keeping dtype and channels, atomic writes
- :mod:`laika_fx.plugins` -- plugin base class (``saved_masks``, ``read_analysis``),
  parameter schema, registry, ``build_plugins`` from ``(name, settings)`` specs, presets
- :mod:`laika_fx.pipeline` -- analyze + render passes, progress, cancellation,
  ``render_frame`` (one frame through a plugin chain, as the batch renders it),
  ``load_analyses`` (the analysis sidecars of an output folder)
- :mod:`laika_fx.report` -- throughput report
- :mod:`laika_fx.preview` -- display conversion (``to_display8``), preview movies
- :mod:`laika_fx.overrides` -- artist mask overrides: where they live, load, save, remove;
  what a soft (feathered) override does (``blend_soft``)
- :mod:`laika_fx.carry` -- carry a mask correction through a shot with the puppet's motion
- :mod:`laika_fx.prompts` -- artist prompts (where the puppet is): schema, load, save
- :mod:`laika_fx.shapes` -- masks as vector shapes (JSON, SVG, Nuke Roto script) and back
  (``mask_to_shapes``, ``rasterize``, ``read_shapes``)
- :mod:`laika_fx.stabilize.sidecar` -- the ``stabilize.json`` schema: checked reading,
  camera curves for display (``load_solve``)
"""

__version__ = "0.1.0"
