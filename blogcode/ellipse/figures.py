"""Static figures of the chapter "Gluing two elliptical sheets" (``book/ellipse.md``).

Everything here draws what :mod:`blogcode.ellipse.gluing` computes; nothing is
computed twice.

* matplotlib figures (static pictures with labelled axes): ``arc_figure``,
  ``edge_and_flat_figure``, ``criterion_figure``, ``turning_figure``,
  ``solid_figure`` (with ``draw_solid``), ``convergence_figure``, ``map_figure``;
* plotly figures for the static HTML page: ``solid_plotly`` (one solid to rotate)
  and ``glue_figure`` (the solid next to its criterion ``c(s)`` and numbers), drawn
  by ``step_traces``, which the explorers of :mod:`blogcode.ellipse.widgets`
  precompute for every slider step.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from blogcode.ellipse.arc import EllipseArc, criterion
from blogcode.ellipse.gluing import REASONS, GlueResult

__all__ = [
    "SHEET1_COLOUR",
    "SHEET2_COLOUR",
    "numbers_text",
    "arc_figure",
    "edge_and_flat_figure",
    "criterion_figure",
    "turning_figure",
    "solid_figure",
    "draw_solid",
    "convergence_figure",
    "map_figure",
    "solid_traces",
    "solid_scene",
    "solid_plotly",
    "step_traces",
    "STEP_PLACES",
    "glue_subplots",
    "glue_layout",
    "glue_figure",
]

SHEET1_COLOUR = "#1f77b4"  # generators parallel to y
SHEET2_COLOUR = "#ff7f0e"  # generators parallel to z
EDGE_COLOUR = "#222222"


def numbers_text(res: GlueResult) -> str:
    """One line with l, x(l), V and min c of a result."""
    if not res.glues:
        return (
            f"l = {res.l:.6f}; does not glue: min c = {res.min_criterion:.3g} "
            f"at s/l = {res.argmin_s / res.l:.3f}"
        )
    return f"l = {res.l:.6f}, x(l) = {res.length:.6f}, V = {res.volume:.6f}, min c = {res.min_criterion:.3g}"


# ----------------------------------------------------------------------------- matplotlib


def arc_figure(a: float = 2.0, b: float = 1.0, s_mark: float | None = None):
    """The ellipse with the arc of length ``s`` from ``(a, 0)`` and its height ``h(s)``;
    right: ``h(s)`` and ``h'(s)`` over ``[0, l]``."""
    arc = EllipseArc(a, b)
    s_mark = 0.45 * arc.l if s_mark is None else s_mark
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=[1.25, 1])
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(a * np.cos(t), b * np.sin(t), color="0.6", lw=1)
    sa = np.linspace(0, s_mark, 100)
    ax.plot(arc.g(sa), arc.h(sa), color=SHEET1_COLOUR, lw=3, label=f"arc of length s = {s_mark:.3f}")
    px, py = float(arc.g(s_mark)), float(arc.h(s_mark))
    ax.plot([px, px], [0, py], color="C3", lw=2, ls="--", label=f"height h(s) = {py:.3f}")
    ax.plot([a], [0], "ko")
    ax.annotate("(a, 0): s = 0", (a, 0), xytext=(a - 0.15 * a, -0.35 * b), fontsize=10)
    ax.plot([px], [py], "o", color=SHEET1_COLOUR)
    ax.annotate("P", (px, py), xytext=(px + 0.05 * a, py + 0.08 * b), fontsize=11)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"Arc length from (a, 0) on the ellipse a = {a:g}, b = {b:g}")
    ax.legend(loc="lower left", fontsize=9)
    s = np.linspace(0, arc.l, 300)
    ax2.plot(s, arc.h(s), color=SHEET1_COLOUR, label="h(s)")
    ax2.plot(s, arc.dh(s), color="C2", label="h'(s)")
    ax2.axvline(s_mark, color="C3", ls="--", lw=1)
    ax2.set_xlabel("arc length s")
    ax2.set_ylabel("value")
    ax2.set_title(f"Height and slope along the quarter arc (l = {arc.l:.4f})")
    ax2.legend()
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def edge_and_flat_figure(res: GlueResult):
    """Left: the first-octant edge curve in 3D, coloured by ``s``; middle and right: the
    flat sheets with the same colours (sheet 1 at arc ``s``, sheet 2 at arc ``l - s``)."""
    fig = plt.figure(figsize=(11, 5.6))
    grid = fig.add_gridspec(2, 2, width_ratios=[1.15, 1], hspace=0.45, wspace=0.32)
    ax = fig.add_subplot(grid[:, 0], projection="3d")
    sc = ax.scatter(res.x, res.y, res.z, c=res.s, cmap="viridis", s=8, depthshade=False)
    ax.set_xlabel("x", labelpad=2)
    ax.set_ylabel("y", labelpad=2)
    ax.set_zlabel("z", labelpad=2)
    ax.set_title("Glued edge in the first octant (a = %g, b = %g)" % res.sheet1)
    ax.view_init(elev=22, azim=-60)
    arcs = [EllipseArc(*res.sheet1), EllipseArc(*res.sheet2)]
    where = [res.s, res.l - res.s]
    names = ["sheet 1 at arc s: (g1, h1)", "sheet 2 at arc l - s: (g2, h2)"]
    t = np.linspace(0, 2 * np.pi, 300)
    for k in range(2):
        axk = fig.add_subplot(grid[k, 1])
        arc = arcs[k]
        axk.plot(arc.a * np.cos(t), arc.b * np.sin(t), color="0.75", lw=1)
        axk.scatter(arc.g(where[k]), arc.h(where[k]), c=res.s, cmap="viridis", s=8)
        axk.plot([0], [0], "k+")
        axk.set_aspect("equal")
        axk.set_xlabel("flat x")
        axk.set_ylabel("flat y")
        axk.set_title(names[k], fontsize=10)
        axk.grid(alpha=0.3)
    fig.colorbar(sc, ax=fig.axes[1:], label="edge arc length s", shrink=0.9, pad=0.03)
    return fig


def criterion_figure(ratios=(1.0, 0.9, 0.7, 0.5, 0.3, 0.15), a: float = 1.0):
    """``c(s)`` against ``s/l`` for identical sheets with several ``b/a``."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for q in ratios:
        arc = EllipseArc(a, a * q)
        s = np.linspace(0, arc.l, 400)
        ax.plot(s / arc.l, criterion(arc, arc, s), label=f"b/a = {q:g}")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("s / l")
    ax.set_ylabel("c(s) = 1 - h'(s)² - h'(l - s)²")
    ax.set_title("Gluing criterion for identical sheets: never negative")
    ax.legend(ncol=2, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def turning_figure(sheet1=(2.0, 1.0), sheet2=None):
    """Turning angle ``theta1(s)`` of sheet 1 from its start and ``psi2(s)`` of sheet 2
    over its last ``s``, with the straight line ``(pi/2) s/l`` between them."""
    arc1 = EllipseArc(*sheet1)
    arc2 = EllipseArc(*(sheet2 or sheet1))
    s = np.linspace(0, arc1.l, 400)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(s / arc1.l, arc1.turning(s), color=SHEET1_COLOUR, label="θ1(s): sheet 1 over [0, s]")
    ax.plot(s / arc1.l, np.pi / 2 - arc2.turning(arc1.l - s), color=SHEET2_COLOUR,
            label="ψ2(s): sheet 2 over its last s")
    ax.plot([0, 1], [0, np.pi / 2], "k--", lw=1, label="(π/2) s/l")
    ax.set_xlabel("s / l")
    ax.set_ylabel("turning angle (rad)")
    ax.set_title("c ≥ 0 exactly when θ1(s) ≥ ψ2(s)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def draw_solid(ax, res: GlueResult, *, every: int = 8, alpha: float = 0.25) -> None:
    """Draw the whole solid on a 3D axis: four edge branches, both sheets as ruled
    surfaces and every ``every``-th straight generator."""
    if not res.glues:
        ax.text2D(0.5, 0.5, "does not glue", transform=ax.transAxes, ha="center")
        return
    x, y, z = res.x, res.y, res.z
    u = np.array([-1.0, 1.0])
    X = np.repeat(x[:, None], 2, axis=1)
    for sign in (1, -1):
        ax.plot_surface(X, y[:, None] * u, sign * np.repeat(z[:, None], 2, axis=1),
                        color=SHEET1_COLOUR, alpha=alpha, linewidth=0, shade=False)
        ax.plot_surface(X, sign * np.repeat(y[:, None], 2, axis=1), z[:, None] * u,
                        color=SHEET2_COLOUR, alpha=alpha, linewidth=0, shade=False)
    for i in range(0, len(x), every):
        for sign in (1, -1):
            ax.plot([x[i], x[i]], [-y[i], y[i]], [sign * z[i]] * 2, color=SHEET1_COLOUR, lw=0.7)
            ax.plot([x[i], x[i]], [sign * y[i]] * 2, [-z[i], z[i]], color=SHEET2_COLOUR, lw=0.7)
    for sy in (1, -1):
        for sz in (1, -1):
            ax.plot(x, sy * y, sz * z, color=EDGE_COLOUR, lw=1.5)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(mticker.MaxNLocator(5))
    span = max(x.max(), 2 * y.max(), 2 * z.max())
    ax.set_xlim(0, span)
    ax.set_ylim(-span / 2, span / 2)
    ax.set_zlim(-span / 2, span / 2)
    ax.set_box_aspect((1, 1, 1))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("z")


def solid_figure(res: GlueResult, title: str | None = None):
    """The glued solid from two viewpoints (matplotlib, ``add_subplot(projection='3d')``)."""
    fig = plt.figure(figsize=(11, 5.2))
    for k, (elev, azim) in enumerate([(20, -55), (12, 35)]):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        draw_solid(ax, res)
        ax.view_init(elev=elev, azim=azim)
        ax.set_title(f"view {k + 1}: elevation {elev}°, azimuth {azim}°", fontsize=10)
    fig.suptitle(title or f"Solid from sheets {res.sheet1} and {res.sheet2}  ({numbers_text(res)})", fontsize=10)
    fig.tight_layout()
    return fig


def convergence_figure(steps, errors: dict, exact: dict):
    """Relative errors of the tabulation scheme against its grid step; the exact
    method's errors (all at rounding level) are drawn as one shaded band."""
    steps = np.asarray(steps, dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for (name, errs), colour in zip(errors.items(), ["C0", "C1", "C2"]):
        ax.loglog(steps, np.abs(errs), "o-", color=colour, label=f"tabulation: {name}")
    ax.loglog(steps, 0.3 * np.sqrt(steps), "k--", lw=0.8, label="0.3 √step (reference slope)")
    worst = max(max(abs(v) for v in exact.values()), 1e-16)
    ax.axhspan(1e-17, worst, color="0.6", alpha=0.4,
               label=f"elliptic integrals: all |errors| ≤ {worst:.0e}")
    ax.set_ylim(1e-17, 1)
    ax.set_xlabel("grid step in y")
    ax.set_ylabel("relative error (against mpmath)")
    ax.set_title("Tabulation scheme vs elliptic integrals (a = 2, b = 1)")
    ax.legend(fontsize=8, loc="center right")
    ax.grid(alpha=0.3, which="major")
    fig.tight_layout()
    return fig


def map_figure(ratios, min_c, reason):
    """Which pairs of shapes glue: ``min c`` over the plane of shapes ``q = b/a``."""
    r = np.asarray(ratios)
    fig, ax = plt.subplots(figsize=(7.2, 6))
    shown = np.where(reason == 0, np.nan, min_c)
    reds = mcolors.ListedColormap(plt.cm.Reds_r(np.linspace(0.0, 0.7, 256)))  # no white end
    im = ax.pcolormesh(r, r, shown, shading="nearest", cmap=reds)
    ax.pcolormesh(r, r, np.where(reason == 0, 1.0, np.nan), shading="nearest", cmap="Greens", vmin=0, vmax=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [q for q in (0.25, 0.5, 1, 2, 4, 8) if r.min() <= q <= r.max()]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mticker.FixedLocator(ticks))
        axis.set_major_formatter(mticker.FixedFormatter([f"{q:g}" for q in ticks]))
        axis.set_minor_formatter(mticker.NullFormatter())
    ax.plot(r, 1 / r, "k--", lw=1, label="q1 q2 = 1: a sheet and its turned copy (c ≡ 0, flat)")
    ax.axvline(1, color="k", lw=0.6)
    ax.axhline(1, color="k", lw=0.6)
    ax.set_xlim(r.min(), r.max())
    ax.set_ylim(r.min(), r.max())
    ax.set_xlabel("sheet 1 shape q1 = b1/a1   (q > 1: bent along the short axis)")
    ax.set_ylabel("sheet 2 shape q2 = b2/a2")
    ax.set_title("Which pairs glue (green) and how badly the others fail")
    ax.text(0.3, 0.3, "glue", transform=ax.transAxes, fontsize=14, ha="center", color="darkgreen")
    codes = sorted(set(np.unique(reason)) - {0})
    label = "; ".join(REASONS[int(k)] for k in codes) or "none"
    ax.text(0.72, 0.82, "do not glue", transform=ax.transAxes, fontsize=14, ha="center", color="white",
            fontweight="bold")
    fig.colorbar(im, ax=ax, label="min c over [0, l] (failing pairs)")
    ax.legend(loc="lower left", fontsize=8)
    fig.text(0.02, 0.005, f"failing pairs: {label}", fontsize=7.5)
    return fig


# ----------------------------------------------------------------------------- plotly


def solid_traces(res: GlueResult, *, showlegend: bool = True) -> list:
    """Seven plotly traces: four ruled faces (two per sheet), the closed edge curve and
    the straight generator lines of each sheet."""
    if res.glues:
        x, y, z = res.x, res.y, res.z
    else:  # nothing to draw; a degenerate point keeps the number of traces (and no NaN in JSON)
        x = y = z = np.zeros(1)
    u = np.array([-1.0, 1.0])
    X = np.repeat(x[:, None], 2, axis=1)
    Y2 = np.repeat(y[:, None], 2, axis=1)
    Z2 = np.repeat(z[:, None], 2, axis=1)
    flat1 = [[0, SHEET1_COLOUR], [1, SHEET1_COLOUR]]
    flat2 = [[0, SHEET2_COLOUR], [1, SHEET2_COLOUR]]
    common = dict(showscale=False, opacity=0.55, hoverinfo="skip")
    traces = [
        go.Surface(x=X, y=Y2 * u, z=Z2, colorscale=flat1, name="sheet 1 (generators ∥ y)",
                   showlegend=showlegend, legendgroup="s1", **common),
        go.Surface(x=X, y=Y2 * u, z=-Z2, colorscale=flat1, showlegend=False, legendgroup="s1", **common),
        go.Surface(x=X, y=Y2, z=Z2 * u, colorscale=flat2, name="sheet 2 (generators ∥ z)",
                   showlegend=showlegend, legendgroup="s2", **common),
        go.Surface(x=X, y=-Y2, z=Z2 * u, colorscale=flat2, showlegend=False, legendgroup="s2", **common),
    ]
    ex, ey, ez = [], [], []  # four branches separated by None (a gap; NaN is not valid JSON)
    for sy in (1, -1):
        for sz in (1, -1):
            ex += [*x.tolist(), None]
            ey += [*(sy * y).tolist(), None]
            ez += [*(sz * z).tolist(), None]
    traces.append(go.Scatter3d(x=ex, y=ey, z=ez, mode="lines", line=dict(color=EDGE_COLOUR, width=4),
                               name="glued edge", showlegend=showlegend))
    # straight generator lines, about 24 per face
    every = max(1, len(x) // 24)
    g1, g2 = ([], [], []), ([], [], [])
    for i in range(0, len(x), every):
        for sign in (1.0, -1.0):
            for coords, pts in ((g1, [(x[i], -y[i], sign * z[i]), (x[i], y[i], sign * z[i])]),
                                (g2, [(x[i], sign * y[i], -z[i]), (x[i], sign * y[i], z[i])])):
                for axis in range(3):
                    coords[axis].extend([float(pts[0][axis]), float(pts[1][axis]), None])
    for coords, colour, name in ((g1, SHEET1_COLOUR, "generators of sheet 1"),
                                 (g2, SHEET2_COLOUR, "generators of sheet 2")):
        traces.append(go.Scatter3d(x=coords[0], y=coords[1], z=coords[2], mode="lines",
                                   line=dict(color=colour, width=2), name=name,
                                   showlegend=showlegend, hoverinfo="skip"))
    return traces


def solid_scene(title_x="x"):
    """The 3D scene of a solid: axis titles, true aspect, a camera from the front right."""
    return dict(xaxis_title=title_x, yaxis_title="y", zaxis_title="z", aspectmode="data",
                camera=dict(eye=dict(x=1.7, y=-1.7, z=0.9)))


def solid_plotly(res: GlueResult, title: str | None = None) -> go.Figure:
    """One solid to rotate, zoom and hover in the static page."""
    fig = go.Figure(solid_traces(res))
    fig.update_layout(
        title=title or f"Glued solid, sheets {res.sheet1} and {res.sheet2}<br><sub>{numbers_text(res)}</sub>",
        scene=solid_scene(), height=600, margin=dict(l=0, r=0, t=70, b=0),
        legend=dict(orientation="h", yanchor="top", y=0.0, x=0.0),
    )
    return fig


def step_traces(res: GlueResult, first: bool = True) -> list:
    """The nine traces of one explorer step: the solid (seven, legend only when ``first``),
    the criterion ``c(s)`` and the numbers."""
    traces = solid_traces(res, showlegend=first)
    c_line = go.Scatter(x=res.s / res.l, y=res.c, mode="lines", line=dict(color="#2ca02c"),
                        name="c(s)", showlegend=False)
    text = go.Scatter(x=[0.5], y=[0.0], mode="text", text=[numbers_text(res).replace(", ", "<br>")],
                      textposition="top center", showlegend=False, hoverinfo="skip")
    return traces + [c_line, text]


#: Where each trace of :func:`step_traces` goes in :func:`glue_subplots`.
STEP_PLACES = [(1, 1)] * 7 + [(1, 2), (1, 2)]


def glue_subplots() -> go.Figure:
    """The panels of an explorer step: the solid (a 3D scene) and the criterion ``c(s)``."""
    return make_subplots(rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "xy"}]],
                         column_widths=[0.6, 0.4], subplot_titles=("the solid", "criterion c(s)"))


def glue_layout(fig: go.Figure, title: str) -> go.Figure:
    """Title, size, scene and the criterion's axes of an explorer figure."""
    fig.update_layout(title=title, height=620, margin=dict(l=10, r=10, t=70, b=10), scene=solid_scene())
    fig.update_xaxes(title_text="s / l", row=1, col=2)
    fig.update_yaxes(title_text="c(s)", row=1, col=2)
    return fig


def glue_figure(res: GlueResult, title: str | None = None) -> go.Figure:
    """One solid next to its criterion and numbers: one step of the explorers, for the live widgets."""
    fig = glue_subplots()
    for (row, col), trace in zip(STEP_PLACES, step_traces(res)):
        fig.add_trace(trace, row=row, col=col)
    def sheet(axes):   # (2.0500000000000003, 1.0) -> (2.05, 1)
        return "(" + ", ".join(f"{float(a):.4g}" for a in axes) + ")"
    return glue_layout(fig, title or f"Sheets {sheet(res.sheet1)} and {sheet(res.sheet2)}")
