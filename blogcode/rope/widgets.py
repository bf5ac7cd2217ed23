"""Explorers of the chapter "The shape of a rotating rope" (``book/rope.md``).

Both the static (kernel-free) explorers and the live ``ipywidgets`` widget draw
with the same function, :func:`blogcode.rope.figures.rope_traces`, from the same
solver (:func:`blogcode.rope.solver.shown_equilibria`):

* :func:`omega_steps` -- the solutions at every slider position over ``omega``
  (pure; no plotting);
* :func:`omega_explorer` -- those steps as one plotly figure with a slider, via
  :func:`blogcode.figures.stepped_figure`, so the static HTML page can be
  explored without a kernel;
* :func:`rope_view` -- the pure view of one setting (figure, numbers, result);
* :func:`live_widget` -- sliders for ``omega, g``, the length and the end point
  (or a free end) over :func:`rope_view` (needs a running kernel).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.figures import stepped_figure
from blogcode.rope.figures import axis_ranges, solution_figure, numbers_lines, rope_layout, rope_subplots, \
    rope_traces, trace_places
from blogcode.rope.solver import RopeSolveError, shown_equilibria
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["EXPLORER_POINTS", "thin_traces", "omega_steps", "omega_explorer", "rope_view", "live_widget"]


def omega_steps(g, length, start, end, omegas, *, n_scan: int = 101):
    """Precompute ``(omega, main, others)`` for every ``omega`` (pure; no plotting).

    Both ends fixed: continuation in ``omega`` from the lowest-energy rope at
    ``omegas[0]``. Free end: every equilibrium at each ``omega``.
    """
    omegas = [checks.real(om, "omegas[]", minimum=0.0) for om in checks.nonempty(omegas, "omegas")]
    out, prev = [], None
    for om in omegas:
        main, others = shown_equilibria(float(om), g, length, start, end, guess=prev, n_scan=n_scan)
        if end is not None:
            prev = main
        out.append((float(om), main, others))
    return out


#: Points kept per curve in the static explorer: the solver's 401 samples drawn as a
#: smooth line need far fewer, and every slider step stores every curve.
EXPLORER_POINTS = 101


def thin_traces(traces, points: int = EXPLORER_POINTS) -> list:
    """``traces`` with every line longer than ``points`` samples thinned to about
    ``points`` (evenly by index, both ends kept). The numbers shown in a step are
    computed from the full solution before, so they are unchanged."""
    points = checks.integer(points, "points", minimum=2)
    for trace in traces:
        x = trace.x
        if x is None or len(x) <= points:
            continue
        n = len(x)
        keep = np.unique(np.r_[np.round(np.linspace(0, n - 1, points)).astype(int), n - 1])
        trace.x, trace.y = np.asarray(x)[keep], np.asarray(trace.y)[keep]
    return list(traces)


def omega_explorer(steps, *, title: str, max_others: int = 4, active: int = 0) -> go.Figure:
    """A kernel-free figure with one precomputed slider step per ``omega``."""
    all_ropes = [r for _, m, o in steps for r in (m, *o[:max_others])]
    xr, yr, tr = axis_ranges(all_ropes)
    n_traces = 2 + max_others + 1
    rows_cols = [trace_places(max_others)]
    fig = stepped_figure(
        [(f"{om:.2f}", thin_traces(rope_traces(m, o, max_others))) for om, m, o in steps],
        slider_label="ω", active=active, subplots=rope_subplots(), rows_cols=rows_cols,
    )
    assert len(fig.data) == n_traces * len(steps)
    return rope_layout(fig, title, xr, yr, tr)


def rope_view(omega, g, length, end_x, end_y, free_end, *, start=(0.0, 0.0), max_others: int = 4) -> LiveView:
    """One setting of the live widget: the figure, its numbers and ``(main, others)``."""
    end = None if free_end else (end_x, end_y)
    main, others = shown_equilibria(omega, g, length, start, end, modes=(1, 2))   # as rope_figure solves
    fig = solution_figure(main, others, max_others=max_others)
    return LiveView(fig, "; ".join(numbers_lines(main, others)), (main, others))


def live_widget(omega=2.0, g=3.0, length=1.4, end=(0.6, 0.8), start=(0.0, 0.0)) -> LiveWidget:
    """Sliders for omega, g, the length and the end point (or a free end).

    Needs a running kernel; every redraw calls :func:`rope_view`, which draws
    what :func:`blogcode.rope.figures.rope_figure` draws.
    """
    import ipywidgets as w

    style = {"description_width": "initial"}
    controls = {
        "omega": w.FloatSlider(value=omega, min=0.0, max=8.0, step=0.1, description="ω", style=style,
                               continuous_update=False),
        "g": w.FloatSlider(value=g, min=0.0, max=10.0, step=0.1, description="g", style=style,
                           continuous_update=False),
        "length": w.FloatSlider(value=length, min=0.2, max=3.0, step=0.05, description="length",
                                style=style, continuous_update=False),
        "end_x": w.FloatSlider(value=end[0], min=-1.5, max=1.5, step=0.05, description="end x",
                               style=style, continuous_update=False),
        "end_y": w.FloatSlider(value=end[1], min=-1.5, max=1.5, step=0.05, description="end y",
                               style=style, continuous_update=False),
        "free_end": w.Checkbox(value=False, description="free end (ignore end x, y)", style=style),
    }

    def view(omega, g, length, end_x, end_y, free_end):
        # A slider moved back sends its value with float noise (0.6 returns as
        # 0.6000000000000001), which the solver turns into a visibly different
        # figure: rounded to the sliders' grid, one position always draws one figure.
        omega, g, length, end_x, end_y = (round(v, 6) for v in (omega, g, length, end_x, end_y))
        return rope_view(omega, g, length, end_x, end_y, free_end, start=start)

    return LiveWidget(view, controls, rows=[["omega", "g", "length"], ["end_x", "end_y", "free_end"]],
                      errors=(ValueError, RopeSolveError))
