"""Tests of blogcode.ellipse.experiments: the tabulation timed and measured against ``glue``."""

from __future__ import annotations

import pytest

from blogcode.ellipse.experiments import QUANTITIES, compare_with_tabulation, tabulation, tabulation_errors
from blogcode.ellipse.gluing import glue
from blogcode.ellipse.tabulation import tabulated_glue


def test_compare_with_tabulation_times_both_and_gives_the_errors():
    cmp = compare_with_tabulation(2.0, 1.0, step=1e-3, repeat=2, n=51)
    exact, tab = cmp["exact"], cmp["tabulated"]
    assert exact.l == glue(2.0, 1.0, n=51).l and tab.l == tabulated_glue(2.0, 1.0, step=1e-3).l
    assert set(cmp["errors"]) == set(QUANTITIES)
    assert cmp["errors"]["l"] == tab.l / exact.l - 1.0 and -0.05 < cmp["errors"]["l"] < 0
    assert cmp["time_exact"] > 0 and cmp["speedup"] == cmp["time_tabulated"] / cmp["time_exact"]
    with pytest.raises(TypeError, match="^repeat must be an int"):
        compare_with_tabulation(repeat=2.5)
    with pytest.raises(ValueError, match="^repeat must"):
        compare_with_tabulation(repeat=0)


def test_tabulation_errors_shrink_with_the_step():
    exact = glue(2.0, 1.0)
    reference = {name: getattr(exact, name) for name in QUANTITIES}
    seen = []
    errors = tabulation_errors(2.0, 1.0, [1e-2, 1e-3], reference,
                               progress=lambda steps, desc: seen.append(desc) or steps)
    assert seen == ["grid steps"] and set(errors) == set(QUANTITIES)
    assert all(len(errs) == 2 and abs(errs[1]) < abs(errs[0]) for errs in errors.values())
    assert errors["volume"][1] == tabulated_glue(2.0, 1.0, step=1e-3).volume / exact.volume - 1.0
    with pytest.raises(ValueError, match="missing"):
        tabulation_errors(2.0, 1.0, [1e-2], {"l": 1.0})
    with pytest.raises(ValueError, match="steps"):
        tabulation_errors(2.0, 1.0, [], reference)
    with pytest.raises(TypeError, match="reference"):
        tabulation_errors(2.0, 1.0, [1e-2], None)


def test_the_recorded_experiment_at_fast_settings():
    settings = dict(a=2.0, b=1.0, n=101, step=1e-4, repeat=1, steps=[1e-2, 1e-3])
    out = tabulation(settings, lambda items, desc=None: items)
    assert set(out) == {"exact", "tabulated", "errors", "convergence", "times"}
    assert out["exact"]["glues"] and out["tabulated"]["points"] == 10**4
    assert out["convergence"]["steps"] == [1e-2, 1e-3] and len(out["convergence"]["l"]) == 2
    assert out["errors"]["l"] == out["tabulated"]["l"] / out["exact"]["l"] - 1.0
