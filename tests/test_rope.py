"""Unit tests of blogcode.rope.solver (chapter "The shape of a rotating rope")."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest

from blogcode.rope import solver as R
from blogcode.rope import fixed_ends as rope_fixed_ends, free_end as rope_free_end


def _max_dist(a: R.Rope, b: R.Rope) -> float:
    assert np.allclose(a.s, b.s)
    return float(np.max(np.hypot(a.x - b.x, a.y - b.y)))


# ------------------------------------------------------------- closed forms


def test_catenary_geometry_and_tension():
    c = R.catenary(1.5, 1.0, g=2.0)
    assert c.s[0] == 0 and c.s[-1] == pytest.approx(1.5)
    assert (c.x[0], c.y[0]) == pytest.approx((0.0, 0.0), abs=1e-14)
    assert (c.x[-1], c.y[-1]) == pytest.approx((1.0, 0.0), abs=1e-14)
    # arc length of the sampled curve equals the requested length
    assert np.sum(np.hypot(np.diff(c.x), np.diff(c.y))) == pytest.approx(1.5, rel=1e-5)
    # tension = g * (height above the directrix) and is lowest at the bottom
    assert c.is_rope and c.min_tension == pytest.approx(c.tension[200])
    assert R.equilibrium_residuals(c)["euler_lagrange"] < 1e-9
    # the shape does not depend on g, the tension is proportional to it
    c1 = R.catenary(1.5, 1.0, g=1.0)
    assert _max_dist(c, c1) == 0.0
    assert np.allclose(c.tension, 2.0 * c1.tension)


def test_troposkien_against_mpmath_quadrature():
    tr = R.troposkien(1.5, 1.0, omega=2.0)
    assert (tr.x[0], tr.y[0], tr.x[-1], tr.y[-1]) == pytest.approx((0, 0, 0, 1), abs=1e-12)
    # independent check of the elliptic-integral solution: with the computed
    # lam and C, y(R) = integral_0^R C dx / sqrt(T^2 - C^2) must be height / 2.
    lam, w2 = mpmath.mpf(tr.tension_constant), 4
    R_max = mpmath.mpf(float(tr.at(0.75)[0]))  # the widest point, halfway along
    C = lam - w2 * R_max**2 / 2  # tension there, where the tangent is vertical
    mpmath.mp.dps = 30
    # x = R sin(u) removes the square-root singularity at x = R:
    # T - C = w2 (R^2 - x^2) / 2 and T + C = 2 lam - w2 (R^2 + x^2) / 2
    def root(u):
        return mpmath.sqrt(w2 / 2 * (2 * lam - w2 * R_max**2 * (1 + mpmath.sin(u) ** 2) / 2))

    half_height = mpmath.quad(lambda u: C / root(u), [0, mpmath.pi / 2])
    half_length = mpmath.quad(
        lambda u: (lam - w2 * (R_max * mpmath.sin(u)) ** 2 / 2) / root(u), [0, mpmath.pi / 2]
    )
    assert float(half_height) == pytest.approx(0.5, abs=1e-12)
    assert float(half_length) == pytest.approx(0.75, abs=1e-12)
    assert R.equilibrium_residuals(tr)["euler_lagrange"] < 1e-9
    assert tr.is_rope and tr.min_tension > 0


def test_closed_forms_reject_bad_inputs():
    with pytest.raises(ValueError, match="length.*must exceed span"):
        R.catenary(1.0, 1.0)
    with pytest.raises(ValueError, match="span must be > 0"):
        R.catenary(1.0, -1.0)
    with pytest.raises(ValueError, match="length must not be NaN"):
        R.catenary(float("nan"), 1.0)
    with pytest.raises(ValueError, match="length.*must exceed height"):
        R.troposkien(0.9, 1.0)
    with pytest.raises(ValueError, match="omega must be > 0"):
        R.troposkien(2.0, 1.0, omega=0.0)


# --------------------------------------------------------- both ends fixed


def test_bvp_matches_catenary_and_labels_the_arch():
    eq = R.rope_equilibria(0.0, 3.0, 1.5, (0, 0), (1, 0), modes=(1,))
    labels = [r.label for r in eq]
    assert labels == ["rope", "arch"], labels
    c = R.catenary(1.5, 1.0, g=3.0)
    assert _max_dist(eq[0], c) <= 1e-8
    assert abs(eq[0].tension_constant - c.tension_constant) <= 1e-8
    # the arch is the mirror image with negative tension everywhere
    arch = eq[1]
    assert np.allclose(arch.y, -c.y, atol=1e-8) and arch.max_tension < 0
    # solve_rope never returns the arch
    best = R.solve_rope(0.0, 3.0, 1.5, (0, 0), (1, 0), modes=(1,))
    assert best.is_rope and _max_dist(best, c) <= 1e-8


def test_bvp_matches_troposkien():
    r = R.solve_rope(2.0, 0.0, 1.5, (0, 0), (0, 1), modes=(1,))
    tr = R.troposkien(1.5, 1.0, omega=2.0)
    assert _max_dist(r, tr) <= 1e-8
    assert abs(r.tension_constant - tr.tension_constant) <= 1e-8
    assert np.max(np.abs(r.tension - tr.tension)) <= 1e-8
    assert R.equilibrium_residuals(r)["euler_lagrange"] <= 1e-8


def test_general_fixed_ends_equilibrium_and_continuation():
    r = R.solve_rope(2.0, 3.0, 1.4, (0.0, 0.0), (0.6, 0.8), modes=(1,))
    assert r.is_rope
    assert (r.x[-1], r.y[-1]) == pytest.approx((0.6, 0.8), abs=1e-10)
    res = R.equilibrium_residuals(r)
    assert res["euler_lagrange"] <= 1e-8 and res["unit_speed"] <= 1e-8
    r2 = R.solve_rope(2.5, 3.0, 1.4, (0.0, 0.0), (0.6, 0.8), guess=r)
    assert r2.is_rope and 0 < _max_dist(r, r2) < 0.2
    assert R.equilibrium_residuals(r2)["euler_lagrange"] <= 1e-8
    # spinning faster swings the rope outward
    assert np.max(r2.x) > np.max(r.x)


def test_fixed_ends_bad_inputs():
    with pytest.raises(ValueError, match="must exceed the distance"):
        R.solve_rope(1.0, 1.0, 0.5, (0, 0), (1, 0))
    with pytest.raises(ValueError, match="length must be > 0"):
        R.solve_rope(1.0, 1.0, -1.0, (0, 0), (1, 0))
    with pytest.raises(ValueError, match="omega must be >= 0"):
        R.solve_rope(-1.0, 1.0, 2.0, (0, 0), (1, 0))
    with pytest.raises(ValueError, match="g must not be NaN"):
        R.solve_rope(1.0, float("nan"), 2.0, (0, 0), (1, 0))
    with pytest.raises(ValueError, match=r"end\[1\] must be finite"):
        R.solve_rope(1.0, 1.0, 2.0, (0, 0), (1, float("inf")))
    with pytest.raises(ValueError, match="start must be an \\(x, y\\) pair"):
        R.solve_rope(1.0, 1.0, 2.0, (0, 0, 0), (1, 0))
    with pytest.raises(ValueError, match="both 0"):
        R.solve_rope(0.0, 0.0, 2.0, (0, 0), (1, 0))


def test_non_convergence_raises_instead_of_returning_a_curve(monkeypatch):
    # make every BVP fail: solve_rope must raise, not return something
    monkeypatch.setattr(rope_fixed_ends, "_bvp", lambda *a, **k: None)
    with pytest.raises(R.RopeSolveError, match="no equilibrium"):
        R.solve_rope(0.0, 3.0, 1.5, (0, 0), (1, 0), modes=(1,))
    c = R.catenary(1.5, 1.0)
    with pytest.raises(R.RopeSolveError, match="did not converge"):
        R.solve_rope(0.0, 3.0, 1.5, (0, 0), (1, 0), guess=c)


def test_continuation_to_an_arch_is_refused():
    c = R.catenary(1.5, 1.0, g=3.0)
    flipped = R.rope_equilibria(0.0, 3.0, 1.5, (0, 0), (1, 0), modes=(1,))[1]
    assert flipped.label == "arch"
    with pytest.raises(R.RopeSolveError, match="arch"):
        R.solve_rope(0.0, 3.0, 1.5, (0, 0), (1, 0), guess=flipped)
    assert R.solve_rope(0.0, 3.0, 1.5, (0, 0), (1, 0), guess=c).is_rope


# ----------------------------------------------------------------- free end


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


BAD_CALLS = [
    (lambda: R.solve_rope("1", 1.0, 1.0, (0, 0)), TypeError, "omega"),
    (lambda: R.solve_rope(1.0, None, 1.0, (0, 0)), TypeError, "g"),
    (lambda: R.solve_rope(1.0, 1.0, True, (0, 0)), TypeError, "length"),
    (lambda: R.solve_rope(1.0, 1.0, float("inf"), (0, 0)), ValueError, "length"),
    (lambda: R.solve_rope(1.0, 1.0, 1.0, None), TypeError, "start"),
    (lambda: R.solve_rope(1.0, 1.0, 1.0, "ab"), TypeError, "start"),
    (lambda: R.solve_rope(1.0, 1.0, 1.0, ("a", 0)), TypeError, "start"),
    (lambda: R.solve_rope(1.0, 1.0, 2.0, (0.5, 0.5), (0.5, 0.5)), ValueError, "start and end"),
    (lambda: R.solve_rope(1.0, 1.0, 2.0, (0, 0), (1, 0), guess="rope"), TypeError, "guess"),
    (lambda: R.solve_rope(1.0, 1.0, 2.0, (0, 0), guess=R.catenary(2.0, 1.0)), ValueError, "guess"),
    (lambda: R.solve_rope(1.0, 1.0, 1.0, (0, 0), n_points=50.0), TypeError, "n_points"),
    (lambda: R.rope_equilibria(1.0, 1.0, 1.0, (0, 0), n_scan=41.0), TypeError, "n_scan"),
    (lambda: R.rope_equilibria(1.0, 1.0, 2.0, (0, 0), (1, 0), modes=()), ValueError, "modes"),
    (lambda: R.rope_equilibria(1.0, 1.0, 2.0, (0, 0), (1, 0), modes=(1.5,)), TypeError, "modes"),
    (lambda: R.critical_speeds_hanging_chain(3.0, 1.0, count=2.0), TypeError, "count"),
    (lambda: R.critical_speeds_hanging_chain(3.0, 1.0, count=0), ValueError, "count"),
    (lambda: R.catenary(1e13, 1.0), ValueError, "length/span"),
    (lambda: R.troposkien(1e13, 1.0), ValueError, "length/height"),
    (lambda: R.published_rope(2, 3, 0, direction=0), ValueError, "direction"),
    (lambda: R.published_rope(2, 3, 0, corrected=1), TypeError, "corrected"),
    (lambda: R.published_rope(2, 3, 0, method="Euler"), ValueError, "method"),
    (lambda: R.equilibrium_residuals("rope"), TypeError, "rope"),
    (lambda: R.equilibrium_residuals(R.catenary(2.0, 1.0), n_eval=1), ValueError, "n_eval"),
    (lambda: R.skipping_rope(1.0, 1.0, 2.0, "1"), TypeError, "hand_separation"),
]


@pytest.mark.parametrize("call, error, name", BAD_CALLS, ids=[c[2] + "-" + c[1].__name__ for c in BAD_CALLS])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name.replace("[", r"\[")):
        call()


def test_free_end_bad_inputs():
    with pytest.raises(ValueError, match="length must be > 0"):
        R.solve_rope(1.0, 1.0, 0.0, (0, 0))
    with pytest.raises(ValueError, match="n_scan"):
        R.rope_equilibria(1.0, 1.0, 1.0, (0, 0), n_scan=3)


# ------------------------------------------------------- the article's code


def test_published_code_reproduces_the_article_and_fails_the_equations():
    p0 = R.published_rope(2, 3, 0)
    assert p0.s[-1] == pytest.approx(0.4999) and len(p0.s) == 5000
    assert (p0.x[-1], p0.y[-1]) == pytest.approx((0.86, -0.474), abs=2e-3)
    p1 = R.published_rope(2, 3, 1)
    assert np.max(p1.x) == pytest.approx(1.069, abs=2e-3)
    for C1 in (0, 1):
        tight = R.published_rope(2, 3, C1, method="DOP853", rtol=1e-12, atol=1e-14)
        assert R.equilibrium_residuals(tight)["euler_lagrange"] > 0.3
        s, x, y, xp, yp = R.rope_derivatives(tight)
        # what it does satisfy: phi * dx/ds = C1 - g s (the first integral in the wrong slot)
        assert np.max(np.abs((2 * x**2 - 3 * y) * xp - (C1 - 3 * s))) < 1e-8
        corrected = R.published_rope(2, 3, C1, corrected=True)
        assert R.equilibrium_residuals(corrected)["euler_lagrange"] < 1e-8
        assert corrected.max_tension < 0  # lam = 0: pure compression, an arch


def test_published_rope_bad_inputs():
    with pytest.raises(ValueError, match="> 1"):
        R.published_rope(2, 3, 5)
    with pytest.raises(ValueError, match="T must be > 0"):
        R.published_rope(2, 3, 0, T=-1)
    with pytest.raises(ValueError, match="C1 must not be NaN"):
        R.published_rope(2, 3, float("nan"))


def test_residual_check_can_fail():
    # a circle arc is no equilibrium of this problem
    c = R.catenary(1.5, 1.0, g=3.0)
    theta = np.linspace(0, 1.5, 5)

    def dense(s):
        s = np.asarray(s, dtype=float)
        return np.sin(s), np.cos(s) - 1

    fake = R.Rope(s=np.linspace(0, 1.5, 5), x=np.sin(theta), y=np.cos(theta) - 1,
                  tension=np.zeros(5), tension_constant=c.tension_constant, omega=0.0, g=3.0,
                  start=(0, 0), end=None, label="fake", energy=0.0, dense=dense)
    res = R.equilibrium_residuals(fake)
    assert res["euler_lagrange"] > 0.1 and res["tension"] > 0.1


# ------------------------------------------------------------ skipping rope


def test_skipping_rope_limits():
    fast = R.skipping_rope(50.0, 9.81, 3.0, 1.5, modes=(1,))
    tr = R.troposkien(3.0, 1.5)
    # very fast: the troposkien (hands almost on the effective axis)
    assert np.max(np.abs(fast.height + tr.x)) < 0.02
    slow = R.skipping_rope(1.0, 9.81, 3.0, 1.5, modes=(1,))
    cat = R.catenary(3.0, 1.5)
    # slow: gravity dominates and the rope is close to a catenary
    assert np.max(np.abs(slow.height - cat.y)) < 0.1
    assert np.min(slow.tension) > 0
    with pytest.raises(ValueError, match="omega must be > 0"):
        R.skipping_rope(0.0, 9.81, 3.0, 1.5)


def test_no_taut_rope_without_a_vertical_force_raises():
    # g = 0 and both ends at the same height: T y' is constant along the rope,
    # so y cannot go down and come back; no equilibrium with T > 0 exists.
    with pytest.raises(R.RopeSolveError, match="no equilibrium"):
        R.solve_rope(1.0, 0.0, 1.5, (0, 0), (1, 0), modes=(1,))


# ------------------------------------------------------------------ widgets


def test_explorer_steps_and_live_figure():
    from blogcode.rope import widgets as RW

    steps = RW.omega_steps(3.0, 1.4, (0.0, 0.0), (0.6, 0.8), [0.0, 1.0])
    assert [round(om, 6) for om, _, _ in steps] == [0.0, 1.0]
    assert all(main.is_rope for _, main, _ in steps)
    fig = RW.omega_explorer(steps, title="t", max_others=0)
    # shape, tension, numbers per step; one slider with one position per omega
    assert len(fig.data) == 3 * 2 and len(fig.layout.sliders[0].steps) == 2
    assert fig.data[0].visible and not fig.data[3].visible
    free = RW.rope_figure(0.0, 3.0, 1.0, (0.25, 0.0))
    assert np.allclose(free.data[0].x, 0.25)  # no rotation: hangs straight down
    import matplotlib.pyplot as plt

    fig_mpl = plt.figure()
    img = RW.png_image(fig_mpl)
    assert img.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig_mpl.number)  # closed
