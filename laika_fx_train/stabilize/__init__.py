"""Camera alignment: synthetic pairs and shots, the coarse aligner's net and training, evaluation.

- :mod:`.data` -- synthetic pairs from the photo registry
- :mod:`.nets` -- ``CoarseAlignerNet`` (torch)
- :mod:`.train` -- training and export through the ship flow
- :mod:`.evaluate` -- ``laika-fx eval stabilize``: synthetic shots vs ECC, ORB+RANSAC, vidstab
"""
