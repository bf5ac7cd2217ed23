"""Tests of blogcode.attention.widgets (pictures and explorers of attention patterns)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.attention.patterns import atrous_attention, causal_mask, sparse_mask  # noqa: E402
from blogcode.attention.widgets import (draw_arcs, draw_mask, pattern_explorer, pattern_figure,  # noqa: E402
                                        pattern_live_widget, pattern_mask, time_forms)


def test_pattern_mask_by_name():
    np.testing.assert_array_equal(pattern_mask("sparse", 12, 3), sparse_mask(12, 3))
    np.testing.assert_array_equal(pattern_mask("dense", 5, 2, causal=True), causal_mask(5))
    assert pattern_mask("dense", 4, 1).all()


def test_figures_draw_and_count_keys():
    fig = pattern_figure("local", 16, 2, query=5)
    assert fig.data[2].marker.color.count("#d62728") == 5  # keys 3..7
    explorer = pattern_explorer(12, ks=(2, 3))
    steps = 2 + 3 * 2 * 2  # dense once, the others per k; causal or not
    assert len(explorer.layout.sliders[0].steps) == steps and len(explorer.data) == 3 * steps
    _, axes = plt.subplots(1, 2)
    draw_mask(axes[0], sparse_mask(8, 2), "sparse", query=3)
    draw_arcs(axes[1], sparse_mask(8, 2), "sparse", query=3)
    plt.close("all")


def test_live_widget_builds():
    pytest.importorskip("ipywidgets")
    box = pattern_live_widget(12, 3)
    assert len(box.children) == 3


def test_time_forms_returns_one_time_per_length():
    times = time_forms({"atrous": lambda q, k, v, n: atrous_attention(q, k, v, 2)}, [8, 12], depth=4, repeat=1)
    assert len(times["atrous"]) == 2 and min(times["atrous"]) > 0


def _axes():
    _, ax = plt.subplots()
    return ax


@pytest.mark.parametrize("call, error, arg", [
    (lambda: pattern_mask("strided", 8, 2), ValueError, "pattern"),
    (lambda: pattern_mask(None, 8, 2), TypeError, "pattern"),
    (lambda: pattern_mask("local", 0, 2), ValueError, "n"),
    (lambda: pattern_mask("local", 8.0, 2), TypeError, "n"),
    (lambda: pattern_mask("local", 8, True), TypeError, "k"),
    (lambda: pattern_mask("local", 8, 2, causal="no"), TypeError, "causal"),
    (lambda: pattern_figure("sparse", 8, 2, query=8), ValueError, "query"),
    (lambda: pattern_figure("sparse", 8, 2, query=-1), ValueError, "query"),
    (lambda: pattern_figure("sparse", 8, 2, query=2.0), TypeError, "query"),
    (lambda: pattern_figure("sparse", 8, 0), ValueError, "k"),
    (lambda: pattern_explorer(8, ks=()), ValueError, "ks"),
    (lambda: pattern_explorer(8, ks=None), TypeError, "ks"),
    (lambda: pattern_explorer(8, ks=(2, 1.5)), TypeError, "ks"),
    (lambda: pattern_explorer(8, query=9), ValueError, "query"),
    (lambda: pattern_live_widget(2, 3), ValueError, "n"),
    (lambda: pattern_live_widget(12, 3.0), TypeError, "k"),
    (lambda: draw_mask(_axes(), None), TypeError, "mask"),
    (lambda: draw_mask(_axes(), np.ones((3, 4), bool)), ValueError, "mask"),
    (lambda: draw_mask(_axes(), np.ones((3, 3), bool), title=3), TypeError, "title"),
    (lambda: draw_mask("axes", np.ones((3, 3), bool)), TypeError, "ax"),
    (lambda: draw_arcs(_axes(), np.ones((3, 3), bool), query=3), ValueError, "query"),
    (lambda: time_forms(None, [8]), TypeError, "forms"),
    (lambda: time_forms({}, [8]), ValueError, "forms"),
    (lambda: time_forms({"x": 3}, [8]), ValueError, "forms"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, []), ValueError, "lengths"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8.0]), TypeError, "lengths"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8], repeat=0), ValueError, "repeat"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8], depth=True), TypeError, "depth"),
    (lambda: time_forms({"x": lambda q, k, v, n: q}, [8], seed=None), TypeError, "seed"),
])
def test_bad_input_is_rejected(call, error, arg):
    try:
        with pytest.raises(error, match=arg):
            call()
    finally:
        plt.close("all")
