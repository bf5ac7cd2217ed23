"""Explorers of the chapter "Gluing two elliptical sheets" (``book/ellipse.md``).

The static explorers and the live widgets draw through the same function,
:func:`blogcode.ellipse.figures.step_traces` (the solid, its criterion ``c(s)``
and the numbers), from the same solver, :func:`blogcode.ellipse.gluing.glue` /
:func:`blogcode.ellipse.gluing.glue_pair`:

* :func:`ratio_explorer` -- identical sheets, one precomputed slider step per
  ``b/a`` (``a = 1``), via :func:`blogcode.figures.stepped_figure`;
* :func:`pair_explorer` -- sheet 1 fixed, one step per shape ``b2/a2`` of sheet 2;
* :func:`glue_view` / :func:`pair_view` -- the pure views of one setting;
* :func:`live_widget` / :func:`pair_live_widget` -- sliders over those views
  (need a running kernel).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.ellipse.arc import EllipseArc, scale_to_quarter_perimeter
from blogcode.ellipse.figures import STEP_PLACES, glue_figure, glue_layout, glue_subplots, numbers_text, step_traces
from blogcode.ellipse.gluing import glue, glue_pair
from blogcode.figures import stepped_figure
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["LINE_PLACES", "lean_traces", "wrap_text", "ratio_explorer", "pair_explorer", "glue_view", "pair_view", "live_widget", "pair_live_widget"]


#: Decimal places kept in the explorers' gappy 3D lines (a solid about 2 units across:
#: 0.001 is half a pixel of a 1000-pixel scene).
LINE_PLACES = 3


def _rounded_list(values, places: int):
    """``values`` (any shape) as nested lists rounded to ``places`` decimals, NaN as ``None``."""
    array = np.round(np.asarray(values, dtype=float), places)
    return np.where(np.isfinite(array), array, None).tolist()


def lean_traces(traces, places: int = LINE_PLACES) -> list:
    """``traces`` with the coordinates of their surfaces and gapped lines rounded to
    ``places`` decimals and written as decimal lists: a gapped line (a list holding
    ``None``) is otherwise written at full precision by ``blogcode.figures.figure_html``,
    and a surface as float32 bytes, which compress far less than short decimals. Together
    about 40% of an explorer step's compressed bytes, and invisible."""
    places = checks.integer(places, "places", minimum=1)
    for trace in traces:
        for key in ("x", "y", "z"):
            values = trace[key] if key in trace else None
            if values is None or isinstance(values, str):
                continue
            if trace.type == "surface":
                trace[key] = _rounded_list(values, places)
            elif any(v is None for v in values):
                trace[key] = [None if v is None else round(float(v), places) for v in values]
    return list(traces)


def wrap_text(traces) -> list:
    """``traces`` with the clauses of their text (``"a; b: c"``) on lines of their own, so
    that the "does not glue" message fits the narrow criterion panel instead of running
    off both of its sides; that message is moved from above ``c = 0`` (the top edge of
    the panel when ``c`` dips below zero) into the panel, under the right half of the curve."""
    lines = [t for t in traces if t.type == "scatter" and t.mode == "lines" and t.y is not None and len(t.y)]
    for trace in traces:
        if trace.type == "scatter" and trace.mode == "text" and trace.text is not None:
            trace.text = [t.replace("; ", "<br>").replace(": ", ":<br>").replace(" at ", "<br>at ") for t in trace.text]
            if lines and any("does not glue" in t for t in trace.text):
                trace.x, trace.y = [0.7], [0.6 * float(min(lines[0].y))]
                trace.textposition = "middle center"
    return list(traces)


def _explorer(steps, title, slider_label, active) -> go.Figure:
    steps = [(label, wrap_text(lean_traces(traces))) for label, traces in steps]
    fig = stepped_figure(steps, slider_label=slider_label, active=active, subplots=glue_subplots(),
                         rows_cols=[STEP_PLACES])
    fig = glue_layout(fig, title)
    # The two-line title above the panel titles, inside a phone's width.
    fig.update_layout(title=dict(yref="container", y=1.0, yanchor="top", pad=dict(t=22), x=0.02, xanchor="left"),
                      margin=dict(t=90))
    return fig


def ratio_explorer(ratios, n: int = 121, active: int | None = None) -> go.Figure:
    """Static explorer for identical sheets: one precomputed step per ``b/a`` (``a = 1``)."""
    ratios = [checks.positive_real(q, "ratios[]") for q in checks.nonempty(ratios, "ratios")]
    n = checks.integer(n, "n", minimum=3)
    steps = []
    for i, q in enumerate(ratios):
        res = glue(1.0, q, n=n)
        steps.append((f"{q:.2f}", step_traces(res, first=i == 0)))
    active = len(ratios) // 2 if active is None else active
    return _explorer(steps, "Identical sheets, a = 1<br><sup>move the slider over b/a</sup>", "b/a", active)


def pair_explorer(sheet1, ratios2, n: int = 121, active: int | None = None) -> go.Figure:
    """Static explorer for two different sheets: sheet 1 fixed, sheet 2 of shape
    ``q2 = b2/a2`` scaled to sheet 1's quarter perimeter (``q2 > 1``: bent along its short axis)."""
    arc1 = EllipseArc(*sheet1)
    ratios2 = [checks.positive_real(q, "ratios2[]") for q in checks.nonempty(ratios2, "ratios2")]
    n = checks.integer(n, "n", minimum=3)
    steps = []
    for i, q in enumerate(ratios2):
        sheet2 = scale_to_quarter_perimeter(1.0, float(q), arc1.l)
        res = glue_pair(sheet1, sheet2, n=n)
        steps.append((f"{q:.2f}", step_traces(res, first=i == 0)))
    active = 0 if active is None else active
    return _explorer(steps, f"Sheet 1 = {tuple(sheet1)}, sheet 2 of shape b2/a2<br>"
                            "<sup>scaled to the same quarter perimeter</sup>", "b2/a2", active)


def glue_view(a, b, n: int = 161) -> LiveView:
    """Identical sheets ``(a, b)``: the solid and its criterion, the numbers, the ``GlueResult``.
    ``ValueError`` (e.g. for ``a < b``) means there is no solid."""
    res = glue(a, b, n=n)
    return LiveView(glue_figure(res, f"Identical sheets a = {res.sheet1[0]:g}, b = {res.sheet1[1]:g}"),
                    numbers_text(res), res)


def pair_view(a1, b1, a2, b2, n: int = 161) -> LiveView:
    """Sheet ``(a1, b1)`` and a sheet of shape ``(a2, b2)`` rescaled to its quarter perimeter
    (either orientation): the solid (if any) and its criterion, the numbers, the ``GlueResult``."""
    sheet1 = (a1, b1)
    arc1 = EllipseArc(*sheet1)
    sheet2 = scale_to_quarter_perimeter(a2, b2, arc1.l)
    res = glue_pair(sheet1, sheet2, n=n)
    text = f"sheet 2 scaled to ({sheet2[0]:.4f}, {sheet2[1]:.4f}); " + numbers_text(res)
    return LiveView(glue_figure(res), text, res)


def _slider(value, description):
    import ipywidgets as w

    return w.FloatSlider(value=value, min=0.2, max=4.0, step=0.05, description=description)


def live_widget(a: float = 2.0, b: float = 1.0, n: int = 161) -> LiveWidget:
    """Sliders for ``a`` and ``b`` over :func:`glue_view` (needs a running kernel)."""
    n = checks.integer(n, "n", minimum=3)

    def view(a, b):
        return glue_view(a, b, n=n)

    return LiveWidget(view, {"a": _slider(a, "a"), "b": _slider(b, "b")})


def pair_live_widget(a1: float = 2.0, b1: float = 1.0, a2: float = 1.0, b2: float = 1.0,
                     n: int = 161) -> LiveWidget:
    """Sliders for sheet 1 ``(a1, b1)`` and the shape ``(a2, b2)`` of sheet 2 over
    :func:`pair_view` (needs a running kernel)."""
    n = checks.integer(n, "n", minimum=3)

    def view(a1, b1, a2, b2):
        return pair_view(a1, b1, a2, b2, n=n)

    controls = {"a1": _slider(a1, "a1"), "b1": _slider(b1, "b1"), "a2": _slider(a2, "a2"), "b2": _slider(b2, "b2")}
    return LiveWidget(view, controls, rows=[["a1", "b1"], ["a2", "b2"]])
