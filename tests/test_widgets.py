"""Tests of blogcode.widgets (the one shape of live widget)."""

import ipywidgets as w
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402

from blogcode.widgets import LiveView, LiveWidget  # noqa: E402


def square_view(x, double):
    if x < 0:
        raise ValueError("x must be >= 0")
    y = 2 * x * x if double else x * x
    return LiveView(go.Figure(go.Scatter(x=[x], y=[y])), text=f"y = {y}", result=y)


def controls(x=3):
    return {"x": w.IntSlider(value=x, min=-5, max=5), "double": w.Checkbox(value=False)}


def test_live_widget_calls_the_view_on_every_change():
    live = LiveWidget(square_view, controls())
    assert live.result == 9 and live.text == "y = 9" and isinstance(live.figure, go.Figure)
    assert live.values == {"x": 3, "double": False}
    live.controls["double"].value = True
    assert live.result == 18 and live.message.value == "y = 18"
    live.controls["x"].value = -1                         # the view's ValueError is shown, not raised
    assert live.result is None and live.figure is None and "x must be" in live.error
    assert "no result for these settings" in live.message.value
    live.controls["x"].value = 2
    assert live.error is None and live.result == 8


def test_live_widget_lays_out_rows_and_displays_as_its_box():
    live = LiveWidget(square_view, controls(), rows=[["x"], ["double"]])
    first, second = live.widget.children[:2]
    assert first.children == (live.controls["x"],) and second.children == (live.controls["double"],)
    bundle = live._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_live_widget_shows_matplotlib_figures_and_closes_them():
    def view(n):
        fig, ax = plt.subplots()
        ax.plot(range(n))
        return LiveView(fig, text=f"{n} points", result=n)

    before = len(plt.get_fignums())
    live = LiveWidget(view, {"n": w.IntSlider(value=4, min=1, max=9)})
    live.controls["n"].value = 6
    assert live.result == 6 and len(plt.get_fignums()) == before


def test_live_widget_escapes_its_text():
    live = LiveWidget(lambda s: LiveView(None, text=s), {"s": w.Text(value="<b>x</b>")})
    assert live.message.value == "&lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize("make, error, word", [
    (lambda: LiveWidget(3, controls()), TypeError, "view"),
    (lambda: LiveWidget(square_view, [1]), TypeError, "controls"),
    (lambda: LiveWidget(square_view, {}), ValueError, "controls"),
    (lambda: LiveWidget(square_view, {"x": 3}), TypeError, "controls"),
    (lambda: LiveWidget(square_view, controls(), rows=[["x"]]), ValueError, "rows"),
    (lambda: LiveWidget(square_view, controls(), errors=ValueError), TypeError, "errors"),
    (lambda: LiveWidget(lambda x, double: 3, controls()), TypeError, "LiveView"),
])
def test_live_widget_rejects_bad_arguments(make, error, word):
    with pytest.raises(error, match=word):
        make()
