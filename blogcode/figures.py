"""Interactive figures that work both with a kernel and in the static HTML book.

Used by every chapter with an explorer (first: "Layers within layers, and
masks"). Two rules make the static pages explorable without a kernel:

1. ``show_figure(fig)`` displays a plotly figure as a MIME bundle holding both
   the plotly JSON (JupyterLab draws it natively) and an HTML ``<div>`` that
   relies on the page's single copy of plotly.js (``book/_ext/page_scripts.py``
   loads, once per page with figures, the smallest plotly.js bundle from ``_static``
   that draws the page's trace types). So the library is loaded once per page, not
   once per figure.
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
