"""Unit tests of blogcode.rope.fixed_ends: both ends tied, given length."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.rope import solver as R
from blogcode.rope import fixed_ends as rope_fixed_ends


def _max_dist(a: R.Rope, b: R.Rope) -> float:
    assert np.allclose(a.s, b.s)
    return float(np.max(np.hypot(a.x - b.x, a.y - b.y)))


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
    monkeypatch.setattr(rope_fixed_ends, "fixed_bvp", lambda *a, **k: None)
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
