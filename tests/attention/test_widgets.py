"""Tests of blogcode.attention.widgets (the pattern explorer and its live widget)."""

import numpy as np
import pytest

from blogcode.attention.patterns import sparse_mask
from blogcode.attention.widgets import PATTERNS, pattern_explorer, pattern_live_widget, pattern_view
from blogcode.widgets import LiveView


def test_explorer_precomputes_every_step():
    explorer = pattern_explorer(12, ks=(2, 3))
    steps = 2 + 3 * 2 * 2  # dense once, the others per k; causal or not
    assert len(explorer.layout.sliders[0].steps) == steps and len(explorer.data) == 3 * steps
    assert explorer.layout.sliders[0].steps[-1].label == "sparse 3 c"
    assert PATTERNS == ("dense", "atrous", "local", "sparse")


def test_explorer_layout_keeps_legend_title_and_slider_apart():
    """The layout seen in screenshots at 1280 and 390 px: the legend in the top margin
    above the panels, the slider's current value below the axis titles, a short title."""
    fig = pattern_explorer(12, ks=(2,))
    layout = fig.layout
    assert layout.legend.yanchor == "bottom" and layout.legend.y > 1          # above the panels
    assert layout.margin.t >= 100 and layout.margin.b >= 60
    slider = layout.sliders[0]
    assert slider.pad.t >= 60 and slider.pad.l > 0 and slider.pad.r > 0
    first_line = layout.title.text.split("<br>")[0]
    assert len(first_line) <= 32, first_line                                 # fits a phone's width
    assert max(len(step.label) for step in slider.steps) <= 10


def test_view_is_the_figure_and_the_counts():
    shown = pattern_view("sparse", n=24, k=4, query=12)
    assert isinstance(shown, LiveView)
    assert shown.result["one_layer"] == sparse_mask(24, 4)[12].sum()
    assert shown.figure.data[2].marker.color.count("#d62728") == shown.result["one_layer"]
    assert "query 12 sees" in shown.text
    np.testing.assert_array_equal(shown.result["mask"], sparse_mask(24, 4))
    assert pattern_view("local", n=9).result["one_layer"] == 9   # default query: the middle one


def test_live_widget_builds_and_reacts():
    pytest.importorskip("ipywidgets")
    from blogcode.widgets import LiveWidget

    live = pattern_live_widget(12, 3)
    assert isinstance(live, LiveWidget)
    assert len(live.widget.children) == 4   # two rows of controls, the message, the figure
    assert live.result["one_layer"] == sparse_mask(12, 3)[6].sum()
    live.controls["n"].value = 5            # the query slider follows the length
    assert live.controls["query"].max == 4 and live.controls["query"].value == 4 and live.error is None
    live.controls["pattern"].value = "local"
    assert live.figure.layout.title.text.startswith("local, n = 5, k = 3: query 4")


@pytest.mark.parametrize("call, error, arg", [
    (lambda: pattern_explorer(8, ks=()), ValueError, "ks"),
    (lambda: pattern_explorer(8, ks=None), TypeError, "ks"),
    (lambda: pattern_explorer(8, ks=(2, 1.5)), TypeError, "ks"),
    (lambda: pattern_explorer(8, query=9), ValueError, "query"),
    (lambda: pattern_view("strided", 8, 2), ValueError, "pattern"),
    (lambda: pattern_view("sparse", 8, 2, query=8), ValueError, "query"),
    (lambda: pattern_view("sparse", 8.0, 2), TypeError, "n"),
    (lambda: pattern_live_widget(2, 3), ValueError, "n"),
    (lambda: pattern_live_widget(12, 3.0), TypeError, "k"),
])
def test_bad_input_is_rejected(call, error, arg):
    with pytest.raises(error, match=arg):
        call()
