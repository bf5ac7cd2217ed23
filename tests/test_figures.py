"""Tests of blogcode.figures (static explorers)."""

import base64
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from blogcode.figures import figure_html, stepped_figure


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


def _arrays(html):
    """The typed arrays of the figure in ``html``, decoded: [(dtype, values)]."""
    data = json.JSONDecoder().raw_decode(html, re.search(r'Plotly\.newPlot\(\s*"[^"]*",\s*', html).end())[0]
    out = []
    def walk(o):
        if isinstance(o, dict) and "bdata" in o:
            out.append((o["dtype"], np.frombuffer(base64.b64decode(o["bdata"]), dtype="<" + o["dtype"])))
        elif isinstance(o, dict):
            [walk(v) for v in o.values()]
        elif isinstance(o, list):
            [walk(v) for v in o]
    walk(data)
    return out


def test_figure_html_stores_float64_as_float32_where_invisible():
    x = np.linspace(0.0, 2.0, 201)
    html = figure_html(go.Figure(go.Scatter(x=x, y=np.sin(x))))
    (dx, vx), (dy, vy) = _arrays(html)
    assert dx == dy == "f4"
    np.testing.assert_allclose(vx, x, rtol=1e-6)
    np.testing.assert_allclose(vy, np.sin(x), atol=1e-6)


@pytest.mark.parametrize("values", [
    np.array([1.7e9, 1.7e9 + 1.0, 1.7e9 + 2.0]),   # a large offset: float32 would merge the points
    np.array([1e-40, 1.0, 2.0]),                     # below float32's normal range (a log axis)
    np.array([1e39, 1.0, 2.0]),                      # above it
])
def test_figure_html_keeps_float64_where_float32_would_show(values):
    (dtype, stored), = _arrays(figure_html(go.Figure(go.Scatter(y=values))))
    assert dtype == "f8" and np.array_equal(stored, values)


def test_stepped_figure_bad_input():
    with pytest.raises(ValueError, match="steps"):
        stepped_figure([], slider_label="x")
    with pytest.raises(ValueError, match="traces"):
        stepped_figure([("a", [go.Scatter()]), ("b", [])], slider_label="x")
    with pytest.raises(ValueError, match="active"):
        stepped_figure([("a", [go.Scatter()])], slider_label="x", active=3)
    with pytest.raises(TypeError, match="fig"):
        figure_html("not a figure")


def test_markdown_table():
    from blogcode.figures import markdown_table

    text = markdown_table(["a", "b"], [[1, "x|y"], [2.5, "z"]])
    assert text.splitlines() == ["| a | b |", "| --- | --- |", "| 1 | x\\|y |", "| 2.5 | z |"]
    with pytest.raises(ValueError, match="rows\\[0\\]"):
        markdown_table(["a"], [[1, 2]])
    with pytest.raises(ValueError, match="header"):
        markdown_table([], [])


def test_show_figure_gives_the_figure_alt_text(monkeypatch):
    import blogcode.figures as W

    shown = []
    monkeypatch.setattr(W, "display", lambda bundle, raw: shown.append(bundle))
    steps = [(f"k={k}", [go.Scatter(y=[k, k])]) for k in range(3)]
    W.show_figure(stepped_figure(steps, slider_label="k", layout={"title": 'A "quoted" & <b>bold</b> title'}))
    html = shown[0]["text/html"]
    assert html.startswith('<div class="blogcode-figure" role="figure" aria-label="Interactive plotly figure: ')
    assert "A &quot;quoted&quot; &amp; bold title." in html and "A slider below it (k) switches between 3" in html
    W.show_figure(go.Figure(layout={"title": "Solid<br><sub>l = 2.4</sub>"}))
    assert 'aria-label="Interactive plotly figure: Solid; l = 2.4."' in shown[1]["text/html"]
    W.show_figure(go.Figure(), alt="custom")
    assert 'aria-label="custom"' in shown[2]["text/html"]
