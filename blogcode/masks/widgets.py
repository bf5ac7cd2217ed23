"""The padding explorer of the chapter "Layers within layers, and masks"
(``book/masks.md``): a static explorer and a live widget over
``blogcode.masks.padding.padding_effects``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from blogcode.figures import show_figure, stepped_figure
from blogcode.masks.padding import padding_effects


PADDING_PRESETS = {
    "article [1, 0, 3, 4, 5]": [1.0, 0.0, 3.0, 4.0, 5.0],
    "all negative [-1 … -5]": [-1.0, -2.0, -3.0, -4.0, -5.0],
    "mixed [2, -1, 0.5]": [2.0, -1.0, 0.5],
}


def _padding_traces(values, padded_length: int) -> list:
    """The traces of one explorer step: the padded sequence, the two means and
    maxima, and the two softmax distributions."""
    e = padding_effects(values, padded_length)
    positions = list(range(padded_length))
    colours = ["#1f77b4" if m else "#bbbbbb" for m in e["mask"]]
    return [
        go.Bar(x=positions, y=e["padded"], marker_color=colours, name="sequence (grey = padding)",
               showlegend=False, xaxis="x", yaxis="y",
               hovertemplate="position %{x}: %{y}<extra></extra>"),
        go.Bar(x=["mean", "max"], y=[e["naive_mean"], e["naive_max"]], name="ignoring the mask",
               marker_color="#d62728", xaxis="x2", yaxis="y2", legendgroup="naive",
               text=[f"{e['naive_mean']:.2f}", f"{e['naive_max']:.2f}"], textposition="outside",
               textfont=dict(size=10), cliponaxis=False),
        go.Bar(x=["mean", "max"], y=[e["masked_mean"], e["masked_max"]], name="with the mask",
               marker_color="#2ca02c", xaxis="x2", yaxis="y2", legendgroup="masked",
               text=[f"{e['masked_mean']:.2f}", f"{e['masked_max']:.2f}"], textposition="outside",
               textfont=dict(size=10), cliponaxis=False),
        go.Bar(x=positions, y=e["naive_softmax"], name="softmax ignoring the mask", marker_color="#d62728",
               xaxis="x3", yaxis="y3", legendgroup="naive", showlegend=False),
        go.Bar(x=positions, y=e["masked_softmax"], name="softmax with the mask", marker_color="#2ca02c",
               xaxis="x3", yaxis="y3", legendgroup="masked", showlegend=False),
    ]


def _padding_layout(title: str) -> dict:
    return dict(
        title=title,
        height=430,
        barmode="group",
        margin=dict(l=50, r=20, t=70, b=40),
        legend=dict(orientation="h", y=1.12, x=0.5, xanchor="center"),
        xaxis=dict(domain=[0, 0.3], title="position", dtick=1),
        yaxis=dict(title="value"),
        xaxis2=dict(domain=[0.38, 0.58], anchor="y2"),
        yaxis2=dict(anchor="x2", title="statistic"),
        xaxis3=dict(domain=[0.66, 1.0], anchor="y3", title="position", dtick=1),
        yaxis3=dict(anchor="x3", title="probability", range=[0, 1]),
    )


def padding_figure(values, padded_length: int) -> go.Figure:
    """One case of the padding explorer (used by the live widget)."""
    fig = go.Figure(_padding_traces(values, padded_length))
    fig.update_layout(**_padding_layout(f"{len(values)} real values padded to {padded_length}"))
    return fig


def padding_explorer(presets: dict | None = None, max_length: int = 12) -> go.Figure:
    """Static explorer: every preset sequence at every padded length from its
    own length to ``max_length``, precomputed, chosen with one slider."""
    presets = PADDING_PRESETS if presets is None else presets
    if not presets:
        raise ValueError("presets must name at least one sequence")
    steps = []
    for name, values in presets.items():
        if len(values) > max_length:
            raise ValueError(f"max_length={max_length} is shorter than preset {name!r}")
        for length in range(len(values), max_length + 1):
            steps.append((f"{name}, padded to {length}", _padding_traces(values, length)))
    return stepped_figure(
        steps, slider_label="case",
        layout=_padding_layout("What padding does to a mean, a max and a softmax"),
    )


def parse_sequence(text: str) -> list[float]:
    """``"1, 0, 3"`` -> ``[1.0, 0.0, 3.0]``; a clear ValueError otherwise."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("text holds no numbers; type e.g. 1, 0, 3, 4, 5")
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"text must be numbers separated by commas, got {text!r}") from None


def padding_live_widget(text: str = "1, 0, 3, 4, 5", padded_length: int = 8):
    """Live version (needs a kernel): type a sequence, drag the padded length."""
    import ipywidgets as w

    box = w.Text(value=text, description="sequence")
    slider = w.IntSlider(value=padded_length, min=1, max=20, description="padded to")
    out = w.Output()

    def redraw(*_):
        out.clear_output(wait=True)
        with out:
            try:
                values = parse_sequence(box.value)
                slider.min = 1
                slider.value = max(slider.value, len(values))
                show_figure(padding_figure(values, slider.value))
            except ValueError as err:
                print(f"⚠ {err}")

    box.observe(redraw, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([box, slider]), out])
