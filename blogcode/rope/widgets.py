"""Explorers for the chapter "The shape of a rotating rope" (``book/rope.md``).

Both the live ``ipywidgets`` widget and the static (kernel-free) explorers draw
with the same pure function, :func:`rope_traces`, from the same solver,
:func:`blogcode.rope.solve_rope` / :func:`blogcode.rope.rope_equilibria`:

* :func:`rope_figure` -- one plotly figure (shape, tension along the rope and
  the numbers) for given ``omega, g, length, start, end``;
* :func:`omega_explorer` -- every slider position precomputed over ``omega``
  at fixed length, via :func:`blogcode.figures.stepped_figure`, so the static
  HTML page can be explored without a kernel;
* :func:`live_widget` -- sliders for ``omega, g``, the length and the end
  point (or a free end), redrawing :func:`rope_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from blogcode import checks
from blogcode.rope.solver import Rope, RopeSolveError, rope_equilibria, solve_rope
from blogcode.figures import show_figure, stepped_figure

__all__ = ["rope_traces", "rope_figure", "omega_explorer", "omega_steps", "live_widget", "png_image"]

_MAIN = "#1f77b4"
_OTHER = "#7f7f7f"
_ARCH = "#d62728"


def _numbers(rope: Rope, others: Sequence[Rope]) -> str:
    n_arch = sum(not r.is_rope for r in others)
    n_rope = len(others) - n_arch
    lines = [
        f"ω = {rope.omega:.3g}, g = {rope.g:.3g}, length = {rope.length:.3g}",
        f"tension constant λ = {rope.tension_constant:.4g}",
        f"tension at start = {rope.tension[0]:.4g}, max = {rope.max_tension:.4g}, min = {rope.min_tension:.3g}",
        f"widest point x = {float(np.max(np.abs(rope.x))):.4g}, lowest y = {float(np.min(rope.y)):.4g}",
        f"other equilibria found: {n_rope} rope(s), {n_arch} arch(es)",
    ]
    return "<br>".join(lines)


def rope_traces(rope: Rope, others: Sequence[Rope] = (), max_others: int = 0) -> list[go.Scatter]:
    """Traces for one solution: the shape (subplot 1), its tension (subplot 2),
    up to ``max_others`` further equilibria (dashed grey; arches dotted red),
    padded with empty traces so every step has the same number of traces, and
    a text trace with the numbers."""
    if len(others) > max_others:
        others = list(others)[:max_others]
    traces = [
        go.Scatter(x=rope.x, y=rope.y, mode="lines", line={"color": _MAIN, "width": 3},
                   name="equilibrium shown", showlegend=False,
                   hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<extra>rope</extra>"),
        go.Scatter(x=rope.s, y=rope.tension, mode="lines", line={"color": _MAIN, "width": 3},
                   name="tension", showlegend=False,
                   hovertemplate="s=%{x:.3f}<br>T=%{y:.4g}<extra></extra>"),
    ]
    for i in range(max_others):
        if i < len(others):
            r = others[i]
            arch = not r.is_rope
            traces.append(go.Scatter(
                x=r.x, y=r.y, mode="lines", showlegend=False,
                line={"color": _ARCH if arch else _OTHER, "width": 1.5, "dash": "dot" if arch else "dash"},
                hovertemplate=f"{'arch (T<0)' if arch else 'other equilibrium'}, U={r.energy:.4g}<extra></extra>",
            ))
        else:
            traces.append(go.Scatter(x=[], y=[], mode="lines", showlegend=False, hoverinfo="skip"))
    traces.append(go.Scatter(
        x=[0.0], y=[1.0], mode="text", text=[_numbers(rope, others)],
        textposition="bottom right", showlegend=False, hoverinfo="skip",
        textfont={"size": 12},
    ))
    return traces


def _layout(fig: go.Figure, title: str, xr, yr, tr) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.5},
        height=640, margin={"l": 60, "r": 20, "t": 70, "b": 20},
        plot_bgcolor="white",
    )
    fig.update_xaxes(title_text="x (distance from the rotation axis)", range=xr, row=1, col=1,
                     zeroline=True, zerolinecolor="#999", gridcolor="#eee")
    fig.update_yaxes(title_text="y (height)", range=yr, row=1, col=1, scaleanchor="x",
                     scaleratio=1, gridcolor="#eee")
    fig.update_xaxes(title_text="arc length s from the start", row=1, col=2, gridcolor="#eee")
    fig.update_yaxes(title_text="tension T", range=tr, row=1, col=2, gridcolor="#eee")
    fig.update_xaxes(visible=False, range=[0, 1], row=2, col=1)
    fig.update_yaxes(visible=False, range=[0, 1], row=2, col=1)
    return fig


def _subplots():
    return make_subplots(
        rows=2, cols=2, column_widths=[0.55, 0.45], row_heights=[0.8, 0.2],
        horizontal_spacing=0.1, vertical_spacing=0.1,
        specs=[[{}, {}], [{"colspan": 2}, None]],
        subplot_titles=("shape in the rotating plane (axis: x = 0)", "tension along the rope", ""),
    )


def _solve_all(omega, g, length, start, end, *, guess=None, n_scan=101, modes=(1,)):
    """Primary equilibrium and the others found (the primary is a rope)."""
    if end is None:
        found = rope_equilibria(omega, g, length, start, None, n_scan=n_scan)
    elif guess is not None:
        return solve_rope(omega, g, length, start, end, guess=guess), []
    else:
        found = rope_equilibria(omega, g, length, start, end, modes=modes)
    ropes = [r for r in found if r.is_rope]
    if not ropes:
        raise RopeSolveError("no rope equilibrium found")
    best = min(r.energy for r in ropes)
    tied = [r for r in ropes if r.energy - best <= 1e-9 * max(1.0, abs(best))]
    main = max(tied, key=lambda r: float(np.mean(r.x)))
    return main, [r for r in found if r is not main]


def _places(max_others: int):
    """(row, col) of each trace made by :func:`rope_traces`."""
    return [(1, 1), (1, 2)] + [(1, 1)] * max_others + [(2, 1)]


def _ranges(ropes: Sequence[Rope]):
    xs = np.concatenate([r.x for r in ropes] + [[0.0]])
    ys = np.concatenate([r.y for r in ropes])
    ts = np.concatenate([r.tension for r in ropes])
    pad = 0.08 * max(np.ptp(xs), np.ptp(ys), 0.1)
    xr = [float(xs.min() - pad), float(xs.max() + pad)]
    yr = [float(ys.min() - pad), float(ys.max() + pad)]
    tr = [float(min(0.0, ts.min())), float(ts.max() * 1.08 + 1e-9)]
    return xr, yr, tr


def rope_figure(omega, g, length, start, end=None, *, max_others: int = 4,
                title: str | None = None) -> go.Figure:
    """The lowest-energy equilibrium, the others found, tension and numbers."""
    main, others = _solve_all(omega, g, length, start, end, modes=(1, 2))
    fig = _subplots()
    traces = rope_traces(main, others, max_others)
    for (row, col), trace in zip(_places(max_others), traces):
        fig.add_trace(trace, row=row, col=col)
    xr, yr, tr = _ranges([main, *others[:max_others]])
    kind = ("free end" if end is None
            else f"ends {tuple(start)} and {tuple(end)}")
    return _layout(fig, title or f"Rotating rope, {kind}", xr, yr, tr)


def omega_steps(g, length, start, end, omegas, *, n_scan: int = 101):
    """Precompute ``(omega, main, others)`` for every ``omega`` (pure; no plotting).

    Both ends fixed: continuation in ``omega`` from the lowest-energy rope at
    ``omegas[0]``. Free end: every equilibrium at each ``omega``.
    """
    omegas = [checks.real(om, "omegas[]", minimum=0.0) for om in checks.nonempty(omegas, "omegas")]
    out, prev = [], None
    for om in omegas:
        main, others = _solve_all(float(om), g, length, start, end, guess=prev, n_scan=n_scan)
        if end is not None:
            prev = main
        out.append((float(om), main, others))
    return out


def omega_explorer(steps, *, title: str, max_others: int = 4, active: int = 0) -> go.Figure:
    """A kernel-free figure with one precomputed slider step per ``omega``."""
    all_ropes = [r for _, m, o in steps for r in (m, *o[:max_others])]
    xr, yr, tr = _ranges(all_ropes)
    n_traces = 2 + max_others + 1
    rows_cols = [_places(max_others)]
    fig = stepped_figure(
        [(f"{om:.2f}", rope_traces(m, o, max_others)) for om, m, o in steps],
        slider_label="ω", active=active, subplots=_subplots(), rows_cols=rows_cols,
    )
    assert len(fig.data) == n_traces * len(steps)
    return _layout(fig, title, xr, yr, tr)


def png_image(fig, dpi: int = 110):
    """A matplotlib figure as an ``IPython.display.Image`` (PNG), figure closed.

    Gluing the image rather than the figure makes the chapter's figures
    independent of the matplotlib backend (CI runs with ``MPLBACKEND=Agg``,
    where a figure object has no PNG representation of its own).
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return Image(data=buf.getvalue(), format="png")


def live_widget(omega=2.0, g=3.0, length=1.4, end=(0.6, 0.8), start=(0.0, 0.0)):
    """Sliders for omega, g, the length and the end point (or a free end).

    Needs a running kernel; every redraw calls :func:`rope_figure`.
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

    def draw(omega, g, length, end_x, end_y, free_end):
        try:
            fig = rope_figure(omega, g, length, start, None if free_end else (end_x, end_y))
        except (ValueError, RopeSolveError) as err:
            print(f"no rope equilibrium for these settings: {err}")
            return
        show_figure(fig)

    out = w.interactive_output(draw, controls)
    box = w.VBox([w.HBox([controls["omega"], controls["g"], controls["length"]]),
                  w.HBox([controls["end_x"], controls["end_y"], controls["free_end"]]), out])
    return box
