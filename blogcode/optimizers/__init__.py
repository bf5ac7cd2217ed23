"""Keras 3 optimizers and optimizer wrappers, one submodule each.

- :mod:`blogcode.optimizers.accumulation`: ``GradientAccumulation`` (chapter "Gradient
  accumulation", book/accumulation.md).
- :mod:`blogcode.optimizers.lookahead` and :mod:`blogcode.optimizers.lazy`: ``Lookahead``
  and ``LazyOptimizer`` (chapter "Two optimizer wrappers", book/lookahead.md).
- :mod:`blogcode.optimizers.radam`: ``RAdam``, which trains DGCNN (book/dgcnn.md).
- :mod:`blogcode.optimizers.wrapper`: what the three wrappers share (delegation to the
  inner optimizer, ``Untracked``).

The optimizers themselves are importable from here; the chapters' helpers (training
loops, demonstrations) from their submodules.
"""

from blogcode.optimizers.accumulation import GradientAccumulation
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead
from blogcode.optimizers.radam import RAdam

__all__ = ["GradientAccumulation", "LazyOptimizer", "Lookahead", "RAdam"]
