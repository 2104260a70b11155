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

import cv2

from .motion import corner_error, to_level
from .proxies import warp_to_reference
from .solver import CANDIDATE_SLACK, Alignment, CameraSolver, _resized

__all__ = ["follow_set", "refine_shot", "resolve", "set_hypothesis", "worth_resolving"]

#: :func:`follow_set` takes the set's hypothesis only when it lies at most this share of
#: the solve's distance from the previous frame's camera (the camera holds still)
STILL_RATIO = 0.5
#: ... and its candidate cost is at most this factor of the solve's (a large textured
#: puppet can hold most of the cost's cells)
SET_COST_FACTOR = 2.5
#: the complement of a solve's support must hold at least this share of the reference
SET_MIN_AREA = 0.02
#: ... and the hypothesis must align it: its cost there at most this factor of the solve's
SET_EVIDENCE = 0.9
#: a solve is questioned only once it is this many times the shot pass's threshold off
#: the reference's camera (farther than a shake moves it)
SET_MIN_WALK = 3.0


def refine_shot(
    solver: CameraSolver,
    order: list,
    alignments: dict,
    read: Callable[[object], np.ndarray],
    *,
    reference=None,
    threshold: float = 0.002,
    follow: bool = True,
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
    follow : then :func:`follow_set` (needs ``reference``).

    Returns
    -------
    alignments : a new dict, replaced solves have ``initial == "neighbour"`` (or
        ``"set"``: :func:`follow_set`).
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
    if follow:
        out = follow_set(solver, order, out, read, reference=reference, threshold=threshold)
    return out


def follow_set(
    solver: CameraSolver,
    order: list,
    alignments: dict,
    read: Callable[[object], np.ndarray],
    *,
    reference,
    threshold: float = 0.002,
    rounds: int = 2,
) -> dict:
    """Keep the camera on the set when a large textured puppet walks over a soft set.

    A stop-motion camera holds still between bumps while a puppet walks progressively. A
    solve that locked onto a large puppet (the set soft or plain, so misaligned by a few
    pixels it leaves small residuals; the puppet owns most of the gradient and can own
    most of the cost's cells) drifts away from the previous frame's camera with the
    walk. Going outwards from the reference, a frame whose solve moved more than
    ``threshold`` x width from the previous frame's camera gets a second hypothesis
    (:func:`set_hypothesis`): solved from the previous frame's camera on what the solve
    found no support in. It replaces the solve (``initial == "set"``) when it stays
    within :data:`STILL_RATIO` of the solve's distance to the previous camera and its
    candidate cost is within :data:`SET_COST_FACTOR` of the solve's; checked on the kept
    candidate-level proxy first, then re-solved on the frame at every level.

    Parameters
    ----------
    solver, order, alignments, read, threshold : as :func:`refine_shot`.
    reference : key of the reference frame; nothing is done when it is not in ``order``.

    Returns
    -------
    alignments : a new dict.
    """
    out = dict(alignments)
    if reference not in order:
        return out
    limit = threshold * solver.width
    r = order.index(reference)
    still = np.eye(3)
    # 1. per frame: the set's hypothesis where the solve moved off both the reference's
    # camera and the previous frame's
    found: dict = {}  # key -> (far, keep) of the frames that took the set's hypothesis
    for seq in (order[r:], order[r::-1]):
        previous = still
        for i, k in enumerate(seq[1:], start=1):
            if k not in out:
                continue
            current = out[k]
            far = corner_error(current.matrix, still, size=solver.size)
            if k not in found and far > SET_MIN_WALK * limit and corner_error(current.matrix, previous, size=solver.size) > limit:
                after = [out[seq[i + 1]].matrix] if i + 1 < len(seq) and seq[i + 1] in out else []
                levels = _candidate_levels(solver, current, read, k)
                hyp = set_hypothesis(solver, levels, current.matrix, [previous, still, *after])
                if hyp is not None and _stiller(solver, levels, hyp[0], current.matrix, far, hyp[1]):
                    taken = _resolve_on(solver, read(k), current, hyp[0], hyp[1], far)
                    if taken is not None:
                        out[k], found[k] = taken, (far, hyp[1])
            previous = out[k].matrix
    if not found or rounds < 2:
        return out
    # 2. the shot: the set's detail that the clearest switch aligned (the frame whose
    # solve had walked farthest) is the set in every frame: re-solve the others on it
    keep = max(found.values(), key=lambda f: f[0])[1]
    for seq in (order[r:], order[r::-1]):
        previous = still
        for i, k in enumerate(seq[1:], start=1):
            if k not in out:
                continue
            current = out[k]
            if k not in found and corner_error(current.matrix, previous, size=solver.size) > limit:
                after = [out[seq[i + 1]].matrix] if i + 1 < len(seq) and seq[i + 1] in out else []
                levels = _candidate_levels(solver, current, read, k)
                m = _best_on(solver, levels, current.matrix, [previous, still, *after], keep)
                far = corner_error(current.matrix, still, size=solver.size)
                if m is not None and _stiller(solver, levels, m, current.matrix, far + limit, keep, ratio=1.0):
                    taken = _resolve_on(solver, read(k), current, m, keep, far + limit, ratio=1.0)
                    if taken is not None:
                        out[k] = taken
            previous = out[k].matrix
    return out


def _candidate_levels(solver: CameraSolver, current: Alignment, read, k):
    return solver.candidate_pyramid(current.proxy) if current.proxy is not None else solver.pyramid(read(k))


def _resolve_on(
    solver: CameraSolver, moving: np.ndarray, current: Alignment, start: np.ndarray, keep: np.ndarray, far: float,
    *, ratio: float = STILL_RATIO,
) -> Alignment | None:
    """The full solve from ``start`` on ``keep``, if it still passes :func:`_stiller`."""
    levels = solver.pyramid(moving)
    a = solver.solve_pyramid(levels, initial=start, keep=keep)
    if not _stiller(solver, levels, a.matrix, current.matrix, far, keep, ratio=ratio):
        return None
    return Alignment(a.matrix, a.correlation, a.static_fraction, "set", current.searched, current.proxy,
                     moving=a.moving)  # fmt: skip


def _stiller(
    solver: CameraSolver, levels, m: np.ndarray, current: np.ndarray, far: float, keep: np.ndarray,
    *, ratio: float = STILL_RATIO,
) -> bool:
    """Whether hypothesis ``m`` should replace ``current`` (:func:`follow_set`): nearer
    the reference's camera (at most ``ratio`` x ``far``), aligning what ``current`` does
    not, not much costlier."""
    if corner_error(m, np.eye(3), size=solver.size) > ratio * far:
        return False
    cost_m, cost_current = masked_costs(solver, levels, [m, current], keep)
    if not cost_m <= SET_EVIDENCE * cost_current:
        return False
    return solver.candidate_cost(levels, m) <= SET_COST_FACTOR * solver.candidate_cost(levels, current)


def masked_costs(solver: CameraSolver, levels, matrices: list[np.ndarray], keep: np.ndarray) -> list[float]:
    """How badly each of ``matrices`` aligns the reference pixels in ``keep``.

    The truncated absolute difference of the candidate-level proxies, averaged over the
    pixels of ``keep`` that every matrix covers, each image normalised there by its
    median and mean absolute deviation (flicker; a puppet over part of them moves the
    statistics little and costs at most the truncation); inf when fewer than 16 pixels
    are left. Not the contrast images: the detail of a soft set is too coarse for them.
    """
    lv = solver.candidate_level
    reference = solver.reference_levels[lv][0]
    h, w = reference.shape
    use = _resized(keep, (h, w)) > 0
    warps = []
    for m in matrices:
        warped, valid = warp_to_reference(levels[lv][0], to_level(m, levels[lv][1]), (w, h))
        use &= valid > 0
        warps.append(warped)
    if use.sum() < 16:
        return [np.inf] * len(matrices)

    def normalised(v):
        v = v[use].astype(np.float64)
        med = np.median(v)
        return (v - med) / (np.abs(v - med).mean() + 1e-6)

    r = normalised(reference)
    return [float(np.minimum(np.abs(r - normalised(warped)), 2.0).mean()) for warped in warps]


def set_hypothesis(
    solver: CameraSolver, levels, matrix: np.ndarray, starts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray] | None:
    """A second camera hypothesis: solved on what ``matrix`` found no support in.

    ``matrix``'s static set at the candidate level (what it aligns, with the slack of a
    candidate, dilated) is left out; the rest of the reference - what moves against
    ``matrix``: the set's detail when ``matrix`` followed a puppet, the puppet when it
    followed the set - is refined from each of ``starts`` at the candidate level, and
    the one that aligns it best (:func:`masked_cost`) is returned.

    Parameters
    ----------
    solver : the shot's solver.
    levels : the frame's pyramid (at least its candidate level).
    matrix : (3, 3) full-resolution solve, moving -> reference.
    starts : (3, 3) full-resolution starting points.

    Returns
    -------
    (matrix, keep) : the hypothesis and the (h, w) uint8 candidate-level mask it was
        solved on (255 = used), or None when too little is left.
    """
    lv = solver.candidate_level
    support = solver._static_set(lv, levels, matrix, None, slack=CANDIDATE_SLACK)
    reference = solver.reference_levels[lv][0]
    _, covered = warp_to_reference(levels[lv][0], to_level(matrix, levels[lv][1]), reference.shape[::-1])
    keep = cv2.bitwise_and(cv2.bitwise_not(cv2.dilate(support, np.ones((5, 5), np.uint8))),
                           cv2.erode(covered.astype(np.uint8) * 255, np.ones((5, 5), np.uint8)))  # fmt: skip
    if (keep > 0).mean() < SET_MIN_AREA:
        return None
    best = _best_on(solver, levels, matrix, starts, keep)
    return (best, keep) if best is not None else None


def _best_on(solver: CameraSolver, levels, matrix: np.ndarray, starts: list, keep: np.ndarray) -> np.ndarray | None:
    """The best of ``starts`` refined at the candidate level on ``keep`` (:func:`masked_costs`)."""
    lv = solver.candidate_level
    best, best_cost, tried = None, np.inf, []
    for start in starts:
        if any(corner_error(start, t, size=solver.size) < 1.0 for t in tried):
            continue
        tried.append(start)
        # the mask alone first (a static set made at a start that is off would drop the
        # very detail the start has to align), then its static set within it
        m = solver._refine(lv, levels, start, keep, iterations=10, tolerance=0.02)[0]
        m = solver.refine_candidate(levels, m, keep=keep)[0]
        c = masked_costs(solver, levels, [m, matrix], keep)[0]
        if c < best_cost:
            best, best_cost = m, c
    return best


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
