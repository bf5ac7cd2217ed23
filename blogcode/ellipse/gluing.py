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

Method (ours, not the article's). ``h(s)`` and ``h'(s)`` come from
:class:`blogcode.ellipse.arc.EllipseArc` (elliptic integrals, inverted by Newton's
method). ``x(s)`` and ``V`` are composite Gauss-Legendre sums on panels that
are refined geometrically towards both ends, where the integrand changes on
the scale of the end's radius of curvature ``b**2/a``.

Orientation. ``glue`` and ``glue_pair`` require ``a >= b`` for each sheet (bent
so that its long axis curves): for ``a < b`` the criterion is exactly the
negative of the swapped sheet's, ``c_{a,b}(s) = -c_{b,a}(s) <= 0``, so no solid
exists and we raise ``ValueError`` instead of silently swapping.
``EllipseArc`` itself accepts any ``a, b > 0`` so that this can be shown.

:func:`gluability_map` tells which pairs of shapes glue. The article's own
tabulation scheme is re-created in :mod:`blogcode.ellipse.tabulation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from blogcode import checks
from blogcode.ellipse.arc import (EllipseArc, as_arc, check_long_axis, check_sizes, criterion_terms, end_curvatures,
                                  scale_to_quarter_perimeter)

__all__ = [
    "GlueResult",
    "glue",
    "glue_pair",
    "solve_glue",
    "pair_min_criterion",
    "gluability_map",
    "REASONS",
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


def solve_glue(arc1: EllipseArc, arc2: EllipseArc, n: int) -> GlueResult:
    """The solid of two checked arcs of equal quarter perimeter, edge sampled at ``n`` points
    (``glues=False`` with NaN ``length``, ``volume`` and ``x`` when ``c`` dips below 0)."""
    l = arc1.l
    s = np.linspace(0.0, l, n)
    s[-1] = l
    c_out, t1o, t2o = criterion_terms(arc1, arc2, s)
    y = arc1.b * np.sin(t1o)
    z = arc2.b * np.sin(t2o)
    # exactly c = 0 at the ends (h1'(0) = 1 and h2' = 0 at the top); remove rounding
    c_out[0] = c_out[-1] = 0.0

    edges = _panel_edges(arc1, arc2)
    lo, hi = edges[:-1], edges[1:]
    half = 0.5 * (hi - lo)
    nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * _GL_NODES[None, :]
    c_n, t1n, t2n = criterion_terms(arc1, arc2, nodes.ravel())
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


def glue(a, b, n: int = 401) -> GlueResult:
    """Glue two identical sheets with semi-axes ``a >= b > 0`` (``a`` is the axis that curves).

    Returns a ``GlueResult`` with ``l`` (quarter perimeter), ``length = x(l)``,
    ``volume``, ``min_criterion`` and the edge curve ``s, x, y, z`` on ``n``
    equally spaced values of ``s``. Raises ``ValueError`` for non-positive, NaN or
    infinite sizes and for ``a < b`` (identical sheets bent along their short
    axis never glue: ``c_{a,b} = -c_{b,a} <= 0``; most likely the sizes were swapped).
    """
    a, b = check_sizes("a", a, "b", b)
    check_long_axis("a", a, "b", b)
    n = checks.integer(n, "n", minimum=3)
    arc = EllipseArc(a, b)
    return solve_glue(arc, arc, n)


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
    arc1 = as_arc(sheet1, ("a1", "b1"))
    arc2 = as_arc(sheet2, ("a2", "b2"))
    n = checks.integer(n, "n", minimum=3)
    if abs(arc1.l - arc2.l) > PERIMETER_RTOL * max(arc1.l, arc2.l):
        raise ValueError(
            f"sheet1 and sheet2 have different quarter perimeters ({arc1.l!r} vs {arc2.l!r}); "
            "scale one with scale_to_quarter_perimeter first"
        )
    return solve_glue(arc1, arc2, n)


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
    arc1 = as_arc(sheet1, ("a1", "b1"))
    arc2 = as_arc(sheet2, ("a2", "b2"))
    arc2 = EllipseArc(*scale_to_quarter_perimeter(arc2.a, arc2.b, arc1.l))
    s = np.linspace(0.0, arc1.l, checks.integer(n, "n", minimum=3))[1:-1]
    c = criterion_terms(arc1, arc2, s)[0]
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
