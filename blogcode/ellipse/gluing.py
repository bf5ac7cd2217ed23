"""Gluing elliptical sheets into a solid, solved with elliptic integrals.

Used by the chapter "Gluing two elliptical sheets" (``book/ellipse.md``), after
Su Jianlin's article 6818 on kexue.fm (2019-07-21).

Set-up. A flat elliptical sheet with semi-axes ``a`` (along its own x axis) and
``b`` is bent along straight generator lines parallel to its minor axis. Two
such sheets, the second turned by 90 degrees, are glued edge to edge like the
two halves of a tennis ball. In the first octant the common edge is a curve of
length ``l`` (a quarter perimeter) parametrised by arc length ``s``::

    y(s) = h1(s),  z(s) = h2(l - s),  x(s) = integral_0^s sqrt(c(u)) du,
    c(s) = 1 - h1'(s)**2 - h2'(l - s)**2,

where ``h(s)`` is the height of the ellipse at arc length ``s`` counted
counter-clockwise from its vertex ``(a, 0)``. The sheets close into a solid
exactly when ``c(s) >= 0`` on ``[0, l]``; its volume is
``V = 4 * integral_0^l h1(s) h2(l - s) sqrt(c(s)) ds``.

Method (ours, not the article's). With ``x = a cos t``, ``y = b sin t`` the arc
length is an incomplete elliptic integral of the second kind,
``s(t) = b * E(t | 1 - a**2/b**2)`` (SciPy's ``ellipeinc`` accepts the negative
parameter at full precision, and this form has no cancellation near ``t = 0``).
``h(s)`` comes from inverting ``s(t)`` with a safeguarded Newton iteration
(``ds/dt = sqrt(a**2 sin**2 t + b**2 cos**2 t) > 0``); ``h'(s)`` is closed form
in ``t``. ``x(s)`` and ``V`` are composite Gauss-Legendre sums on panels that
are refined geometrically towards both ends, where the integrand changes on
the scale of the end's radius of curvature ``b**2/a``.

Orientation. ``glue`` and ``glue_pair`` require ``a >= b`` for each sheet (bent
so that its long axis curves): for ``a < b`` the criterion is exactly the
negative of the swapped sheet's, ``c_{a,b}(s) = -c_{b,a}(s) <= 0``, so no solid
exists and we raise ``ValueError`` instead of silently swapping.
``EllipseArc`` itself accepts any ``a, b > 0`` so that this can be shown.

``tabulated_glue`` re-creates, in our own code, the article's numerical scheme
(a uniform grid in ``y``, cumulative trapezoids, ``np.interp`` inversion,
finite-difference slopes), for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ellipe, ellipeinc

from blogcode import checks

__all__ = [
    "EllipseArc",
    "GlueResult",
    "quarter_perimeter",
    "scale_to_quarter_perimeter",
    "criterion",
    "glue",
    "glue_pair",
    "pair_min_criterion",
    "gluability_map",
    "end_curvatures",
    "REASONS",
    "tabulated_glue",
    "compare_with_tabulation",
    "PERIMETER_RTOL",
    "CRITERION_TOL",
]

#: ``glue_pair`` refuses sheets whose quarter perimeters differ by more than this (relative).
PERIMETER_RTOL = 1e-9
#: ``c(s)`` above ``-CRITERION_TOL`` counts as non-negative (rounding, e.g. for a circle
#: where ``c`` is identically 0).
CRITERION_TOL = 1e-12

_GL_ORDER = 8
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(_GL_ORDER)
# node values -> Legendre coefficients of the interpolating polynomial
_GL_VINV = np.linalg.inv(np.polynomial.legendre.legvander(_GL_NODES, _GL_ORDER - 1))


#: Sizes and aspect ratios the functions accept: far beyond any sheet, yet small
#: enough that squares and cubes of the sizes (curvatures, volumes) stay finite.
SIZE_RANGE = (1e-100, 1e100)
MAX_ASPECT_RATIO = 1e10


def _check_size(name: str, value) -> float:
    """A float in ``SIZE_RANGE``: ``TypeError`` for a non-number, ``ValueError``
    for NaN, infinities, non-positive or out-of-range sizes, naming the argument."""
    v = checks.positive_real(value, name)
    low, high = SIZE_RANGE
    if not low <= v <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {v!r}")
    return v


def _check_sizes(a_name: str, a, b_name: str, b) -> tuple[float, float]:
    """Both semi-axes checked, and their ratio within ``MAX_ASPECT_RATIO``."""
    a, b = _check_size(a_name, a), _check_size(b_name, b)
    if max(a, b) / min(a, b) > MAX_ASPECT_RATIO:
        raise ValueError(f"{a_name}/{b_name} = {a / b:g} is outside [1/{MAX_ASPECT_RATIO:g}, "
                         f"{MAX_ASPECT_RATIO:g}]: the elliptic functions lose all accuracy there")
    return a, b


def _check_long_axis(a_name: str, a: float, b_name: str, b: float) -> None:
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
    a, b = _check_sizes("a", a, "b", b)
    big, small = max(a, b), min(a, b)
    return float(big * ellipe(1.0 - (small / big) ** 2))


def scale_to_quarter_perimeter(a, b, l):
    """Return ``(k a, k b)`` whose quarter perimeter is ``l`` (same shape, new size)."""
    a, b = _check_sizes("a", a, "b", b)
    l = _check_size("l", l)
    k = l / quarter_perimeter(a, b)
    return a * k, b * k


class EllipseArc:
    """The quarter ellipse ``x = a cos t, y = b sin t``, ``0 <= t <= pi/2``, by arc length.

    ``s`` is counted from the vertex ``(a, 0)`` towards ``(0, b)``; ``h(s)`` is the
    height ``y`` and ``g(s)`` the abscissa ``x``. Any ``a, b > 0`` are accepted.
    """

    def __init__(self, a, b):
        self.a, self.b = _check_sizes("a", a, "b", b)
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


def _as_arc(sheet, names=("a", "b")) -> EllipseArc:
    if isinstance(sheet, EllipseArc):
        return sheet
    if isinstance(sheet, (str, bytes)) or not isinstance(sheet, (tuple, list, np.ndarray)):
        raise TypeError(f"a sheet must be an EllipseArc or a pair ({names[0]}, {names[1]}), "
                        f"got {type(sheet).__name__}")
    if len(sheet) != 2:
        raise ValueError(f"a sheet must be a pair ({names[0]}, {names[1]}), got {len(sheet)} values")
    a, b = sheet
    a, b = _check_sizes(names[0], a, names[1], b)
    return EllipseArc(a, b)


def _criterion_terms(arc1: EllipseArc, arc2: EllipseArc, s):
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
    arc1 = _as_arc(sheet1, ("a1", "b1"))
    arc2 = _as_arc(sheet2, ("a2", "b2"))
    return _criterion_terms(arc1, arc2, s)[0]


@dataclass(frozen=True)
class GlueResult:
    """The glued solid (first octant of its edge curve, ``s`` from 0 to ``l``).

    ``length = x(l)`` is the extent of the solid along ``x``; ``volume`` is the
    whole solid's. ``c(0) = c(l) = 0`` always, so ``min_criterion`` (the minimum
    of ``c`` over ``[0, l]``) is 0 for a pair that glues and negative otherwise;
    ``argmin_s`` is where a negative minimum sits. When the pair does not glue
    (``glues`` is False) ``length``, ``volume`` and ``x`` are NaN.
    """

    sheet1: tuple[float, float]
    sheet2: tuple[float, float]
    l: float
    length: float
    volume: float
    min_criterion: float
    argmin_s: float
    glues: bool
    s: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    c: np.ndarray = field(repr=False)


def _panel_edges(arc1: EllipseArc, arc2: EllipseArc) -> np.ndarray:
    """64 equal panels plus geometric refinement near s = 0 and s = l, on the scale of
    the smallest radius of curvature at the ends (``b**2/a`` or ``a**2/b``)."""
    l = arc1.l
    radii = [arc.b**2 / arc.a for arc in (arc1, arc2)] + [arc.a**2 / arc.b for arc in (arc1, arc2)]
    rho = min(min(radii), l / 4)
    geo = rho * 2.0 ** -np.arange(0, 40)
    geo = geo[geo > 1e-9 * l]
    lin = np.linspace(0, 4 * rho, 9)[1:]
    extra = np.concatenate([geo, l - geo, lin, l - lin])
    base = np.linspace(0.0, l, 65)
    return np.unique(np.concatenate([base, extra[(extra > 0) & (extra < l)]]))


def _partial_weights(u: np.ndarray) -> np.ndarray:
    """Rows ``w(u)`` with ``sum_j w_j f(node_j) = integral_{-1}^{u}`` of the degree-7
    polynomial through the Gauss-Legendre nodes (so ``w(1)`` are the GL weights)."""
    L = np.polynomial.legendre
    q = np.stack([L.legval(u, L.legint(np.eye(_GL_ORDER)[k], lbnd=-1)) for k in range(_GL_ORDER)], axis=-1)
    return q @ _GL_VINV


def _solve(arc1: EllipseArc, arc2: EllipseArc, n: int) -> GlueResult:
    l = arc1.l
    s = np.linspace(0.0, l, n)
    s[-1] = l
    c_out, t1o, t2o = _criterion_terms(arc1, arc2, s)
    y = arc1.b * np.sin(t1o)
    z = arc2.b * np.sin(t2o)
    # exactly c = 0 at the ends (h1'(0) = 1 and h2' = 0 at the top); remove rounding
    c_out[0] = c_out[-1] = 0.0

    edges = _panel_edges(arc1, arc2)
    lo, hi = edges[:-1], edges[1:]
    half = 0.5 * (hi - lo)
    nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * _GL_NODES[None, :]
    c_n, t1n, t2n = _criterion_terms(arc1, arc2, nodes.ravel())
    # the minimum of c over [0, l]: 0 at the ends, or a negative dip at a grid point or node
    all_s = np.concatenate([s, nodes.ravel()])
    all_c = np.concatenate([c_out, c_n])
    k = int(np.argmin(all_c))
    glues = bool(all_c[k] >= -CRITERION_TOL)
    min_c, argmin_s = (0.0, 0.0) if glues else (float(all_c[k]), float(all_s[k]))
    sheets = ((arc1.a, arc1.b), (arc2.a, arc2.b))
    if not glues:
        nan = np.full_like(s, np.nan)
        return GlueResult(*sheets, l, math.nan, math.nan, min_c, argmin_s, False, s, nan, y, z, c_out)

    root = np.sqrt(np.clip(c_n, 0.0, None)).reshape(nodes.shape)
    area = (4.0 * (arc1.b * np.sin(t1n)) * (arc2.b * np.sin(t2n))).reshape(nodes.shape)
    dx = (root * _GL_WEIGHTS).sum(axis=1) * half
    volume = float(((area * root * _GL_WEIGHTS).sum(axis=1) * half).sum())
    # x at the output points: whole panels before the point, plus the part of its own
    # panel, integrating the panel's interpolating polynomial (spectrally accurate)
    x_lo = np.concatenate([[0.0], np.cumsum(dx)])
    j = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, len(lo) - 1)
    u = np.clip((s - lo[j]) / half[j] - 1.0, -1.0, 1.0)
    x = x_lo[j] + half[j] * np.einsum("ij,ij->i", _partial_weights(u), root[j])
    x[0] = 0.0
    x[-1] = x_lo[-1]
    return GlueResult(*sheets, l, float(x_lo[-1]), volume, min_c, argmin_s, True, s, x, y, z, c_out)


def _check_points(n) -> int:
    return checks.integer(n, "n", minimum=3)


def glue(a, b, n: int = 401) -> GlueResult:
    """Glue two identical sheets with semi-axes ``a >= b > 0`` (``a`` is the axis that curves).

    Returns a ``GlueResult`` with ``l`` (quarter perimeter), ``length = x(l)``,
    ``volume``, ``min_criterion`` and the edge curve ``s, x, y, z`` on ``n``
    equally spaced values of ``s``. Raises ``ValueError`` for non-positive, NaN or
    infinite sizes and for ``a < b`` (identical sheets bent along their short
    axis never glue: ``c_{a,b} = -c_{b,a} <= 0``; most likely the sizes were swapped).
    """
    a, b = _check_sizes("a", a, "b", b)
    _check_long_axis("a", a, "b", b)
    n = _check_points(n)
    arc = EllipseArc(a, b)
    return _solve(arc, arc, n)


def glue_pair(sheet1, sheet2, n: int = 401) -> GlueResult:
    """Glue sheet ``(a1, b1)`` to sheet ``(a2, b2)``: ``y = h1(s)``, ``z = h2(l - s)``.

    ``a`` is the semi-axis that curves (the generators run along ``b``). Unlike
    ``glue``, either orientation is accepted, because a sheet bent along its short
    axis (``a < b``) can glue to some other sheets. The quarter perimeters must
    agree to ``PERIMETER_RTOL`` (see ``scale_to_quarter_perimeter``), otherwise
    ``ValueError``. If ``c`` dips below zero the sheets cannot be glued: the
    result has ``glues=False``, a negative ``min_criterion`` at ``argmin_s`` and
    NaN for ``length``, ``volume`` and ``x``.
    """
    arc1 = _as_arc(sheet1, ("a1", "b1"))
    arc2 = _as_arc(sheet2, ("a2", "b2"))
    n = _check_points(n)
    if abs(arc1.l - arc2.l) > PERIMETER_RTOL * max(arc1.l, arc2.l):
        raise ValueError(
            f"sheet1 and sheet2 have different quarter perimeters ({arc1.l!r} vs {arc2.l!r}); "
            "scale one with scale_to_quarter_perimeter first"
        )
    return _solve(arc1, arc2, n)


def end_curvatures(a, b) -> tuple[float, float]:
    """Curvature of the quarter ellipse at its start ``(a, 0)`` and at its end ``(0, b)``:
    ``(a / b**2, b / a**2)``."""
    a, b = _check_sizes("a", a, "b", b)
    return a / b**2, b / a**2


#: Codes returned by ``gluability_map`` for each pair of shapes.
REASONS = {
    0: "glues (c >= 0 on [0, l])",
    1: "fails near s = 0: sheet 1 starts flatter than sheet 2 ends (a1/b1^2 < b2/a2^2)",
    2: "fails near s = l: sheet 2 starts flatter than sheet 1 ends (a2/b2^2 < b1/a1^2)",
    3: "fails at both ends",
    4: "fails inside (0, l) although both end conditions hold",
}


def pair_min_criterion(sheet1, sheet2, n: int = 801) -> tuple[float, float]:
    """``(min c, s/l at the minimum)`` over ``[0, l]`` for two sheets in any orientation,
    the second rescaled to the first's quarter perimeter. The minimum is 0 (at
    ``s/l = 0``) when the pair glues."""
    arc1 = _as_arc(sheet1, ("a1", "b1"))
    arc2 = _as_arc(sheet2, ("a2", "b2"))
    arc2 = EllipseArc(*scale_to_quarter_perimeter(arc2.a, arc2.b, arc1.l))
    s = np.linspace(0.0, arc1.l, _check_points(n))[1:-1]
    c = _criterion_terms(arc1, arc2, s)[0]
    k = int(np.argmin(c))
    if c[k] >= -CRITERION_TOL:
        return 0.0, 0.0
    return float(c[k]), float(s[k] / arc1.l)


def gluability_map(ratios, n: int = 401):
    """Which pairs of shapes glue. ``ratios`` are shapes ``q = b/a`` (``q > 1``: bent
    along the short axis); both sheets are scaled to quarter perimeter 1.

    Returns ``(min_c, where, reason)``, square arrays indexed ``[i2, i1]`` (sheet 1
    along columns): the minimum of ``c`` over ``[0, l]`` (0 when the pair glues),
    ``s/l`` at a negative minimum, and a code of ``REASONS``. The end conditions
    come from ``c(s) ~ (k1(0)**2 - k2(l)**2) s**2`` near ``s = 0`` (``k`` the
    curvature) and its mirror image near ``s = l``.
    """
    if ratios is None or isinstance(ratios, (str, bytes)):
        raise TypeError(f"ratios must be an array of numbers, got {type(ratios).__name__}")
    try:
        r = np.asarray(ratios, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"ratios must be an array of numbers, got {ratios!r}") from None
    if r.ndim != 1 or r.size == 0 or np.any(~np.isfinite(r)) or np.any(r <= 0):
        raise ValueError("ratios must be a non-empty 1-D array of positive finite numbers")
    sizes = [scale_to_quarter_perimeter(1.0, float(q), 1.0) for q in r]
    arcs = [EllipseArc(a, b) for a, b in sizes]
    ends = [end_curvatures(a, b) for a, b in sizes]
    k = len(r)
    min_c = np.zeros((k, k))
    where = np.zeros((k, k))
    reason = np.zeros((k, k), dtype=int)
    for i1 in range(k):
        for i2 in range(k):
            m, w = pair_min_criterion(arcs[i1], arcs[i2], n=n)
            min_c[i2, i1], where[i2, i1] = m, w
            if m < -CRITERION_TOL:
                start_bad = ends[i1][0] < ends[i2][1] * (1 - 1e-12)
                end_bad = ends[i2][0] < ends[i1][1] * (1 - 1e-12)
                reason[i2, i1] = 3 if (start_bad and end_bad) else 1 if start_bad else 2 if end_bad else 4
    return min_c, where, reason


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
    a, b = _check_sizes("a", a, "b", b)
    _check_long_axis("a", a, "b", b)
    step = _check_size("step", step)
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


def compare_with_tabulation(a=2.0, b=1.0, step: float = 1e-6, repeat: int = 5, n: int = 401) -> dict:
    """Time ``glue`` and ``tabulated_glue`` side by side (best of ``repeat`` runs each,
    interleaved) and give the tabulation's relative errors against ``glue``.

    Returns a dict with ``exact`` and ``tabulated`` (the results), ``time_exact``,
    ``time_tabulated`` (seconds), ``speedup`` and ``errors`` (relative errors of
    ``l``, ``length`` and ``volume``).
    """
    import time

    repeat = checks.positive_int(repeat, "repeat")
    times_exact, times_tab = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        exact = glue(a, b, n=n)
        times_exact.append(time.perf_counter() - start)
        start = time.perf_counter()
        tab = tabulated_glue(a, b, step=step)
        times_tab.append(time.perf_counter() - start)
    errors = {
        name: getattr(tab, name) / getattr(exact, name) - 1.0 for name in ("l", "length", "volume")
    }
    return {
        "exact": exact,
        "tabulated": tab,
        "time_exact": min(times_exact),
        "time_tabulated": min(times_tab),
        "speedup": min(times_tab) / min(times_exact),
        "errors": errors,
    }
