"""Child processes die with the process that started them (Linux ``PR_SET_PDEATHSIG``).

The solver's worker processes (:mod:`.workers`) are forked by multiprocessing's fork
server, which the batch starts. If the batch is killed (``SIGKILL``, an out-of-memory
kill, a farm manager ending the task), nothing would stop them: they would keep a core
busy each, and their fork server and resource tracker would stay too. So each of them
asks the kernel for ``SIGKILL`` when its parent dies: the fork server when the batch
dies (this module is the fork server's preload, see :func:`die_with_parent`), each
worker when the fork server dies (the workers' initializer calls it). Elsewhere than
Linux this does nothing; the pool's own shutdown still ends the workers on a normal exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import types

__all__ = ["die_with_parent", "child_context", "main_hidden"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """Have the kernel ``SIGKILL`` this process when its parent dies; True if set.

    If the parent died already (this process was re-parented to init before the call),
    this process exits at once.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() == 1:  # the parent died before the request was in place
        os._exit(1)
    return True


def child_context(preload: str):
    """The multiprocessing context child processes of the batch are started with:
    ``forkserver`` where there is one (else ``spawn``), its fork server preloading this
    module first - it then dies with this process (the variable tells it which process that
    is), and the children die with it - then ``preload`` (the children's module)."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        os.environ["LAIKA_FX_FORKSERVER_LIFELINE"] = str(os.getpid())
        ctx.set_forkserver_preload(["laika_fx.stabilize.lifeline", preload])
    return ctx


@contextlib.contextmanager
def main_hidden():
    """Start child processes inside this block: the caller's script is hidden from them. A
    new process would otherwise import the ``__main__`` script again (multiprocessing's "safe
    importing of main module" rule) and re-run an unguarded script's top level; the children
    need nothing from it."""
    main = sys.modules.get("__main__")
    hide = main is not None and getattr(main, "__file__", None) is not None
    try:
        if hide:
            sys.modules["__main__"] = types.ModuleType("__main__")
        yield
    finally:
        if hide:
            sys.modules["__main__"] = main


# Imported as the fork server's preload module (``set_forkserver_preload``): the fork
# server then dies with the process that started it. Nothing else imports this module
# under this name at start-up; the workers call die_with_parent() themselves.
if __name__ != "__main__" and os.environ.get("LAIKA_FX_FORKSERVER_LIFELINE") == str(os.getppid()):
    die_with_parent()
