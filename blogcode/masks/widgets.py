"""The padding explorer of the chapter "Layers within layers, and masks"
(``book/masks.md``): a static explorer and a live widget over one view,
both drawn by ``blogcode.masks.figures`` from
``blogcode.masks.padding.padding_effects``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from blogcode import checks
from blogcode.figures import stepped_figure
from blogcode.masks.figures import padding_figure, padding_layout, padding_traces
from blogcode.masks.padding import padding_effects
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["PADDING_PRESETS", "padding_explorer", "parse_sequence", "padding_view", "padding_live_widget"]

PADDING_PRESETS = {
    "article [1, 0, 3, 4, 5]": [1.0, 0.0, 3.0, 4.0, 5.0],
    "all negative [-1 … -5]": [-1.0, -2.0, -3.0, -4.0, -5.0],
    "mixed [2, -1, 0.5]": [2.0, -1.0, 0.5],
}


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
            steps.append((f"{name}, padded to {length}", padding_traces(values, length)))
    return stepped_figure(
        steps, slider_label="case",
        layout=padding_layout("What padding does to a mean, a max and a softmax"),
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


def padding_view(text: str = "1, 0, 3, 4, 5", padded_length: int = 8) -> LiveView:
    """One setting of the live widget: the typed sequence, padded to
    ``padded_length`` or to its own length if that is longer. The result is
    ``padding_effects`` of that case."""
    values = parse_sequence(text)
    padded_length = max(checks.positive_int(padded_length, "padded_length"), len(values))
    effects = padding_effects(values, padded_length)
    line = (f"{len(values)} real values padded to {padded_length}: mean {effects['naive_mean']:.3f} ignoring "
            f"the mask, {effects['masked_mean']:.3f} with it; max {effects['naive_max']:.3f} vs "
            f"{effects['masked_max']:.3f}")
    return LiveView(figure=padding_figure(values, padded_length), text=line, result=effects)


def padding_live_widget(text: str = "1, 0, 3, 4, 5", padded_length: int = 8) -> LiveWidget:
    """Live version (needs a kernel): type a sequence, drag the padded length
    (a sequence longer than the slider is padded to its own length)."""
    import ipywidgets as w

    text = checks.string(text, "text")
    padded_length = checks.integer(padded_length, "padded_length", minimum=1, maximum=20)
    controls = {"text": w.Text(value=text, description="sequence"),
                "padded_length": w.IntSlider(value=padded_length, min=1, max=20, description="padded to")}
    return LiveWidget(padding_view, controls, rows=[["text", "padded_length"]])
