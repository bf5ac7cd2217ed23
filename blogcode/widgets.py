"""Interactive figures that work both with a kernel and in the static HTML book.

Used by every chapter with an explorer (first: "Layers within layers, and
masks"). Two rules make the static pages explorable without a kernel:

1. ``show_figure(fig)`` displays a plotly figure as a MIME bundle holding both
   the plotly JSON (JupyterLab draws it natively) and an HTML ``<div>`` that
   relies on the page's single copy of plotly.js (the book loads
   ``plotly.min.js`` once per page from ``_static``; see ``_config.yml``).
   So the library is loaded once per page, not once per figure.
2. ``stepped_figure(steps, ...)`` precomputes every slider position: each step
   is a list of traces, all steps are stored in one figure, and a plotly
   slider toggles which step is visible. Moving the slider needs no kernel.

The live ``ipywidgets`` versions are thin layers over the same pure
functions, so the static and live explorers always show the same numbers.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import display

__all__ = ["show_figure", "stepped_figure", "figure_html", "figure_label", "markdown_table"]


def _as_float32(values: np.ndarray) -> np.ndarray:
    """``values`` as float32 when that is invisible in a plot (finite values in
    float32's normal range, spread at least 1/1000 of their magnitude, so the
    rounding is below 1e-4 of the axis range), else unchanged."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return values.astype(np.float32)
    big = np.abs(finite).max()
    small = np.abs(finite[finite != 0]).min(initial=np.inf)
    spread = finite.max() - finite.min()
    if big > 1e38 or small < 1e-37 or (big > 0 and spread < big * 1e-3 and spread != 0):
        return values
    return values.astype(np.float32)


def _compact(obj):
    """A figure dict with its float64 arrays (NumPy arrays, or plotly.py's
    base64 typed arrays ``{"dtype": "f8", "bdata": ...}``) stored as float32
    where that is invisible: this halves the data of a figure in the page."""
    if isinstance(obj, np.ndarray) and obj.dtype == np.float64:
        return _as_float32(obj)
    if isinstance(obj, dict) and obj.get("dtype") == "f8" and isinstance(obj.get("bdata"), str):
        values = _as_float32(np.frombuffer(base64.b64decode(obj["bdata"]), dtype="<f8"))
        if values.dtype == np.float32:
            return {**obj, "dtype": "f4", "bdata": base64.b64encode(values.astype("<f4").tobytes()).decode("ascii")}
        return obj
    if isinstance(obj, dict):
        return {k: _compact(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_compact(v) for v in obj)
    return obj


def figure_html(fig: go.Figure, div_id: str | None = None) -> str:
    """The ``<div>`` + script for ``fig`` without plotly.js itself (its float64
    arrays as float32 where that is invisible, see ``_as_float32``)."""
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly Figure, got {type(fig).__name__}")
    return pio.to_html(
        _compact(fig.to_plotly_json()),
        validate=False,
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table (rendered by the book and by JupyterLab) from a header
    and rows of cells; cells are converted with ``str``."""
    if len(header) == 0:
        raise ValueError("header must name at least one column")
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells, header has {len(header)}")
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header))] + [line(r) for r in rows])


def figure_label(fig: go.Figure) -> str:
    """Alt text for a plotly figure: its title, and what its slider does.

    Plotly draws into a ``<div>`` (SVG/WebGL), which has no ``alt`` attribute;
    ``show_figure`` puts this text on the container as ``aria-label``."""
    title = fig.layout.title.text or "untitled figure"
    # Plotly titles may hold <br> and <sub>; alt text is plain text.
    title = re.sub(r"<[^>]+>", "", re.sub(r"\s*<br\s*/?>\s*", "; ", title)).strip()
    label = f"Interactive plotly figure: {title}."
    for slider in fig.layout.sliders or ():
        prefix = ((slider.currentvalue.prefix or "") if slider.currentvalue else "").strip().rstrip(":")
        n = len(slider.steps or ())
        label += (f" A slider below it{f' ({prefix})' if prefix else ''} switches between"
                  f" {n} precomputed cases; the current case is printed above the slider.")
    return label


def show_figure(fig: go.Figure, div_id: str | None = None, alt: str | None = None) -> None:
    """Display ``fig`` so that it is interactive in JupyterLab and in the book.

    In the book the figure's ``<div>`` sits in a container with ``role="figure"``
    and ``aria-label`` = ``alt`` (default: ``figure_label(fig)``), its alt text."""
    label = html.escape(alt if alt is not None else figure_label(fig), quote=True)
    bundle = {
        "application/vnd.plotly.v1+json": fig.to_plotly_json(),
        "text/html": (f'<div class="blogcode-figure" role="figure" aria-label="{label}">'
                      f"{figure_html(fig, div_id=div_id)}</div>"),
        "text/plain": f"<plotly figure: {fig.layout.title.text or 'untitled'}>",
    }
    display(bundle, raw=True)


def stepped_figure(
    steps: Sequence[tuple[str, Sequence[go.BaseTraceType]]],
    *,
    slider_label: str,
    active: int = 0,
    layout: dict | None = None,
    subplots: go.Figure | None = None,
    rows_cols: Sequence[Sequence[tuple[int, int]]] | None = None,
) -> go.Figure:
    """One figure holding every precomputed slider step.

    ``steps`` is a list of ``(label, traces)``; every step must have the same
    number of traces. ``subplots`` is an optional figure from
    ``plotly.subplots.make_subplots`` to add the traces to, in which case
    ``rows_cols[i][j]`` gives the ``(row, col)`` of trace ``j`` of step ``i``
    (or ``rows_cols`` of length 1, reused for every step).
    """
    if len(steps) == 0:
        raise ValueError("steps must contain at least one (label, traces) pair")
    n_traces = len(steps[0][1])
    if n_traces == 0:
        raise ValueError("steps[0] has no traces")
    for i, (label, traces) in enumerate(steps):
        if len(traces) != n_traces:
            raise ValueError(
                f"steps[{i}] ({label!r}) has {len(traces)} traces, expected {n_traces}"
            )
    if not 0 <= active < len(steps):
        raise ValueError(f"active must be in [0, {len(steps)}), got {active}")
    if rows_cols is not None and len(rows_cols) not in (1, len(steps)):
        raise ValueError("rows_cols must have one entry, or one per step")

    fig = subplots if subplots is not None else go.Figure()
    for i, (_, traces) in enumerate(steps):
        for j, trace in enumerate(traces):
            trace.visible = i == active
            if rows_cols is None:
                fig.add_trace(trace)
            else:
                row, col = rows_cols[i if len(rows_cols) > 1 else 0][j]
                fig.add_trace(trace, row=row, col=col)

    slider_steps = []
    for i, (label, _) in enumerate(steps):
        visible = [k // n_traces == i for k in range(n_traces * len(steps))]
        slider_steps.append({"label": label, "method": "restyle", "args": [{"visible": visible}]})
    fig.update_layout(
        sliders=[
            {
                "active": active,
                "currentvalue": {"prefix": f"{slider_label}: "},
                "pad": {"t": 40},
                "steps": slider_steps,
            }
        ],
        **(layout or {}),
    )
    return fig


# --------------------------------------------------------------------------- masks chapter

PADDING_PRESETS = {
    "article [1, 0, 3, 4, 5]": [1.0, 0.0, 3.0, 4.0, 5.0],
    "all negative [-1 … -5]": [-1.0, -2.0, -3.0, -4.0, -5.0],
    "mixed [2, -1, 0.5]": [2.0, -1.0, 0.5],
}


def _padding_traces(values, padded_length: int) -> list:
    """The traces of one explorer step: the padded sequence, the two means and
    maxima, and the two softmax distributions."""
    from blogcode.masking import padding_effects

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
