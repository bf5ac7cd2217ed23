"""Tests for blogcode.lookahead.widgets (the explorer of book/lookahead.md)."""

from __future__ import annotations

import numpy as np
import pytest

from blogcode.lookahead.figures import path_figure
from blogcode.lookahead.valley import lookahead_path
from blogcode.lookahead.widgets import path_explorer, path_live_widget, path_view
from blogcode.widgets import LiveView, LiveWidget


def test_path_explorer_steps_traces_and_axes():
    ks, alphas = (1, 2, 3, 5, 10), (0.2, 0.35, 0.5, 0.8, 1.0)
    fig = path_explorer(ks, alphas)
    n_steps = len(ks) * len(alphas)
    assert len(fig.layout.sliders) == 1 and len(fig.layout.sliders[0].steps) == n_steps
    assert fig.layout.sliders[0].currentvalue.prefix == "k, α: "
    assert len(fig.data) == 4 * n_steps
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert fig.layout.title.text == "Lookahead around SGD + momentum: move the slider over k and α"
    labels = [s.label for s in fig.layout.sliders[0].steps]
    assert labels[fig.layout.sliders[0].active] == "k = 5, α = 0.5"
    # exactly one step visible, and the fast/slow traces differ between steps
    assert sum(bool(t.visible) for t in fig.data) == 4
    fast_traces = [fig.data[4 * i + 1] for i in range(n_steps)]
    # alpha = 1 is SGD + momentum alone whatever k is; every other pair draws its own path
    assert len({tuple(np.round(t.x, 6)) for t in fast_traces}) == n_steps - (len(ks) - 1)
    for i, (k, a) in enumerate((k, a) for k in ks for a in alphas):
        if a == 1.0:
            np.testing.assert_allclose(fast_traces[i].x, fig.data[0].x)
    # keep the page small: a few hundred points per step at most
    points = sum(len(t.x) for t in fig.data)
    assert points / n_steps < 300, points


def test_path_view_is_the_explorers_figure():
    shown = path_view(3, 0.35, steps=30)
    assert isinstance(shown, LiveView) and shown.text.startswith("k = 3, α = 0.35: loss after 30 steps")
    fast, slow = lookahead_path(3, 0.35, steps=30)
    np.testing.assert_array_equal(shown.result["fast"], fast)
    np.testing.assert_array_equal(shown.result["slow"], slow)
    static = path_explorer((3,), (0.35,), steps=30)
    for live, stored in zip(shown.figure.data, static.data, strict=True):
        np.testing.assert_array_equal(live.x, stored.x)


def test_live_widget_builds_and_redraws():
    live = path_live_widget(5, 0.5)
    assert isinstance(live, LiveWidget) and len(live.figure.data) == 4
    before = np.array(live.figure.data[2].x)
    live.controls["k"].value = 2
    assert len(live.figure.data[2].x) == 1 + 40 // 2
    assert not np.array_equal(before[:3], np.array(live.figure.data[2].x)[:3])
    alpha = float(live.controls["alpha"].value)
    assert path_figure(2, alpha).data[1].x.tolist() == list(live.figure.data[1].x)
    assert live.result["slow"].shape == (21, 2) and live.error is None


@pytest.mark.parametrize("call, error, name", [
    (lambda: path_explorer([], [0.5]), ValueError, "ks"),
    (lambda: path_explorer(ks=()), ValueError, "ks"),
    (lambda: path_explorer([5], []), ValueError, "alphas"),
    (lambda: path_explorer([5], [0.5], active=3), ValueError, "active"),
    (lambda: path_explorer(ks=(1, 2), alphas=(0.5,), active=5), ValueError, "active"),
    (lambda: path_explorer([5], [0.5, 2.0]), ValueError, "alpha"),
    (lambda: path_view(0, 0.5), ValueError, "k"),
    (lambda: path_live_widget(k=21), ValueError, "k"),
    (lambda: path_live_widget(k=2.0), TypeError, "k"),
    (lambda: path_live_widget(alpha=0.01), ValueError, "alpha"),
    (lambda: path_live_widget(steps=0), ValueError, "steps"),
], ids=["ks-empty", "ks-empty-kw", "alphas-empty", "active", "active-kw", "alpha", "view-k", "live-k",
        "live-k-float", "live-alpha", "live-steps"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
