"""Unit tests of blogcode.rope.free_end: one end tied, the other free."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from blogcode.rope import solver as R
from blogcode.rope import free_end as rope_free_end


def test_free_end_without_rotation_hangs_straight_down():
    r = R.solve_rope(0.0, 3.0, 1.0, (0.3, 0.2))
    assert r.end is None
    assert np.allclose(r.x, 0.3, atol=1e-12)
    assert np.allclose(r.y, 0.2 - r.s, atol=1e-12)
    # the support carries the whole weight, the free end nothing
    assert r.tension[0] == pytest.approx(3.0) and r.tension[-1] == pytest.approx(0.0, abs=1e-12)


def test_free_end_without_gravity_points_radially_outward():
    r = R.solve_rope(2.0, 0.0, 1.0, (0.3, 0.0))
    assert np.allclose(r.x, 0.3 + r.s, atol=1e-10) and np.allclose(r.y, 0.0, atol=1e-10)
    # T(s) = integral_s^L omega^2 x ds'
    assert r.tension[0] == pytest.approx(4.0 * (0.3 + 0.5), rel=1e-10)


# Starts on the axis, inside and outside the rope's length, on both sides; slow and fast; short and long.
RADIAL_CASES = list(itertools.product((-1.5, -0.3, 0.0, 0.3, 0.5, 1.0, 2.0), (0.5, 1.0, 2.0, 5.0), (0.5, 1.0, 3.0)))


@pytest.mark.parametrize("x0, omega, length", RADIAL_CASES)
def test_free_end_without_gravity_matches_the_closed_form(x0, omega, length):
    """Without gravity the lowest-energy rope is straight and radial, pointing away from
    the axis, with tension omega^2 (L^2 - s^2)/2 + omega^2 |x0| (L - s)."""
    r = R.solve_rope(omega, 0.0, length, (x0, 0.2))
    side = 1.0 if x0 >= 0 else -1.0  # from the axis itself, the two mirror images tie
    assert np.allclose(r.x, x0 + side * r.s, atol=1e-9) and np.allclose(r.y, 0.2, atol=1e-9)
    tension = omega**2 * (length**2 - r.s**2) / 2 + omega**2 * abs(x0) * (length - r.s)
    assert np.allclose(r.tension, tension, rtol=1e-9, atol=1e-9 * tension[0])
    # the outward rope is one equilibrium among those found, and the lowest
    found = R.rope_equilibria(omega, 0.0, length, (x0, 0.2))
    assert any(abs(q.x[-1] - (x0 + side * length)) < 1e-9 for q in found)
    assert r.energy == pytest.approx(min(q.energy for q in found if q.is_rope))


def _roots_of(f, grid):
    return rope_free_end._free_end_roots(f, grid, np.array([f(x) for x in grid]), 1e-9)


def test_free_end_root_search_finds_roots_at_both_ends_of_the_range():
    grid = np.linspace(-1.0, 1.0, 11)
    assert _roots_of(lambda x: x * x - 1.0, grid) == pytest.approx([-1.0, 1.0], abs=1e-12)


def test_free_end_root_search_finds_double_roots_and_close_pairs():
    grid = np.linspace(-1.0, 1.0, 11)  # spacing 0.2
    double = _roots_of(lambda x: (x - 0.33) ** 2, grid)
    assert double == pytest.approx([0.33], abs=1e-4)
    pair = _roots_of(lambda x: (x - 0.31) * (x - 0.35), grid)  # both inside one cell
    assert pair == pytest.approx([0.31, 0.35], abs=1e-12)
    touch_at_end = _roots_of(lambda x: (x - 1.0) ** 2 + 0.5, grid)
    assert touch_at_end == []


def test_free_end_root_search_drops_a_jump_that_changes_sign():
    # without gravity the support's position jumps at x_e = 0: no root there
    grid = np.linspace(-1.0, 1.0, 10)
    assert _roots_of(lambda x: (x + 0.5) if x < 0 else (x - 0.75), grid) == pytest.approx([-0.5, 0.75])


def test_free_end_search_is_repeatable():
    first = R.rope_equilibria(4.0, 3.0, 1.0, (0.3, 0.0), n_scan=41)
    second = R.rope_equilibria(4.0, 3.0, 1.0, (0.3, 0.0), n_scan=41)
    assert [r.energy for r in first] == [r.energy for r in second]


def test_free_end_from_the_axis_bifurcates_at_the_bessel_speed():
    g, L = 3.0, 1.0
    w1, w2 = R.critical_speeds_hanging_chain(g, L, 2)
    assert w1 == pytest.approx(2.404825557695773 * math.sqrt(g / L) / 2)
    below = R.rope_equilibria(0.97 * w1, g, L, (0.0, 0.0), n_scan=81)
    above = R.rope_equilibria(1.05 * w1, g, L, (0.0, 0.0), n_scan=81)
    assert len(below) == 1 and np.max(np.abs(below[0].x)) < 1e-12
    assert len(above) == 3
    # the bent pair has lower energy than the vertical rope
    assert above[0].energy < above[-1].energy and np.max(np.abs(above[-1].x)) < 1e-12
    assert len(R.rope_equilibria(1.05 * w2, g, L, (0.0, 0.0), n_scan=81)) == 5


def test_free_end_general_residuals_and_free_end_tension():
    r = R.solve_rope(4.0, 3.0, 1.0, (0.3, 0.0))
    assert r.is_rope and r.tension[-1] == pytest.approx(0.0, abs=1e-9)
    assert (r.x[0], r.y[0]) == pytest.approx((0.3, 0.0), abs=1e-10)
    res = R.equilibrium_residuals(r)
    assert res["euler_lagrange"] <= 1e-8 and res["unit_speed"] <= 1e-8
    # vertical force at the support = weight of the rope
    _, _, _, xp, yp = R.rope_derivatives(r, [0.0])
    assert -r.tension[0] * yp[0] == pytest.approx(3.0 * 1.0, rel=1e-8)


def test_free_end_bad_inputs():
    with pytest.raises(ValueError, match="length must be > 0"):
        R.solve_rope(1.0, 1.0, 0.0, (0, 0))
    with pytest.raises(ValueError, match="n_scan"):
        R.rope_equilibria(1.0, 1.0, 1.0, (0, 0), n_scan=3)
