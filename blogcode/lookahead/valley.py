"""Lookahead on a narrow valley, in NumPy: the reference path of the chapter
"Two optimizer wrappers: Lookahead and LazyOptimizer" (``book/lookahead.md``).

On ``f(x, y) = (x² + 25 y²) / 2`` ``lookahead_path`` runs Lookahead(k, alpha) around
SGD with momentum with the same update rules as
``blogcode.optimizers.lookahead.Lookahead`` around ``keras.optimizers.SGD`` with
momentum and ``momentum="keep"`` (a unit test checks that the two agree), so that
every case of the explorer costs microseconds.
"""

from __future__ import annotations

import numpy as np

from blogcode import checks

__all__ = ["START", "valley_loss", "lookahead_path"]

#: Where every path of the chapter starts.
START = (-4.0, 1.2)


def valley_loss(w) -> float:
    """The chapter's loss surface ``(x² + 25 y²) / 2`` at ``w = (x, y)``."""
    w = np.asarray(w, dtype=float)
    return float(0.5 * (w[0] ** 2 + 25.0 * w[1] ** 2))


def _check(k, alpha, start, steps, learning_rate, momentum):
    checks.positive_int(k, "k")
    checks.real(alpha, "alpha", minimum=0.0, maximum=1.0, exclusive_minimum=True)
    checks.positive_int(steps, "steps")
    checks.positive_real(learning_rate, "learning_rate")
    checks.real(momentum, "momentum", minimum=0.0, maximum=1.0, exclusive_maximum=True)
    if start is None or isinstance(start, (str, bytes)) or len(np.shape(start)) != 1:
        raise TypeError(f"start must be a pair of numbers (x, y), got {type(start).__name__}")
    if len(start) != 2:
        raise ValueError(f"start must be two numbers (x, y), got {len(start)}")
    return np.array([checks.real(v, "start[]") for v in start])


def lookahead_path(k: int, alpha: float, *, start=START, steps: int = 40,
                   learning_rate: float = 0.03, momentum: float = 0.9):
    """Fast weights after every step (``steps + 1`` rows, the start first) and slow
    weights at the start and after every synchronisation, for Lookahead(k, alpha)
    around SGD with momentum on ``valley_loss``. ``k = 1, alpha = 1`` is plain SGD
    with momentum. The momentum is kept at a synchronisation (``momentum="keep"``)."""
    w = _check(k, alpha, start, steps, learning_rate, momentum).copy()
    scale = np.array([1.0, 25.0])  # gradient of the valley: (x, 25 y)
    velocity = np.zeros(2)
    slow = w.copy()
    fast_path, slow_path = [w.copy()], [slow.copy()]
    for t in range(1, steps + 1):
        velocity = momentum * velocity - learning_rate * scale * w  # Keras SGD's momentum rule
        w = w + velocity
        if t % k == 0:
            slow = slow + alpha * (w - slow)
            w = slow.copy()
            slow_path.append(slow.copy())
        fast_path.append(w.copy())
    return np.array(fast_path), np.array(slow_path)
