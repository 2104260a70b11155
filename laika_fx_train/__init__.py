"""Training side of laika_fx: synthetic data, networks, fit loops, shipping and evaluation.

Imports the runtime package ``laika_fx``; ``laika_fx`` never imports this package. Needs
the ``[train]`` extra (torch, nncf, scikit-image, matplotlib) for everything but
:mod:`.commands`.

- :mod:`.sources` -- the photos synthetic data is built from, with the one held-out split
- :mod:`.fit` -- training-loop helpers shared by the trainers
- :mod:`.ship` -- the one ship flow: torch -> FP32 IR -> INT8 IR -> validate both -> ``<name>.json``
- :mod:`.seam` -- seam detector, face finder, inpainter: data, nets, training, ``eval seams``
- :mod:`.stabilize` -- learned coarse aligner: data, net, training; ``eval stabilize``
- :mod:`.commands` -- ``laika-fx train ...`` and ``laika-fx eval ...``
"""

from laika_fx.accelerators.runtime import without_telemetry as _without_telemetry

_without_telemetry()  # training imports openvino and nncf: neither sends usage telemetry
