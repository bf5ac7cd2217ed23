"""Unit tests of blogcode.rope.closed_forms: the catenary, the troposkien, the critical speeds."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from blogcode.rope import solver as R


def _max_dist(a: R.Rope, b: R.Rope) -> float:
    assert np.allclose(a.s, b.s)
    return float(np.max(np.hypot(a.x - b.x, a.y - b.y)))


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
