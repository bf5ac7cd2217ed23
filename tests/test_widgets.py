"""Tests of blogcode.widgets (static explorers)."""

import plotly.graph_objects as go
import pytest

from blogcode.widgets import figure_html, stepped_figure


def test_stepped_figure_toggles_visibility():
    steps = [(f"k={k}", [go.Scatter(y=[k, k]), go.Bar(y=[k])]) for k in range(3)]
    fig = stepped_figure(steps, slider_label="k", active=1)
    assert len(fig.data) == 6
    assert [t.visible for t in fig.data] == [False, False, True, True, False, False]
    slider = fig.layout.sliders[0]
    assert [s.label for s in slider.steps] == ["k=0", "k=1", "k=2"]
    assert slider.steps[2].args[0]["visible"] == [False] * 4 + [True] * 2


def test_figure_html_does_not_embed_plotly_js():
    html = figure_html(go.Figure(go.Scatter(y=[1, 2])))
    assert "<div" in html and len(html) < 50_000  # plotly.js itself is ~4 MB


def test_stepped_figure_bad_input():
    with pytest.raises(ValueError, match="steps"):
        stepped_figure([], slider_label="x")
    with pytest.raises(ValueError, match="traces"):
        stepped_figure([("a", [go.Scatter()]), ("b", [])], slider_label="x")
    with pytest.raises(ValueError, match="active"):
        stepped_figure([("a", [go.Scatter()])], slider_label="x", active=3)
    with pytest.raises(TypeError, match="fig"):
        figure_html("not a figure")
