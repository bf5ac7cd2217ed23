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

from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import display

__all__ = ["show_figure", "stepped_figure", "figure_html"]


def figure_html(fig: go.Figure, div_id: str | None = None) -> str:
    """The ``<div>`` + script for ``fig`` without plotly.js itself."""
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly Figure, got {type(fig).__name__}")
    return pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def show_figure(fig: go.Figure, div_id: str | None = None) -> None:
    """Display ``fig`` so that it is interactive in JupyterLab and in the book."""
    bundle = {
        "application/vnd.plotly.v1+json": fig.to_plotly_json(),
        "text/html": figure_html(fig, div_id=div_id),
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
