"""Tests of blogcode.stats (summaries over seeds)."""

import numpy as np
import pytest

from blogcode.stats import seed_spread


def test_seed_spread_gives_mean_sample_std_and_range():
    s = seed_spread([0.9, 0.8, 1.0])
    assert s["mean"] == pytest.approx(0.9) and s["std"] == pytest.approx(np.std([0.9, 0.8, 1.0], ddof=1))
    assert (s["min"], s["max"]) == (0.8, 1.0)
    assert seed_spread([0.5]) == {"mean": 0.5, "std": 0.0, "min": 0.5, "max": 0.5}
    assert all(type(v) is float for v in seed_spread(np.array([1, 2])).values())


@pytest.mark.parametrize("values, error", [
    (None, TypeError), (3.0, TypeError), ([], ValueError), ([[1.0, 2.0]], ValueError), ([1.0, float("nan")], ValueError),
])
def test_seed_spread_rejects_bad_values(values, error):
    with pytest.raises(error, match="values"):
        seed_spread(values)
