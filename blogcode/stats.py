"""Summaries over seeds, for the recorded runs of every chapter.

A claim that one setting beats another rests on several seeds; the chapters show
their mean and spread. Used by the ``experiments`` modules of the chapters with
recorded runs (first: "Gradient accumulation", ``book/accumulation.md``).
"""

from __future__ import annotations

import numpy as np

from blogcode import checks

__all__ = ["seed_spread"]


def seed_spread(values) -> dict:
    """``{"mean", "std", "min", "max"}`` of one number per seed (``std`` is the
    sample standard deviation, 0 for a single seed)."""
    values = np.asarray(checks.nonempty(values, "values"), dtype=np.float64)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise ValueError("values must be one finite number per seed")
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "min": float(values.min()), "max": float(values.max())}
