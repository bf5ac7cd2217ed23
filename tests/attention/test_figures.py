"""Tests of blogcode.attention.figures (pictures of attention patterns and of their cost)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.attention.figures import (arc_points, check_query, draw_arcs, draw_mask, pattern_figure,  # noqa: E402
                                        pattern_layout, pattern_traces, patterns_figure, quadratic_cost_figure,
                                        receptive_field_figure, timing_figure)
from blogcode.attention.patterns import local_mask, receptive_field_matrix, sparse_mask  # noqa: E402


def test_figures_draw_and_count_keys():
    fig = pattern_figure("local", 16, 2, query=5)
    assert fig.data[2].marker.color.count("#d62728") == 5  # keys 3..7
    assert fig.layout.title.text == "local, n = 16, k = 2: query 5 sees 5 keys, 9 after two layers"
    traces, one, two = pattern_traces("sparse", 12, 3, False, 6)
    assert len(traces) == 3 and one == sparse_mask(12, 3)[6].sum()
    assert two == receptive_field_matrix([sparse_mask(12, 3)] * 2)[6].sum()
    assert pattern_layout("t", 12)["xaxis2"]["range"] == [-1, 12]
    _, axes = plt.subplots(1, 2)
    draw_mask(axes[0], sparse_mask(8, 2), "sparse", query=3)
    draw_arcs(axes[1], sparse_mask(8, 2), "sparse", query=3)
    assert axes[0].get_title() == "sparse" and len(axes[1].lines) == int(np.tril(sparse_mask(8, 2), -1).sum())
    plt.close("all")


def test_arc_points_and_check_query():
    x, y = arc_points(6, 2, steps=5)
    assert x[0] == pytest.approx(6) and x[-1] == pytest.approx(2) and y.max() == pytest.approx(2)
    assert check_query(None, 4) is None and check_query(3, 4) == 3


def test_patterns_figure_has_a_mask_and_arcs_per_pattern():
    fig = patterns_figure(["atrous", "local"], 12, 3, 6, causal=True, titles=["a", "b"])
    try:
        assert len(fig.axes) == 4
        assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
        shown = fig.axes[1].images[0].get_array()
        np.testing.assert_array_equal(np.asarray(shown, bool), local_mask(12, 3, causal=True))
    finally:
        plt.close(fig)


def test_cost_and_timing_figures():
    fig = quadratic_cost_figure([512, 1024, 2048], [0.001, 0.003, 0.012])
    try:
        ax_t, ax_m = fig.axes
        np.testing.assert_allclose(ax_m.lines[0].get_ydata(), [1.0, 4.0, 16.0])   # MiB of n^2 float32 scores
        np.testing.assert_allclose(ax_t.lines[1].get_ydata()[-1], 12.0)           # n^2 line through the last point
    finally:
        plt.close(fig)
    fig = timing_figure({"dense": [0.002, 0.008], "local": [0.001, 0.002]}, [256, 1024])
    try:
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["dense", "local"]
        np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [1.0, 2.0])
    finally:
        plt.close(fig)


def test_receptive_field_figure():
    reach = {"local": local_mask(10, 2), "local × 2": receptive_field_matrix([local_mask(10, 2)] * 2)}
    fig = receptive_field_figure(reach, ["local × 2"])
    try:
        (ax,) = fig.axes
        assert ax.get_title() == "local × 2" and ax.get_xlabel() == "input position"
    finally:
        plt.close(fig)


def _axes():
    _, ax = plt.subplots()
    return ax


@pytest.mark.parametrize("call, error, arg", [
    (lambda: pattern_figure("sparse", 8, 2, query=8), ValueError, "query"),
    (lambda: pattern_figure("sparse", 8, 2, query=-1), ValueError, "query"),
    (lambda: pattern_figure("sparse", 8, 2, query=2.0), TypeError, "query"),
    (lambda: pattern_figure("sparse", 8, 0), ValueError, "k"),
    (lambda: draw_mask(_axes(), None), TypeError, "mask"),
    (lambda: draw_mask(_axes(), np.ones((3, 4), bool)), ValueError, "mask"),
    (lambda: draw_mask(_axes(), np.ones((3, 3), bool), title=3), TypeError, "title"),
    (lambda: draw_mask("axes", np.ones((3, 3), bool)), TypeError, "ax"),
    (lambda: draw_arcs(_axes(), np.ones((3, 3), bool), query=3), ValueError, "query"),
    (lambda: patterns_figure("local", 8, 2, 3), TypeError, "names"),
    (lambda: patterns_figure(["local"], 8, 2, 3, titles=["a", "b"]), ValueError, "titles"),
    (lambda: patterns_figure(["local"], 8, 2, 8), ValueError, "query"),
    (lambda: patterns_figure(["strided"], 8, 2, 3), ValueError, "pattern"),
    (lambda: quadratic_cost_figure([512, 1024], [0.1]), ValueError, "times"),
    (lambda: quadratic_cost_figure([], []), ValueError, "lengths"),
    (lambda: quadratic_cost_figure([512], [-1.0]), ValueError, "times"),
    (lambda: timing_figure(None, [8]), TypeError, "timed"),
    (lambda: timing_figure({}, [8]), ValueError, "timed"),
    (lambda: timing_figure({"x": [1.0, 2.0]}, [8]), ValueError, "timed"),
    (lambda: receptive_field_figure([], ["a"]), TypeError, "reach"),
    (lambda: receptive_field_figure({"a": np.ones((2, 2), bool)}, ["b"]), ValueError, "names"),
])
def test_bad_input_is_rejected(call, error, arg):
    try:
        with pytest.raises(error, match=arg):
            call()
    finally:
        plt.close("all")
