"""Unit tests of blogcode.rope.experiments: the chapter's measurements."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.rope import experiments as RE
from blogcode.rope import solver as R


def test_article_residuals_show_the_published_curves_fail_the_equations():
    for C1 in (0, 1):
        pub = R.published_rope(2.0, 3.0, C1)
        cor = R.published_rope(2.0, 3.0, C1, corrected=True)
        measured = RE.article_residuals(pub, cor, C1)
        assert measured["published"] > 0.3 and measured["tight"] > 0.3
        assert measured["wrong_slot"] < 1e-8 and measured["corrected"] < 1e-8
    with pytest.raises(TypeError, match="published"):
        RE.article_residuals("curve", cor, 0)
    with pytest.raises(TypeError, match="C1"):
        RE.article_residuals(pub, cor, "0")


def test_bifurcation_scan_counts_the_equilibria():
    w1 = R.critical_speeds_hanging_chain(3.0, 1.0, 1)[0]
    scan = RE.bifurcation_scan(3.0, 1.0, [0.5 * w1, 1.5 * w1], n_scan=41)
    assert [len(eqs) for _, eqs in scan] == [1, 3]
    assert scan[0][0] == pytest.approx(0.5 * w1)
    with pytest.raises(ValueError, match="omegas"):
        RE.bifurcation_scan(3.0, 1.0, [-1.0])


def test_speed_family_approaches_the_g0_limit():
    fam = RE.speed_family(np.geomspace(2.0, 16.0, 4), 3.0, 1.4, (0.0, 0.0), (0.6, 0.8))
    assert fam.omegas[0] == 0.0 and len(fam.ropes) == 5 and all(r.is_rope for r in fam.ropes)
    assert fam.limit.g == 0.0 and np.all(np.diff(fam.distances) < 0)
    assert -2.3 < fam.tail_slope(3) < -1.5
    with pytest.raises(ValueError, match="points"):
        fam.tail_slope(1)
    with pytest.raises(ValueError, match="omegas"):
        RE.speed_family([0.0], 3.0, 1.4, (0.0, 0.0), (0.6, 0.8))


def test_skipping_scan_continues_from_speed_to_speed():
    skips = RE.skipping_scan([1.0, 4.0, 16.0], 9.81, 5.0, 3.5, modes=(1,))
    depth = [-sk.height.min() for sk in skips]
    assert np.all(np.diff(depth) > 0) and all(sk.effective.is_rope for sk in skips)
    with pytest.raises(TypeError, match="omegas"):
        RE.skipping_scan(["fast"], 9.81, 5.0, 3.5)
