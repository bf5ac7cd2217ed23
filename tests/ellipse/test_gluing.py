"""Tests of blogcode.ellipse.gluing (chapter "Gluing two elliptical sheets").

The reference values come from an independent mpmath computation written here:
the quarter perimeter by tanh-sinh quadrature of the speed, the arc length in the
other closed form ``a [E(m) - E(pi/2 - t | m)]`` with ``m = 1 - b**2/a**2``
(mpmath's own elliptic integrals), and x(l), V as integrals over the parameter
``t1`` of sheet 1 instead of over ``s``.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from blogcode.ellipse.arc import (EllipseArc, criterion, end_curvatures, quarter_perimeter,
                                  scale_to_quarter_perimeter)
from blogcode.ellipse.gluing import gluability_map, glue, glue_pair, pair_min_criterion


def mp_reference(sheet1, sheet2=None, dps=17):
    """(l, x(l), V) with mpmath, independently of SciPy and of the module's method."""
    sheet2 = sheet2 or sheet1
    with mp.workdps(dps):
        a1, b1, a2, b2 = (mp.mpf(v) for v in (*sheet1, *sheet2))
        zero = mp.mpf(0)

        def speed(a, b, t):
            return mp.sqrt((a * mp.sin(t)) ** 2 + (b * mp.cos(t)) ** 2)

        def s_of(a, b, t):
            m = 1 - (b / a) ** 2
            return a * (mp.ellipe(m) - mp.ellipe(mp.pi / 2 - t, m))

        l1 = mp.quad(lambda u: speed(a1, b1, u), [0, mp.pi / 2])
        l2 = mp.quad(lambda u: speed(a2, b2, u), [0, mp.pi / 2])
        cache = {}

        def pieces(t1):
            if t1 not in cache:
                s = s_of(a1, b1, t1)
                t2 = mp.pi / 2 * (l1 - s) / l2
                for _ in range(80):
                    dt = (s_of(a2, b2, t2) - (l1 - s)) / speed(a2, b2, t2)
                    t2 = min(max(t2 - dt, zero), mp.pi / 2)
                    if abs(dt) < 16 * mp.eps:
                        break
                sp1, sp2 = speed(a1, b1, t1), speed(a2, b2, t2)
                c = (a1 * mp.sin(t1) / sp1) ** 2 - (b2 * mp.cos(t2) / sp2) ** 2
                root = mp.sqrt(max(c, zero)) * sp1  # sqrt(c) ds/dt1
                cache[t1] = (root, 4 * b1 * mp.sin(t1) * b2 * mp.sin(t2) * root)
            return cache[t1]

        x = mp.quad(lambda t: pieces(t)[0], [0, mp.pi / 4, mp.pi / 2])
        v = mp.quad(lambda t: pieces(t)[1], [0, mp.pi / 4, mp.pi / 2])
        return float(l1), float(x), float(v)


RTOL = 1e-10


@pytest.mark.parametrize("a, b", [(2.0, 1.0), (1.0, 0.3), (3.0, 2.9)])
def test_identical_sheets_match_mpmath(a, b):
    l, x, v = mp_reference((a, b))
    res = glue(a, b)
    assert res.glues and res.min_criterion == 0.0
    assert res.l == pytest.approx(l, rel=RTOL)
    assert res.length == pytest.approx(x, rel=RTOL)
    assert res.volume == pytest.approx(v, rel=RTOL)
    assert res.x[-1] == res.length and res.x[0] == 0.0
    assert np.all(np.diff(res.x) >= 0)


def test_the_articles_example_values():
    """a = 2, b = 1: pinned to 10 digits (mpmath values, computed once)."""
    res = glue(2, 1)
    assert res.l == pytest.approx(2.422112055136919, rel=1e-12)
    assert res.length == pytest.approx(1.5697573788407435, rel=1e-11)
    assert res.volume == pytest.approx(3.167463591858093, rel=1e-11)


@pytest.mark.parametrize(
    "sheet1, partner",
    [
        ((2.0, 1.0), (1.0, 1.0)),  # ellipse + circle
        ((1.0, 1.5), (1.0, 0.4)),  # a < b: allowed in glue_pair
    ],
    ids=["ellipse-circle", "short-axis-sheet"],
)
def test_pairs_match_mpmath(sheet1, partner):
    sheet2 = scale_to_quarter_perimeter(*partner, quarter_perimeter(*sheet1))
    l, x, v = mp_reference(sheet1, sheet2)
    res = glue_pair(sheet1, sheet2)
    assert res.glues
    assert (res.l, res.length, res.volume) == pytest.approx((l, x, v), rel=RTOL)


def test_circle_is_flat_and_short_axis_bending_is_the_negative():
    res = glue(1.5, 1.5)
    assert res.glues and np.max(np.abs(res.c)) < 1e-13
    assert res.length < 1e-6 and res.volume < 1e-6
    s = np.linspace(0, EllipseArc(2, 1).l, 301)
    assert np.allclose(criterion((1, 2), (1, 2), s), -criterion((2, 1), (2, 1), s), atol=1e-14)
    # a sheet glued to its own turned copy: c = 0 identically
    assert np.max(np.abs(criterion((2, 1), (1, 2), s))) < 1e-13


def test_pair_that_does_not_glue():
    res = glue_pair((1.0, 2.0), (1.0, 2.0))
    assert not res.glues
    assert res.min_criterion < -0.1 and 0 < res.argmin_s < res.l
    assert math.isnan(res.length) and math.isnan(res.volume) and np.all(np.isnan(res.x))


def test_gluability_map_properties():
    q = np.array([0.3, 0.6, 1.0, 1.7, 3.0])
    min_c, where, reason = gluability_map(q, n=201)
    assert np.all(np.diag(min_c)[:3] == 0.0)  # identical sheets with a >= b glue
    assert np.all(np.diag(min_c)[3:] < 0)  # identical sheets bent along the short axis do not
    assert np.allclose(min_c, min_c.T, atol=1e-12)  # swapping the sheets mirrors s
    product = q[None, :] * q[:, None]
    assert np.all((reason == 0) == (product <= 1 + 1e-12))
    assert set(np.unique(reason)) <= {0, 3}
    assert pair_min_criterion((2, 1), (7, 5)) == (0.0, 0.0)


def test_mismatched_quarter_perimeters_raise():
    with pytest.raises(ValueError, match="quarter perimeters"):
        glue_pair((2, 1), (2, 1.001))
    l = quarter_perimeter(2, 1)
    a2, b2 = scale_to_quarter_perimeter(1, 1, l * (1 + 5e-9))
    with pytest.raises(ValueError, match="quarter perimeters"):
        glue_pair((2, 1), (a2, b2))
    a2, b2 = scale_to_quarter_perimeter(1, 1, l * (1 + 2e-10))
    assert glue_pair((2, 1), (a2, b2)).glues


BAD = [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
       (-float("inf"), ValueError), (1e-200, ValueError), (1e200, ValueError),
       ("2", TypeError), (None, TypeError), (True, TypeError)]


@pytest.mark.parametrize("bad, error", BAD, ids=repr)
def test_bad_sizes_raise_naming_the_argument(bad, error):
    with pytest.raises(error, match=r"^a must"):
        glue(bad, 1.0)
    with pytest.raises(error, match=r"^b must"):
        glue(2.0, bad)
    with pytest.raises(error, match=r"^a must"):
        quarter_perimeter(bad, 1.0)
    with pytest.raises(error, match=r"^b must"):
        quarter_perimeter(1.0, bad)
    with pytest.raises(error, match=r"^l must"):
        scale_to_quarter_perimeter(1.0, 1.0, bad)
    with pytest.raises(error, match=r"^a1 must"):
        glue_pair((bad, 1.0), (2.0, 1.0))
    with pytest.raises(error, match=r"^b2 must"):
        glue_pair((2.0, 1.0), (2.0, bad))
    with pytest.raises(error, match=r"^a must"):
        EllipseArc(bad, 1.0)
    with pytest.raises(error, match=r"^a must"):
        end_curvatures(bad, 1.0)


@pytest.mark.parametrize("a, b", [(1e11, 1.0), (1.0, 1e-11), (1e50, 1e-50), (1e-60, 1e60)])
def test_extreme_aspect_ratios_raise_value_error_not_overflow(a, b):
    """Sizes that are each fine but whose ratio overflows the elliptic functions."""
    for call in (lambda: glue(max(a, b), min(a, b)), lambda: EllipseArc(a, b),
                 lambda: quarter_perimeter(a, b), lambda: end_curvatures(a, b),
                 lambda: glue_pair((a, b), (a, b))):
        with pytest.raises(ValueError, match="outside"):
            call()


def test_the_largest_accepted_aspect_ratio_still_computes():
    result = glue(1e10, 1.0, n=5)
    assert result.glues and np.isfinite(result.volume)


def test_long_axis_rule_and_other_arguments():
    with pytest.raises(ValueError, match=r"a=1.0 < b=2.0"):
        glue(1.0, 2.0)
    with pytest.raises(ValueError, match="sheet must be a pair"):
        glue_pair((2.0, 1.0, 3.0), (2.0, 1.0))
    with pytest.raises(ValueError, match="^n must"):
        glue(2.0, 1.0, n=2)
    with pytest.raises(ValueError, match="ratios"):
        gluability_map([0.5, -1.0])
    with pytest.raises(TypeError, match="ratios"):
        gluability_map(None)
    with pytest.raises(TypeError, match="^n must be an int"):
        glue(2.0, 1.0, n=5.0)
    with pytest.raises(TypeError, match="sheet must be an EllipseArc or a pair"):
        glue_pair("2,1", (2.0, 1.0))


def test_edge_curve_at_interior_points():
    """x(s) at the output points against adaptive quadrature of sqrt(c), and
    independent of the output grid."""
    from scipy.integrate import quad

    arc = EllipseArc(2.0, 1.0)
    res = glue(2.0, 1.0, n=101)
    fine = glue(2.0, 1.0, n=1001)
    assert np.max(np.abs(res.x - fine.x[::10])) < 1e-14
    for k in (1, 17, 50, 99):
        ref, _ = quad(lambda u: math.sqrt(max(float(criterion(arc, arc, u)), 0.0)), 0.0, res.s[k],
                      epsabs=1e-13, epsrel=1e-13, limit=200)
        assert res.x[k] == pytest.approx(ref, abs=1e-12)
    assert np.allclose(res.y, arc.h(res.s)) and np.allclose(res.z, arc.h(res.l - res.s))


def test_solve_glue_is_what_glue_and_glue_pair_compute():
    from blogcode.ellipse.gluing import solve_glue

    arc = EllipseArc(2.0, 1.0)
    res = solve_glue(arc, arc, 51)
    ref = glue(2.0, 1.0, n=51)
    assert (res.l, res.length, res.volume) == (ref.l, ref.length, ref.volume)
    assert np.array_equal(res.x, ref.x) and res.sheet1 == res.sheet2 == (2.0, 1.0)
    flat = solve_glue(EllipseArc(1.0, 2.0), EllipseArc(1.0, 2.0), 11)
    assert not flat.glues and np.all(np.isnan(flat.x))
