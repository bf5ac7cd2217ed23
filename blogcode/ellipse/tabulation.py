"""The article's tabulation scheme, re-created in our own code, for comparison.

Part of the chapter "Gluing two elliptical sheets" (``book/ellipse.md``): a uniform
grid in ``y``, cumulative trapezoids, ``np.interp`` inversion and finite-difference
slopes, as the article computes the solid; :mod:`blogcode.ellipse.experiments`
times it against :func:`blogcode.ellipse.gluing.glue`.
"""

from __future__ import annotations

import numpy as np

from blogcode.ellipse.arc import check_long_axis, check_size, check_sizes
from blogcode.ellipse.gluing import GlueResult

__all__ = ["tabulated_glue"]


def tabulated_glue(a, b, step: float = 1e-6) -> GlueResult:
    """The article's tabulation scheme, re-created in our own code, for comparison.

    A uniform grid ``y = 0, step, 2 step, ... < b``; ``s(y)`` by cumulative
    trapezoids of ``ds/dy = sqrt(1 + a**2 y**2 / (b**2 (b**2 - y**2)))``;
    ``z = h(l - s)`` by ``np.interp`` in the table; slopes by finite differences at
    midpoints interpolated back to the grid; ``c`` clipped at 0 before the square
    root; ``x`` and ``V`` by cumulative trapezoids in ``s``. The grid stops short
    of the integrable singularity of ``ds/dy`` at ``y = b``, which is why its
    ``l`` is about 0.1 % short for ``step = 1e-6``.
    """
    a, b = check_sizes("a", a, "b", b)
    check_long_axis("a", a, "b", b)
    step = check_size("step", step)
    if step >= b / 4:
        raise ValueError(f"step={step!r} is too coarse for b={b!r}")

    def cumtrap(f, u):
        return np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(u))])

    def slope(f, u):
        mid = 0.5 * (u[1:] + u[:-1])
        return np.interp(u, mid, np.diff(f) / np.diff(u))

    y = np.arange(0.0, b, step)
    dsdy = np.sqrt(1.0 + (a * y) ** 2 / (b**2 * (b**2 - y**2)))
    s = cumtrap(dsdy, y)
    l = float(s[-1])
    z = np.interp(l - s, s, y)
    c = 1.0 - slope(y, s) ** 2 - slope(z, s) ** 2
    root = np.sqrt(np.clip(c, 0.0, None))
    x = cumtrap(root, s)
    volume = float(cumtrap(4.0 * y * z * root, s)[-1])
    k = int(np.argmin(c))
    glues = bool(c[k] > -10.0 * step)  # the article's tolerance: ten grid steps
    return GlueResult((a, b), (a, b), l, float(x[-1]), volume, float(c[k]), float(s[k]), glues, s, x, y, z, c)
