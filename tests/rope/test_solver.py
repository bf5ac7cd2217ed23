"""Unit tests of blogcode.rope.solver: the public API, the article's code, the skipping rope."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.rope import solver as R


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


def test_shown_equilibria_prefers_the_lowest_rope_and_continues_a_guess():
    main, others = R.shown_equilibria(4.0, 3.0, 1.0, (0.0, 0.0), None, n_scan=41)
    assert main.is_rope and float(np.mean(main.x)) > 0  # of the mirror pair, the one at x >= 0
    assert all(r.energy >= main.energy - 1e-9 for r in others) and len(others) == 2
    guess = R.solve_rope(0.5, 3.0, 1.4, (0.0, 0.0), (0.6, 0.8))
    fixed, none = R.shown_equilibria(1.0, 3.0, 1.4, (0.0, 0.0), (0.6, 0.8), guess=guess)
    assert fixed.is_rope and none == []
    with pytest.raises(R.RopeSolveError, match="no rope equilibrium"):
        R.shown_equilibria(1.0, 0.0, 1.5, (0, 0), (1, 0), modes=(1,))
