"""Tests of blogcode.ellipse.tabulation: the article's scheme, re-created."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.ellipse.gluing import glue
from blogcode.ellipse.tabulation import tabulated_glue


def test_tabulation_scheme_converges_like_sqrt_step():
    exact = glue(2.0, 1.0)
    errs = []
    for step in (1e-3, 1e-4):
        tab = tabulated_glue(2.0, 1.0, step=step)
        assert tab.glues and tab.min_criterion > -10 * step
        errs.append([abs(tab.l / exact.l - 1), abs(tab.length / exact.length - 1), abs(tab.volume / exact.volume - 1)])
    errs = np.array(errs)
    assert np.all(errs[0] > 1e-3) and np.all(errs[1] < errs[0])
    # the missing piece near y = b scales like sqrt(step): a factor ~ sqrt(10) per decade
    assert 2.0 < errs[0, 0] / errs[1, 0] < 4.5


def test_tabulation_bad_arguments():
    with pytest.raises(ValueError, match=r"a=1.0 < b=2.0"):
        tabulated_glue(1.0, 2.0, step=1e-3)
    with pytest.raises(ValueError, match="^step must"):
        tabulated_glue(2.0, 1.0, step=0.0)
