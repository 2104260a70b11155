"""Camera stabilisation: solve each frame's transform to a reference still, robust to a
moving puppet, smooth the path and warp the frames.

The solve, one idea per module (matrices map moving-frame pixel coordinates to
reference-frame pixel coordinates, see :mod:`.motion`):

- :mod:`.motion` - motion models, (3, 3) matrices, corner error, pyramid scale matrices
- :mod:`.proxies` - grayscale proxies, the pyramid, contrast-normalised and sampling images
- :mod:`.cost` - the robust, mask-independent cell-median cost and its verification ratio
- :mod:`.starts` - starting points (identity, learned guess, shift searches), verified by the cost
- :mod:`.static_set` - the static set: what does not move against the camera
- :mod:`.refine` - sparse inverse-compositional Gauss-Newton at one pyramid level
- :mod:`.solver` - :class:`~.solver.CameraSolver`: one frame against the reference
- :mod:`.shot` - :func:`~.shot.refine_shot`: re-solve frames that disagree with their neighbours,
  and :func:`~.shot.follow_set`: keep the camera on the set under a walking puppet

Around it: :mod:`.coarse` (the learned coarse aligner, OpenVINO), :mod:`.workers` (solves
in worker processes), :mod:`.smooth` (the camera path), :mod:`.warp` (warping and
borders) and :mod:`.plugin` (the ``stabilize`` plugin that runs them).
"""
