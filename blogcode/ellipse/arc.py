"""The quarter ellipse by arc length, and the gluing criterion ``c(s)``.

Part of the chapter "Gluing two elliptical sheets" (``book/ellipse.md``), after
Su Jianlin's article 6818 on kexue.fm (2019-07-21); the solid itself is glued in
:mod:`blogcode.ellipse.gluing`.

Method (ours, not the article's). With ``x = a cos t``, ``y = b sin t`` the arc
length is an incomplete elliptic integral of the second kind,
``s(t) = b * E(t | 1 - a**2/b**2)`` (SciPy's ``ellipeinc`` accepts the negative
parameter at full precision, and this form has no cancellation near ``t = 0``).
``h(s)`` comes from inverting ``s(t)`` with a safeguarded Newton iteration
(``ds/dt = sqrt(a**2 sin**2 t + b**2 cos**2 t) > 0``); ``h'(s)`` is closed form
in ``t``. ``EllipseArc`` accepts any ``a, b > 0`` (a sheet bent along its short
axis has ``a < b``).

The criterion of two sheets is ``c(s) = 1 - h1'(s)**2 - h2'(l - s)**2``
(:func:`criterion`, computed by :func:`criterion_terms` without cancellation).
The size checks (:func:`check_size`, :func:`check_sizes`, :func:`check_long_axis`,
:func:`as_arc`) are shared by the other modules of the chapter.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ellipe, ellipeinc

from blogcode import checks

__all__ = [
    "EllipseArc",
    "quarter_perimeter",
    "scale_to_quarter_perimeter",
    "end_curvatures",
    "criterion",
    "criterion_terms",
    "as_arc",
    "check_size",
    "check_sizes",
    "check_long_axis",
    "SIZE_RANGE",
    "MAX_ASPECT_RATIO",
]

#: Sizes and aspect ratios the functions accept: far beyond any sheet, yet small
#: enough that squares and cubes of the sizes (curvatures, volumes) stay finite.
SIZE_RANGE = (1e-100, 1e100)
MAX_ASPECT_RATIO = 1e10


def check_size(name: str, value) -> float:
    """A float in ``SIZE_RANGE``: ``TypeError`` for a non-number, ``ValueError``
    for NaN, infinities, non-positive or out-of-range sizes, naming the argument."""
    v = checks.positive_real(value, name)
    low, high = SIZE_RANGE
    if not low <= v <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {v!r}")
    return v


def check_sizes(a_name: str, a, b_name: str, b) -> tuple[float, float]:
    """Both semi-axes checked, and their ratio within ``MAX_ASPECT_RATIO``."""
    a, b = check_size(a_name, a), check_size(b_name, b)
    if max(a, b) / min(a, b) > MAX_ASPECT_RATIO:
        raise ValueError(f"{a_name}/{b_name} = {a / b:g} is outside [1/{MAX_ASPECT_RATIO:g}, "
                         f"{MAX_ASPECT_RATIO:g}]: the elliptic functions lose all accuracy there")
    return a, b


def check_long_axis(a_name: str, a: float, b_name: str, b: float) -> None:
    """``ValueError`` unless ``a >= b``: a sheet is bent so that its long axis curves."""
    if a < b:
        raise ValueError(
            f"{a_name}={a!r} < {b_name}={b!r}: a sheet must be bent so that its long axis "
            f"curves ({a_name} >= {b_name}); the other way round the criterion is "
            f"c(s) = -c_swapped(s) <= 0 and no solid exists. Swap the two sizes."
        )


def quarter_perimeter(a, b) -> float:
    """Quarter perimeter ``l = a E(1 - b**2/a**2)`` of the ellipse with semi-axes ``a, b``.

    Symmetric in ``a`` and ``b`` (it is a property of the curve, not of how the
    sheet is bent). Raises ``ValueError`` for non-positive, NaN or infinite sizes.
    """
    a, b = check_sizes("a", a, "b", b)
    big, small = max(a, b), min(a, b)
    return float(big * ellipe(1.0 - (small / big) ** 2))


def scale_to_quarter_perimeter(a, b, l):
    """Return ``(k a, k b)`` whose quarter perimeter is ``l`` (same shape, new size)."""
    a, b = check_sizes("a", a, "b", b)
    l = check_size("l", l)
    k = l / quarter_perimeter(a, b)
    return a * k, b * k


class EllipseArc:
    """The quarter ellipse ``x = a cos t, y = b sin t``, ``0 <= t <= pi/2``, by arc length.

    ``s`` is counted from the vertex ``(a, 0)`` towards ``(0, b)``; ``h(s)`` is the
    height ``y`` and ``g(s)`` the abscissa ``x``. Any ``a, b > 0`` are accepted.
    """

    def __init__(self, a, b):
        self.a, self.b = check_sizes("a", a, "b", b)
        self._m = 1.0 - (self.a / self.b) ** 2  # may be negative: fine for ellipeinc
        self.l = float(self.b * ellipe(self._m))
        # a coarse table of s(t) and dt/ds for cubic Hermite starting guesses
        self._t_table = np.linspace(0.0, np.pi / 2, 257)
        self._s_table = self.s_of_t(self._t_table)
        self._dt_table = 1.0 / self.speed(self._t_table)

    def __repr__(self) -> str:
        return f"EllipseArc(a={self.a!r}, b={self.b!r})"

    def s_of_t(self, t):
        """Arc length from ``(a, 0)`` to parameter ``t``: ``b E(t | 1 - a**2/b**2)``."""
        return self.b * ellipeinc(np.asarray(t, dtype=float), self._m)

    def speed(self, t):
        """``ds/dt = sqrt(a**2 sin**2 t + b**2 cos**2 t)``."""
        t = np.asarray(t, dtype=float)
        return np.hypot(self.a * np.sin(t), self.b * np.cos(t))

    def t_of_s(self, s, *, max_iter: int = 50):
        """Invert ``s(t)``: safeguarded Newton iteration, vectorised over ``s``."""
        s = np.asarray(s, dtype=float)
        if np.any(~np.isfinite(s)):
            raise ValueError("s must be finite")
        tol_s = 1e-8 * self.l
        if np.any(s < -tol_s) or np.any(s > self.l + tol_s):
            raise ValueError(f"s must lie in [0, l] = [0, {self.l!r}]")
        s = np.clip(s, 0.0, self.l)
        t = self._guess(s)
        lo = np.zeros_like(t)
        hi = np.full_like(t, np.pi / 2)
        for _ in range(max_iter):
            f = self.s_of_t(t) - s
            lo = np.where(f <= 0, t, lo)
            hi = np.where(f >= 0, t, hi)
            if np.max(np.abs(f), initial=0.0) <= 4 * np.finfo(float).eps * self.l:
                break  # the residual is at rounding level: t is as good as it gets
            t_new = t - f / self.speed(t)
            outside = (t_new < lo) | (t_new > hi)
            t_new = np.where(outside, 0.5 * (lo + hi), t_new)
            done = np.max(np.abs(t_new - t), initial=0.0) <= 4e-16 * np.pi
            t = t_new
            if done:
                break
        else:  # pragma: no cover - not reached for valid input
            raise RuntimeError("Newton inversion of s(t) did not converge")
        return t

    def _guess(self, s):
        """Cubic Hermite interpolation of t(s) in the table (error ~1e-9 for a = 2, b = 1)."""
        k = np.clip(np.searchsorted(self._s_table, s, side="right") - 1, 0, len(self._s_table) - 2)
        s0, s1 = self._s_table[k], self._s_table[k + 1]
        w = s1 - s0
        u = (s - s0) / w
        h00 = (1 + 2 * u) * (1 - u) ** 2
        h10 = u * (1 - u) ** 2
        h01 = u**2 * (3 - 2 * u)
        h11 = u**2 * (u - 1)
        t = (h00 * self._t_table[k] + h10 * w * self._dt_table[k]
             + h01 * self._t_table[k + 1] + h11 * w * self._dt_table[k + 1])
        return np.clip(t, 0.0, np.pi / 2)

    def h(self, s):
        """Height ``y = h(s)``."""
        return self.b * np.sin(self.t_of_s(s))

    def g(self, s):
        """Abscissa ``x = g(s)``."""
        return self.a * np.cos(self.t_of_s(s))

    def dh(self, s):
        """``h'(s) = b cos t / sqrt(a**2 sin**2 t + b**2 cos**2 t)``."""
        t = self.t_of_s(s)
        return self.b * np.cos(t) / self.speed(t)

    def turning(self, s):
        """Angle ``theta(s)`` through which the tangent has turned since ``(a, 0)``:
        ``atan2(a sin t, b cos t)``, so ``h'(s) = cos theta`` and ``g'(s) = -sin theta``;
        ``theta(0) = 0`` and ``theta(l) = pi/2``."""
        t = self.t_of_s(s)
        return np.arctan2(self.a * np.sin(t), self.b * np.cos(t))

    def dg(self, s):
        """``g'(s) = -a sin t / sqrt(a**2 sin**2 t + b**2 cos**2 t)``."""
        t = self.t_of_s(s)
        return -self.a * np.sin(t) / self.speed(t)


def end_curvatures(a, b) -> tuple[float, float]:
    """Curvature of the quarter ellipse at its start ``(a, 0)`` and at its end ``(0, b)``:
    ``(a / b**2, b / a**2)``."""
    a, b = check_sizes("a", a, "b", b)
    return a / b**2, b / a**2


def as_arc(sheet, names=("a", "b")) -> EllipseArc:
    """``sheet`` as an :class:`EllipseArc`: an arc itself or a checked pair of sizes named ``names``."""
    if isinstance(sheet, EllipseArc):
        return sheet
    if isinstance(sheet, (str, bytes)) or not isinstance(sheet, (tuple, list, np.ndarray)):
        raise TypeError(f"a sheet must be an EllipseArc or a pair ({names[0]}, {names[1]}), "
                        f"got {type(sheet).__name__}")
    if len(sheet) != 2:
        raise ValueError(f"a sheet must be a pair ({names[0]}, {names[1]}), got {len(sheet)} values")
    a, b = sheet
    a, b = check_sizes(names[0], a, names[1], b)
    return EllipseArc(a, b)


def criterion_terms(arc1: EllipseArc, arc2: EllipseArc, s):
    """``(c, t1, t2)`` at ``s``, with ``c = g1'(s)**2 - h2'(l - s)**2`` (no cancellation
    against 1) and the parameters ``t1 = t1(s)``, ``t2 = t2(l - s)``."""
    s = np.asarray(s, dtype=float)
    t1 = arc1.t_of_s(s)
    t2 = arc2.t_of_s(arc1.l - s)
    g1 = arc1.a * np.sin(t1) / arc1.speed(t1)  # |g1'(s)|, and 1 - h1'(s)**2 = g1'(s)**2
    h2 = arc2.b * np.cos(t2) / arc2.speed(t2)  # h2'(l - s)
    return (g1 - h2) * (g1 + h2), t1, t2


def criterion(sheet1, sheet2, s):
    """``c(s) = 1 - h1'(s)**2 - h2'(l - s)**2`` for sheets ``(a1, b1)`` and ``(a2, b2)``.

    Either sheet may also be an ``EllipseArc``; any orientation is accepted.
    Uses the first sheet's ``l``.
    """
    arc1 = as_arc(sheet1, ("a1", "b1"))
    arc2 = as_arc(sheet2, ("a2", "b2"))
    return criterion_terms(arc1, arc2, s)[0]
