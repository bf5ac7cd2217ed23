"""Tests of blogcode.ellipse.arc: the quarter ellipse by arc length and the criterion."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from blogcode.ellipse.arc import (EllipseArc, criterion, end_curvatures, quarter_perimeter,
                                  scale_to_quarter_perimeter)


def test_quarter_perimeter_closed_forms_agree():
    from scipy.special import ellipe

    for a, b in [(2, 1), (1, 1e-3), (5, 4.999), (1, 1)]:
        l = quarter_perimeter(a, b)
        assert l == pytest.approx(a * ellipe(1 - b**2 / a**2), rel=1e-14)
        assert l == pytest.approx(float(a * mp.ellipe(1 - mp.mpf(b) ** 2 / a**2)), rel=1e-14)
        assert quarter_perimeter(b, a) == l
        assert EllipseArc(a, b).l == pytest.approx(l, rel=1e-14)
    assert quarter_perimeter(3, 3) == pytest.approx(3 * math.pi / 2, rel=1e-15)


def test_arc_inversion_round_trip_and_ends():
    for a, b in [(2, 1), (1, 0.05), (0.3, 2.0)]:
        arc = EllipseArc(a, b)
        t = np.linspace(0, np.pi / 2, 101)
        assert np.allclose(arc.t_of_s(arc.s_of_t(t)), t, atol=1e-13 * max(1, a / b, b / a))
        assert arc.h(0.0) == 0.0 and arc.h(arc.l) == pytest.approx(b, rel=1e-15)
        assert arc.g(0.0) == pytest.approx(a) and abs(arc.g(arc.l)) < 1e-14 * a
        s = np.linspace(0, arc.l, 57)
        assert np.allclose(arc.dh(s) ** 2 + arc.dg(s) ** 2, 1.0, atol=1e-14)
        # h'(s) against a centred difference of h(s)
        k = 1e-6 * arc.l
        mid = s[1:-1]
        assert np.allclose(arc.dh(mid), (arc.h(mid + k) - arc.h(mid - k)) / (2 * k), atol=1e-7)
        assert arc.turning(0.0) == 0.0 and arc.turning(arc.l) == pytest.approx(np.pi / 2)
    with pytest.raises(ValueError, match="s must"):
        EllipseArc(2, 1).t_of_s(3.0)
    with pytest.raises(ValueError, match="s must"):
        EllipseArc(2, 1).t_of_s(np.nan)


def test_criterion_identical_sheets_non_negative_zero_at_ends():
    for q in [0.05, 0.3, 0.7, 0.999]:
        arc = EllipseArc(1.0, q)
        s = np.linspace(0, arc.l, 1001)
        c = criterion(arc, arc, s)
        assert abs(c[0]) < 1e-15 and abs(c[-1]) < 1e-15
        assert c[1:-1].min() > 0
        # symmetric about l/2 for identical sheets
        assert np.allclose(c, c[::-1], atol=1e-13)
        # near s = 0: c ~ (a^2/b^4 - b^2/a^4) s^2
        k0, kl = end_curvatures(1.0, q)
        s0 = 1e-4 * q**2
        assert criterion(arc, arc, s0) == pytest.approx((k0**2 - kl**2) * s0**2, rel=1e-2)


def test_scale_to_quarter_perimeter():
    a, b = scale_to_quarter_perimeter(3.0, 1.0, 2.5)
    assert b / a == pytest.approx(1 / 3, rel=1e-15)
    assert quarter_perimeter(a, b) == pytest.approx(2.5, rel=1e-14)


def test_criterion_terms_match_the_definition_and_return_the_parameters():
    from blogcode.ellipse.arc import criterion_terms

    arc1, arc2 = EllipseArc(2.0, 1.0), EllipseArc(*scale_to_quarter_perimeter(1.0, 1.0, quarter_perimeter(2.0, 1.0)))
    s = np.linspace(0.0, arc1.l, 41)
    c, t1, t2 = criterion_terms(arc1, arc2, s)
    assert np.allclose(c, 1.0 - arc1.dh(s) ** 2 - arc2.dh(arc1.l - s) ** 2, atol=1e-14)
    assert np.allclose(t1, arc1.t_of_s(s)) and np.allclose(t2, arc2.t_of_s(arc1.l - s))
    assert np.array_equal(c, criterion(arc1, arc2, s))


def test_size_checks_and_as_arc_name_the_argument():
    from blogcode.ellipse.arc import MAX_ASPECT_RATIO, as_arc, check_long_axis, check_size, check_sizes

    assert check_size("l", 2) == 2.0
    with pytest.raises(ValueError, match="^l must lie in"):
        check_size("l", 1e-200)
    with pytest.raises(TypeError, match="^l must"):
        check_size("l", "2")
    assert check_sizes("a1", 2, "b1", 1) == (2.0, 1.0)
    with pytest.raises(ValueError, match="a1/b1"):
        check_sizes("a1", 10 * MAX_ASPECT_RATIO, "b1", 1.0)
    check_long_axis("a", 2.0, "b", 1.0)
    with pytest.raises(ValueError, match="a=1.0 < b=2.0"):
        check_long_axis("a", 1.0, "b", 2.0)
    arc = EllipseArc(2.0, 1.0)
    assert as_arc(arc) is arc and as_arc([2.0, 1.0]).l == arc.l
    with pytest.raises(TypeError, match=r"pair \(a2, b2\)"):
        as_arc(2.0, ("a2", "b2"))
    with pytest.raises(ValueError, match="got 3 values"):
        as_arc((1, 2, 3))
    with pytest.raises(TypeError, match="^b2 must"):
        as_arc((1.0, None), ("a2", "b2"))
    assert repr(arc) == "EllipseArc(a=2.0, b=1.0)"
