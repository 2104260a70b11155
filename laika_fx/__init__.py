"""laika_fx: stop-motion post-production plugin suite.

Public API (the GUI and third-party plugins use only these names):

- :mod:`laika_fx.sequence` -- discover frame sequences, parse frame ranges, report gaps
- :mod:`laika_fx.io` -- read/write frames keeping dtype and channels, atomic writes
- :mod:`laika_fx.plugins` -- plugin base class, parameter schema, registry
- :mod:`laika_fx.pipeline` -- analyze + render passes, progress, cancellation
- :mod:`laika_fx.report` -- throughput report
"""

__version__ = "0.1.0"
