"""Unit tests of blogcode.rope.curves: the Rope type, argument checks, the residual check."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.rope import solver as R


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


def test_argument_checks_name_the_argument():
    from blogcode.rope.curves import check_ends, check_physics, check_point

    assert check_point("start", (1, 2)) == (1.0, 2.0)
    with pytest.raises(TypeError, match="start"):
        check_point("start", "ab")
    with pytest.raises(ValueError, match="end"):
        check_point("end", (1, 2, 3))
    assert check_physics(2, 3, 1) == (2.0, 3.0, 1.0)
    with pytest.raises(ValueError, match="omega and g are both 0"):
        check_physics(0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="length"):
        check_physics(1.0, 1.0, -1.0)
    assert check_ends((0.0, 0.0), (1.0, 0.0), 2.0) == (1.0, 0.0)
    with pytest.raises(ValueError, match="length=1.0 must exceed"):
        check_ends((0.0, 0.0), (1.0, 0.0), 1.0)


def test_make_rope_labels_by_the_sign_of_the_tension_and_potential_is_phi():
    from blogcode.rope.curves import make_rope, potential

    assert potential(2.0, 3.0, 1.0, 0.5) == pytest.approx(0.5 * 4.0 - 1.5)

    def hanging(s):  # a vertical rope below (0, 0), no rotation
        s = np.asarray(s, dtype=float)
        return np.zeros_like(s), -s

    rope = make_rope(hanging, 0.0, 3.0, 1.0, 3.0, (0.0, 0.0), None, "auto", 11)
    assert rope.label == "rope" and rope.tension == pytest.approx(3.0 * (1.0 - rope.s))
    assert rope.energy == pytest.approx(-1.5)  # integral of g y ds = -g L^2 / 2
    arch = make_rope(hanging, 0.0, 3.0, 1.0, -1.0, (0.0, 0.0), None, "auto", 11)
    assert arch.label == "arch" and not arch.is_rope
    s, x, y, xp, yp = R.rope_derivatives(rope, [0.0, 0.5])
    assert np.allclose(xp, 0.0) and np.allclose(yp, -1.0)
    with pytest.raises(TypeError, match="rope"):
        R.rope_derivatives("rope")
