"""The shot pass: re-solve frames whose solve disagrees with their neighbours'.

The set is static over the whole shot while the puppet moves from frame to frame, so a
solve that locked onto a near-static puppet in one frame disagrees with the neighbouring
frames' solves, which the puppet no longer fools. Such a frame is first checked on the
candidate-level proxy its solve kept (:func:`worth_resolving`) and, where the
neighbour's solution does better there, re-solved from it (:func:`resolve`); the solve
with the lower robust cost (:meth:`~.solver.CameraSolver.candidate_cost`) is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .motion import corner_error
from .solver import Alignment, CameraSolver

__all__ = ["refine_shot", "resolve", "worth_resolving"]


def refine_shot(
    solver: CameraSolver,
    order: list,
    alignments: dict,
    read: Callable[[object], np.ndarray],
    *,
    reference=None,
    threshold: float = 0.002,
) -> dict:
    """Use the shot, not just the pair: re-solve frames that disagree with their neighbours.

    One pass forwards and one backwards: a frame whose solve differs from a neighbour's
    by more than ``threshold`` x frame width (mean corner distance) is re-solved starting
    from that neighbour's solution when :func:`worth_resolving` says so, and the solve
    with the lower robust cost is kept (:func:`resolve`); corrections propagate along the
    pass.

    Parameters
    ----------
    solver : the shot's :class:`~.solver.CameraSolver`.
    order : frame keys in shot order (the reference included).
    alignments : key -> :class:`~.solver.Alignment` for every key but ``reference``.
    read : key -> (H, W[, C]) frame (called only for frames that are re-solved, at most
        twice each).
    reference : key of the reference frame (its transform is the identity), or None.
    threshold : disagreement that triggers a check, as a fraction of the frame width.

    Returns
    -------
    alignments : a new dict, replaced solves have ``initial == "neighbour"``.
    """
    out = dict(alignments)
    limit = threshold * solver.width

    def matrix(k):
        return np.eye(3) if k == reference else out[k].matrix

    for seq in (order, order[::-1]):
        for i in range(1, len(seq)):
            k, prev = seq[i], seq[i - 1]
            if k == reference or k not in out or (prev != reference and prev not in out):
                continue
            m_prev = matrix(prev)
            if corner_error(out[k].matrix, m_prev, size=solver.size) <= limit:
                continue
            if not worth_resolving(solver, out[k], m_prev):  # a cheap check on the kept proxy first
                continue
            out[k] = resolve(solver, read(k), out[k], [m_prev])
    return out


def resolve(solver: CameraSolver, moving: np.ndarray, current: Alignment, starts: list[np.ndarray]) -> Alignment:
    """Re-solve ``moving`` from other starting points; keep whichever solve costs least.

    The winner is chosen by :meth:`~.solver.CameraSolver.candidate_cost`, the same cost
    that picks among a frame's own candidates; a start within 1 px of ``current`` is
    skipped.

    Parameters
    ----------
    solver : the shot's solver.
    moving : (H, W[, C]) frame.
    current : its solve.
    starts : (3, 3) full-resolution starts, moving -> reference.

    Returns
    -------
    alignment : ``current`` or a new solve with ``initial == "neighbour"`` (``searched``
        and ``proxy`` kept from ``current``).
    """
    best, best_cost, levels = current, None, None
    for start in starts:
        if corner_error(start, current.matrix, size=solver.size) < 1.0:
            continue
        if levels is None:
            levels = solver.pyramid(moving)
            best_cost = solver.candidate_cost(levels, current.matrix)
        a = solver.solve_pyramid(levels, initial=start)
        cost = solver.candidate_cost(levels, a.matrix)
        if cost < best_cost:
            best = Alignment(a.matrix, a.correlation, a.static_fraction, "neighbour", current.searched, current.proxy,
                             moving=a.moving)
            best_cost = cost
    return best


def worth_resolving(solver: CameraSolver, current: Alignment, start: np.ndarray) -> bool:
    """Whether :func:`resolve` from ``start`` could beat ``current``, judged without the frame.

    ``start`` is refined at the candidate level only (static set, a few Gauss-Newton
    steps) on the proxy kept in ``current``; it is worth the full re-solve (a frame read
    and all levels) only if that beats ``current`` by the candidate cost. True when
    ``current`` kept no proxy.
    """
    if current.proxy is None:
        return True
    levels = solver.candidate_pyramid(current.proxy)
    m = solver.refine_candidate(levels, start)[0]
    return solver.candidate_cost(levels, m) < solver.candidate_cost(levels, current.matrix)
