"""Shared helpers of the nn-basics course.

Only what two or more notebooks share lives here: data loading
(:mod:`utils.data`), device, seeding and the fast-mode flag
(:mod:`utils.device`) and plotting (:mod:`utils.plotting`).
Nothing here imports PyTorch or TensorFlow at import time, so a notebook of
one track never loads the other framework.
"""
