"""The shot pass: re-solve frames whose solve disagrees with their neighbours'.

The set is static over the whole shot while the puppet moves from frame to frame, so a
solve that locked onto a near-static puppet in one frame disagrees with the neighbouring
frames' solves, which the puppet no longer fools. Such a frame is first checked on the
candidate-level proxy its solve kept (:func:`worth_resolving`) and, where the
neighbour's solution does better there, re-solved from it (:func:`resolve`); the solve
with the lower robust cost (:meth:`~.solver.CameraSolver.candidate_cost`) is kept.

Then :func:`follow_set` keeps the camera on the set when a large textured puppet walks
over a soft set: a solve that walked away from the reference's camera with the puppet
is replaced by a second hypothesis solved on what that solve found no support in.

:class:`ShotPass` runs both over a shot that comes frame by frame, on windows of
frames, so that frames are final a bounded number of frames behind the newest solve
(the render can then stream beside the analysis).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .motion import corner_error, to_level
from .proxies import warp_to_reference
from .robust import median
from .solver import CANDIDATE_SLACK, Alignment, CameraSolver, _resized

__all__ = ["ShotPass", "follow_set", "refine_shot", "resolve", "set_hypothesis", "worth_resolving"]

# :func:`follow_set`'s rules (measured on the validation seam shots, see docs/stabilize.md)
#: a solve is questioned only once it is this many times the shot pass's threshold off
#: the reference's camera (farther than a shake moves it)
SET_MIN_WALK = 3.0
#: the complement of a solve's support must hold at least this share of the reference
SET_MIN_AREA = 0.02
#: the set's hypothesis must lie at most this share of the solve's distance from the
#: reference's camera (the camera holds still, the puppet walked away) ...
STILL_RATIO = 0.5
#: ... and within this share of the width of the reference's camera: a still camera,
#: shaken (past a bump the reference's camera is no anchor; the frame is left alone)
SET_STILL = 0.006
#: ... and align what the solve does not: its :func:`masked_costs` there at most this
#: factor of the solve's
SET_EVIDENCE = 0.9
#: ... and its candidate cost at most this factor of the solve's (a large textured
#: puppet can hold most of the cost's cells; a puppet that the reference's camera lines
#: up over a sharp set costs 4.3-5x the camera's)
SET_COST_FACTOR = 2.5


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
    fixed = {} if reference is None else {reference: np.eye(3)}
    out = _neighbour_passes(solver, order, alignments, read, fixed, threshold * solver.width)
    if follow:
        out = follow_set(solver, order, out, read, reference=reference, threshold=threshold)
    return out


def _neighbour_passes(solver: CameraSolver, order: list, alignments: dict, read, fixed: dict, limit: float,
                      memo: dict | None = None) -> dict:  # fmt: skip
    """:func:`refine_shot`'s passes forwards and backwards; ``fixed``: key -> matrix of the
    frames that are not re-solved (the reference, a window's anchor). ``memo``: the checks
    and re-solves of earlier calls, by frame, solve and start (both are pure functions of
    them), so overlapping windows (:class:`ShotPass`) do each once."""
    out = dict(alignments)
    memo = {} if memo is None else memo

    def matrix(k):
        return fixed[k] if k in fixed else out[k].matrix

    for seq in (order, order[::-1]):
        for i in range(1, len(seq)):
            k, prev = seq[i], seq[i - 1]
            if k in fixed or k not in out or (prev not in fixed and prev not in out):
                continue
            m_prev = matrix(prev)
            if corner_error(out[k].matrix, m_prev, size=solver.size) <= limit:
                continue
            key = (k, id(out[k]), m_prev.tobytes())
            if key not in memo:  # a cheap check on the kept proxy first
                memo[key] = (out[k], resolve(solver, read(k), out[k], [m_prev])
                             if worth_resolving(solver, out[k], m_prev) else out[k])  # fmt: skip
            out[k] = memo[key][1]
    return out


class ShotPass:
    """The shot pass (:func:`refine_shot`, with :func:`follow_set`) over frames that come one
    by one in shot order, final ``horizon + 2`` to ``2 * horizon + 1`` frames behind the newest.

    The shot is cut into windows: the last final frame (first the reference, which must be
    the shot's first frame) is the window's fixed *anchor*, and the next ``2 * horizon + 1``
    frames are refined from their own solves, forwards from the anchor and back; the first
    ``horizon`` of them are then final, the rest are refined again in the next window (from
    their own solves, beside the new frames). :func:`follow_set` sweeps each window from its
    anchor's camera and, for its second round, knows the switches of the final frames (the
    clearest switch so far sets the set's detail). A shot of at most ``2 * horizon + 1``
    frames after the reference is one window: exactly :func:`refine_shot`. Longer shots differ
    only where a correction would travel farther than a window, or where the clearest switch
    comes more than a window after frames the second round would have re-solved on it.

    The windows depend only on the frames' order, never on when their solves arrive, so the
    result is the same however the shot was solved (streamed or not, any worker count).
    ``horizon`` 0: one window, the whole shot, final only at :meth:`finish`.
    """

    def __init__(self, solver: CameraSolver, read: Callable[[object], np.ndarray], *, reference, horizon: int,
                 threshold: float = 0.002, follow: bool = True) -> None:  # fmt: skip
        self.solver = solver
        self.read = read
        self.reference = reference
        self.horizon = max(0, int(horizon))
        self.threshold = threshold
        self.follow = follow
        self.order: list = [reference]
        self.solves: dict = {}  # key -> the frame's own solve
        self.final: dict = {}  # key -> its solve after the shot pass (the reference excluded)
        self.switches: dict = {}  # final key -> (far, keep): follow_set's switches
        self._memo: dict = {}  # the neighbour passes' checks and re-solves of frames not final
        self._done = 1  # order[:_done] are final

    def add(self, key, alignment) -> list:
        """The next frame in shot order and its own solve; returns the keys now final."""
        self.order.append(key)
        self.solves[key] = alignment
        end = self._done + 2 * self.horizon + 1  # the window: its anchor and 2 * horizon + 1 frames
        if self.horizon and len(self.order) > end:  # a frame beyond it: the shot is not one window
            return self._window(end, self.horizon)
        return []

    def finish(self) -> list:
        """Every frame added is final now; returns the keys made final by this call."""
        left = len(self.order) - self._done
        return self._window(len(self.order), left) if left > 0 else []

    def _window(self, end: int, count: int) -> list:
        anchor = self.order[self._done - 1]
        keys = self.order[self._done - 1 : end]
        fixed = {anchor: np.eye(3) if anchor == self.reference else self.final[anchor].matrix}
        out = _neighbour_passes(self.solver, keys, {k: self.solves[k] for k in keys[1:]}, self.read, fixed,
                                self.threshold * self.solver.width, self._memo)  # fmt: skip
        if self.follow:
            switches = dict(self.switches)
            out = follow_set(self.solver, keys, out, self.read, reference=self.reference, threshold=self.threshold,
                             anchor=(anchor, fixed[anchor]), switches=switches)  # fmt: skip
        now = keys[1 : 1 + count]
        for k in now:
            self.final[k] = out[k]
            if self.follow and k in switches:
                self.switches[k] = switches[k]
        self._done += len(now)
        done = set(now)  # earlier final frames' entries went with their window; the anchor has none
        self._memo = {key: v for key, v in self._memo.items() if key[0] not in done}
        return now


def follow_set(
    solver: CameraSolver,
    order: list,
    alignments: dict,
    read: Callable[[object], np.ndarray],
    *,
    reference,
    threshold: float = 0.002,
    rounds: int = 2,
    anchor: tuple | None = None,
    switches: dict | None = None,
) -> dict:
    """Keep the camera on the set when a large textured puppet walks over a soft set.

    A stop-motion camera holds still between bumps while a puppet walks progressively.
    Over a soft or plain set a large textured puppet owns most of the gradient and can
    own most of the cost's cells, so a solve can lock onto it and drift away from the
    reference's camera with the walk (the set, misaligned by a few pixels, leaves small
    residuals). Two rounds, each outwards from the reference in both directions:

    1. A frame whose solve is more than :data:`SET_MIN_WALK` x ``threshold`` x width off
       the reference's camera, and moved off the previous frame's, gets a second
       hypothesis (:func:`set_hypothesis`: solved on what the solve found no support in,
       from the previous frame's camera, the reference's and the next frame's solve).
       It replaces the solve when it is still (:func:`_stiller`: near the reference's
       camera, aligning what the solve misaligns, not much costlier) on the kept
       candidate-level proxy and again after a full solve on the frame restricted to
       that complement (``initial == "set"``).
    2. If any frame switched, the complement of the clearest switch (the solve that had
       walked farthest) is the set's detail, static in reference coordinates: every
       other frame that moved off its previous frame's camera is re-solved on it and
       takes that solve by the same rules, with a shake's slack in place of
       :data:`STILL_RATIO`.

    Past a bump (the camera off the reference's by more than :data:`SET_STILL` x width)
    no hypothesis is taken: there the reference's camera is no anchor.

    Parameters
    ----------
    solver, order, alignments, read, threshold : as :func:`refine_shot`.
    reference : key of the reference frame; nothing is done when it is not in ``order``.
    rounds : 1: the per-frame round only.
    anchor : ``(key, matrix)``: sweep outwards from this frame of ``order`` (a window's
        first, final frame: :class:`ShotPass`) whose camera is ``matrix``, not from the
        reference; the reference's camera stays the anchor of what is still.
    switches : key -> (far, keep) of frames outside ``order`` that switched (earlier
        windows): they count for the clearest switch of the second round; this call's
        switches are added to it.

    Returns
    -------
    alignments : a new dict.
    """
    out = dict(alignments)
    start, first = (reference, np.eye(3)) if anchor is None else anchor
    if start not in order:
        return out
    limit = threshold * solver.width
    r = order.index(start)
    still = np.eye(3)

    passes = [[k for k in seq[1:] if k in out] for seq in (order[r:], order[r::-1])]

    def sweep(propose) -> None:
        """Outwards from the reference (or the anchor): ``propose(k, current, starts)`` (a new
        :class:`Alignment` or None) for each frame that moved off the previous frame's camera."""
        for keys in passes:
            previous = first
            for i, k in enumerate(keys):
                current = out[k]
                if corner_error(current.matrix, previous, size=solver.size) > limit:
                    starts = [previous, still, *([out[keys[i + 1]].matrix] if i + 1 < len(keys) else [])]
                    taken = propose(k, current, starts)
                    if taken is not None:
                        out[k] = taken
                previous = out[k].matrix

    # 1. per frame: the set's hypothesis where the solve also walked off the reference's camera
    # key -> (far, keep) of the frames that took the set's hypothesis
    found: dict = {} if switches is None else switches

    def own_hypothesis(k, current: Alignment, starts: list) -> Alignment | None:
        far = corner_error(current.matrix, still, size=solver.size)
        if k in found or far <= SET_MIN_WALK * limit:
            return None
        levels = _candidate_levels(solver, current, read, k)
        hyp = set_hypothesis(solver, levels, current.matrix, starts)
        if hyp is None or not _stiller(solver, levels, hyp[0], current.matrix, far, hyp[1]):
            return None
        taken = _resolve_on(solver, read(k), current, hyp[0], hyp[1], far)
        if taken is not None:
            found[k] = (far, hyp[1])
        return taken

    sweep(own_hypothesis)
    if not found or rounds < 2:
        return out
    # 2. the shot: the set's detail that the clearest switch aligned (the frame whose
    # solve had walked farthest) is the set in every frame: re-solve the others on it
    keep = max(found.values(), key=lambda f: f[0])[1]

    def on_the_set(k, current: Alignment, starts: list) -> Alignment | None:
        if k in found:
            return None
        levels = _candidate_levels(solver, current, read, k)
        m = _best_on(solver, levels, current.matrix, starts, keep)
        far = corner_error(current.matrix, still, size=solver.size)
        if m is None or not _stiller(solver, levels, m, current.matrix, far + limit, keep, ratio=1.0):
            return None
        return _resolve_on(solver, read(k), current, m, keep, far + limit, ratio=1.0)

    sweep(on_the_set)
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
    not, and not much costlier by the candidate cost (:data:`SET_COST_FACTOR`)."""
    near = corner_error(m, np.eye(3), size=solver.size)
    if near > ratio * far or near > SET_STILL * solver.width:
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
        med = median(v)
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
    the one that aligns it best (:func:`masked_costs`) is returned.

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
