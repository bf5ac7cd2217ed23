"""Argument checks shared by several modules (the DGCNN and Lookahead chapters' code).

Bad input must fail early with a message that names the argument.
"""

from __future__ import annotations

import numpy as np

__all__ = ["positive_int"]


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1; ``TypeError`` for a non-integer (bools included),
    ``ValueError`` for zero or a negative number, both naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)
