"""Static figures of the chapter "The shape of a rotating rope" (``book/rope.md``).

* :func:`rope_traces` -- the plotly traces of one solution (shape, tension along
  the rope, the numbers), the one drawing both the explorers and the live widget
  of :mod:`blogcode.rope.widgets` use;
* :func:`solution_figure` / :func:`rope_figure` -- one plotly figure of an
  equilibrium and the others found (for given ``omega, g, length, start, end``);
* :func:`rope_subplots`, :func:`rope_layout`, :func:`trace_places`,
  :func:`axis_ranges` -- the panel grid, axes and ranges those figures share;
* :func:`png_image` -- a matplotlib figure as a PNG image for ``glue``;
* the chapter's matplotlib figures (``*_figure`` below ``png_image``), drawn from
  the results its cells compute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from blogcode.rope.solver import (Rope, equilibrium_residuals, shown_equilibria, skipping_rope, solve_rope,
                                  troposkien)

__all__ = ["numbers_lines", "rope_traces", "rope_subplots", "rope_layout", "trace_places", "axis_ranges",
           "solution_figure", "rope_figure", "png_image", "schematic_figure", "troposkien_figure",
           "published_figure", "residuals_figure", "bifurcation_figure", "search_figure", "family_figure",
           "skipping_figure"]

_MAIN = "#1f77b4"
_OTHER = "#7f7f7f"
_ARCH = "#d62728"


def numbers_lines(rope: Rope, others: Sequence[Rope]) -> list[str]:
    """The numbers shown with a solution: omega, g, length, tensions, extent, others found."""
    n_arch = sum(not r.is_rope for r in others)
    n_rope = len(others) - n_arch
    return [
        f"ω = {rope.omega:.3g}, g = {rope.g:.3g}, length = {rope.length:.3g}",
        f"tension constant λ = {rope.tension_constant:.4g}",
        f"tension at start = {rope.tension[0]:.4g}, max = {rope.max_tension:.4g}, min = {rope.min_tension:.3g}",
        f"widest point x = {float(np.max(np.abs(rope.x))):.4g}, lowest y = {float(np.min(rope.y)):.4g}",
        f"other equilibria found: {n_rope} rope(s), {n_arch} arch(es)",
    ]


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
        x=[0.0], y=[1.0], mode="text", text=["<br>".join(numbers_lines(rope, others))],
        textposition="bottom right", showlegend=False, hoverinfo="skip",
        textfont={"size": 12},
    ))
    return traces


def rope_layout(fig: go.Figure, title: str, xr, yr, tr) -> go.Figure:
    """Title, size and axes (ranges ``xr, yr`` for the shape, ``tr`` for the tension)."""
    fig.update_layout(
        title={"text": title, "x": 0.5},
        height=640, margin={"l": 60, "r": 20, "t": 100, "b": 20},
        plot_bgcolor="white",
    )
    # Two-line axis and panel titles: side by side on a phone, one-line ones ran into each other.
    fig.update_xaxes(title_text="x (distance from<br>the rotation axis)", range=xr, row=1, col=1,
                     zeroline=True, zerolinecolor="#999", gridcolor="#eee")
    fig.update_yaxes(title_text="y (height)", range=yr, row=1, col=1, scaleanchor="x",
                     scaleratio=1, gridcolor="#eee")
    fig.update_xaxes(title_text="arc length s<br>from the start", row=1, col=2, gridcolor="#eee")
    fig.update_yaxes(title_text="tension T", range=tr, row=1, col=2, gridcolor="#eee")
    fig.update_xaxes(visible=False, range=[0, 1], row=2, col=1)
    fig.update_yaxes(visible=False, range=[0, 1], row=2, col=1)
    return fig


def rope_subplots():
    """The panel grid: shape (left), tension (right), numbers (below)."""
    return make_subplots(
        rows=2, cols=2, column_widths=[0.55, 0.45], row_heights=[0.8, 0.2],
        horizontal_spacing=0.1, vertical_spacing=0.15,
        specs=[[{}, {}], [{"colspan": 2}, None]],
        subplot_titles=("shape in the rotating plane<br>(axis: x = 0)", "tension<br>along the rope", ""),
    )


def trace_places(max_others: int):
    """(row, col) of each trace made by :func:`rope_traces`."""
    return [(1, 1), (1, 2)] + [(1, 1)] * max_others + [(2, 1)]


def axis_ranges(ropes: Sequence[Rope]):
    """Ranges of the shape axes and of the tension axis covering every rope in ``ropes``."""
    xs = np.concatenate([r.x for r in ropes] + [[0.0]])
    ys = np.concatenate([r.y for r in ropes])
    ts = np.concatenate([r.tension for r in ropes])
    pad = 0.08 * max(np.ptp(xs), np.ptp(ys), 0.1)
    xr = [float(xs.min() - pad), float(xs.max() + pad)]
    yr = [float(ys.min() - pad), float(ys.max() + pad)]
    tr = [float(min(0.0, ts.min())), float(ts.max() * 1.08 + 1e-9)]
    return xr, yr, tr


def solution_figure(main: Rope, others: Sequence[Rope] = (), *, max_others: int = 4,
                      title: str | None = None) -> go.Figure:
    """One equilibrium (``main``), up to ``max_others`` others, its tension and numbers."""
    fig = rope_subplots()
    traces = rope_traces(main, others, max_others)
    for (row, col), trace in zip(trace_places(max_others), traces):
        fig.add_trace(trace, row=row, col=col)
    xr, yr, tr = axis_ranges([main, *others[:max_others]])
    kind = ("free end" if main.end is None
            else f"ends {tuple(main.start)} and {tuple(main.end)}")
    return rope_layout(fig, title or f"Rotating rope, {kind}", xr, yr, tr)


def rope_figure(omega, g, length, start, end=None, *, max_others: int = 4,
                title: str | None = None) -> go.Figure:
    """The lowest-energy equilibrium, the others found, tension and numbers."""
    main, others = shown_equilibria(omega, g, length, start, end, modes=(1, 2))
    kind = "free end" if end is None else f"ends {tuple(start)} and {tuple(end)}"
    return solution_figure(main, others, max_others=max_others, title=title or f"Rotating rope, {kind}")


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


# ------------------------------------------------------ the chapter's matplotlib figures


def schematic_figure():
    """The two set-ups: a rope on a rotating rod, and a skipping rope at its lowest position."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.6))
    # left: the rope on a rotating rod, seen in the rotating plane
    rod = solve_rope(2.6, 3.0, 1.0, (0.25, 0.0))
    ax1.plot([0, 0], [-1.15, 0.35], "k-.", lw=1)
    ax1.plot([0, 0.25], [0.0, 0.0], color="0.35", lw=4)
    ax1.plot(rod.x, rod.y, color="C0", lw=3)
    ax1.annotate("", xy=(0.22, 0.28), xytext=(-0.22, 0.28),
                 arrowprops=dict(arrowstyle="->", connectionstyle="arc3,rad=0.4"))
    ax1.text(0.0, 0.36, r"$\omega$", ha="center", fontsize=13)
    i = 230
    ax1.annotate("", xy=(rod.x[i] + 0.25, rod.y[i]), xytext=(rod.x[i], rod.y[i]),
                 arrowprops=dict(arrowstyle="->", color="C3"))
    ax1.text(rod.x[i] + 0.27, rod.y[i], r"$\omega^2 x$", color="C3", va="center")
    ax1.annotate("", xy=(rod.x[i], rod.y[i] - 0.25), xytext=(rod.x[i], rod.y[i]),
                 arrowprops=dict(arrowstyle="->", color="C2"))
    ax1.text(rod.x[i] + 0.02, rod.y[i] - 0.25, r"$g$", color="C2", va="top")
    ax1.text(0.27, 0.03, "support", fontsize=9)
    ax1.text(rod.x[-1], rod.y[-1] - 0.06, "free end", fontsize=9, ha="center", va="top")
    ax1.set(xlim=(-0.4, 1.1), ylim=(-1.2, 0.5), xlabel="x (distance from the axis)", ylabel="y (height)",
            title="a rope tied to a rotating rod")
    ax1.set_aspect("equal")
    # right: a skipping rope at the bottom of its turn
    sk = skipping_rope(6.0, 9.81, 2.6, 0.6, modes=(1,))
    d = 9.81 / 6.0**2
    ax2.plot([-0.3, 0.9], [0, 0], "k-.", lw=1, label="line of the hands (rotation axis)")
    ax2.plot([-0.3, 0.9], [d, d], ":", color="C1", lw=1.5, label=r"effective axis, $g/\omega^2$ above")
    ax2.plot(sk.horizontal, sk.height, color="C0", lw=3, label="rope at its lowest position")
    ax2.plot([0, 0.6], [0, 0], "o", color="k", ms=7)
    ax2.set(xlabel="along the line of the hands", ylabel="height", title="a skipping rope, lowest position",
            ylim=(-1.4, 0.6))
    ax2.set_aspect("equal")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8)
    fig.tight_layout()
    return fig


def troposkien_figure(article: Rope, lengths=(1.1, 1.3, 1.6, 2.0, 2.5)):
    """Troposkiens of several ``lengths`` between (0, 0) and (0, 1), and the article's
    ``g = 0`` curve ``article`` (drawn with its mirror image about ``y = 1/2``)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for L, c in zip(lengths, plt.cm.viridis(np.linspace(0.1, 0.85, len(lengths)))):
        t = troposkien(L, 1.0)
        ax.plot(t.x, t.y, color=c, lw=2, label=f"troposkien, length {L}")
    ax.plot(article.x, article.y, "--", color="C3", lw=2,
            label=r"article's $g=0$ curve ($\lambda=0$): $T<0$, an arch")
    ax.plot(article.x, 1.0 - article.y, "--", color="C3", lw=2)
    ax.axvline(0, color="k", lw=1, ls="-.")
    ax.set(xlabel="x (distance from the axis)", ylabel="y",
           title="Spinning rope without gravity, ends on the axis at y = 0 and y = 1")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig


def published_figure(pub: dict, cor: dict):
    """The article's curves ``pub[C1]`` next to the corrected ones ``cor[C1]``, for C1 = 0, 1."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2))
    for ax, C1 in zip(axes, (0, 1)):
        ax.plot(pub[C1].x, pub[C1].y, lw=2.5, color="C0", label="as published (RK23)")
        ax.plot(cor[C1].x, cor[C1].y, "--", lw=2, color="C3",
                label=r"corrected ($dy/ds=G$), $\lambda=0$: $T<0$")
        ax.plot(1, 0, "ko")
        ax.set(xlabel="x (distance from the axis)", ylabel="y (height)",
               title=f"C1 = {C1}" + (" (the article's 'both ends fixed')" if C1 else ""))
        ax.set_aspect("equal")
        ax.legend(fontsize=8, loc="lower left")
    fig.suptitle(r"The article's initial-value computation: $\omega=2$, $g=3$, arc length 0.5, start (1, 0)")
    fig.tight_layout()
    return fig


def residuals_figure(pub: dict, cor: dict):
    """The integrated Euler--Lagrange residual along the published and corrected curves."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for C1, ls in [(0, "-"), (1, "--")]:
        for curve, color, name in [(pub[C1], "C0", "published"), (cor[C1], "C3", "corrected")]:
            r = equilibrium_residuals(curve, curves=True)
            ax.semilogy(r["s"][1:], np.hypot(r["R_x(s)"], r["R_y(s)"])[1:] + 1e-16, ls, color=color,
                        label=f"{name}, C1 = {C1}")
    ax.set(xlabel="arc length s", ylabel=r"$|(R_x, R_y)|$ (integrated Euler–Lagrange residual)",
           title="Residual of the article's equations along the curve", ylim=(1e-14, 10))
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def bifurcation_figure(bif, w_crit, g: float = 3.0, length: float = 1.0, show_at: float = 2.8):
    """Left: the free end of every equilibrium in ``bif`` (``[(omega, equilibria)]``, from
    :func:`blogcode.rope.experiments.bifurcation_scan`) against ``omega / w_crit[0]``;
    right: all shapes at the speed closest to ``show_at * w_crit[0]``."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [1.2, 1]})
    for w, eqs in bif:
        best = min(e.energy for e in eqs)
        for r in eqs:
            lowest = r.energy - best < 1e-9
            ax1.plot(w / w_crit[0], r.x[-1], "o", color="C0" if lowest else "0.6", ms=5 if lowest else 3.5)
    for wc in w_crit:
        ax1.axvline(wc / w_crit[0], color="C3", ls=":", lw=1)
    ax1.set(xlabel=r"$\omega/\omega_1$", ylabel=r"$x$ of the free end",
            title=f"Equilibria of a rope tied on the axis (g = {g:g}, L = {length:g})")
    ax1.plot([], [], "o", color="C0", label="lowest energy")
    ax1.plot([], [], "o", color="0.6", ms=3.5, label="other equilibria")
    ax1.plot([], [], ":", color="C3", label=r"$\omega_n=j_{0,n}\sqrt{g/L}/2$")
    ax1.legend(fontsize=8, loc="upper left")
    w_show, eqs = min(bif, key=lambda b: abs(b[0] - show_at * w_crit[0]))
    for r in eqs:
        ax2.plot(r.x, r.y, lw=2.5 if r is eqs[0] else 1.2, label=f"U = {r.energy:.3f}")
    ax2.axvline(0, color="k", ls="-.", lw=1)
    ax2.set(xlabel="x (distance from the axis)", ylabel="y (height)",
            title=rf"All equilibria at $\omega$ = {w_show:.2f} = {w_show / w_crit[0]:.2f} $\omega_1$")
    ax2.set_aspect("equal")
    ax2.legend(fontsize=7, loc="lower left", title="potential energy", title_fontsize=7)
    fig.tight_layout()
    return fig


def search_figure(cases):
    """Every equilibrium the boundary-value search finds, one panel per ``(name, equilibria)``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cases), figsize=(13 * len(cases) / 3, 4.8), squeeze=False)
    for ax, (name, eqs) in zip(axes[0], cases):
        best_rope = min((r for r in eqs if r.is_rope), key=lambda r: (r.energy, -np.mean(r.x)))
        for r in eqs:
            if not r.is_rope:
                ax.plot(r.x, r.y, ":", color="C3", lw=2, label=f"arch, T < 0 (rejected), U = {r.energy:.2f}")
            elif r is best_rope:
                ax.plot(r.x, r.y, "-", color="C0", lw=3, label=f"rope, lowest energy, U = {r.energy:.2f}")
            else:
                ax.plot(r.x, r.y, "--", color="0.45", lw=1.3, label=f"rope, U = {r.energy:.2f}")
        ax.plot(*np.array([eqs[0].start, eqs[0].end]).T, "ko")
        ax.axvline(0, color="k", ls="-.", lw=0.8)
        ax.set(xlabel="x (distance from the axis)", ylabel="y (height)", title=name)
        ax.set_aspect("equal")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.tight_layout()
    return fig


def family_figure(family):
    """The shapes of a :class:`blogcode.rope.experiments.SpeedFamily` and their distance to
    the ``g = 0`` limit against ``omega`` (with an ``omega**-2`` guide)."""
    import matplotlib.pyplot as plt

    omegas, dist, limit = family.omegas, family.distances, family.limit
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.8))
    colors = plt.cm.plasma(np.linspace(0.05, 0.85, len(family.ropes)))
    for w, r, c in zip(omegas, family.ropes, colors):
        ax1.plot(r.x, r.y, color=c, lw=1.8, label=rf"$\omega$ = {w:.2g}")
    ax1.plot(limit.x, limit.y, "k--", lw=1.5, label=r"$g=0$ limit")
    ax1.plot(*np.array([limit.start, limit.end]).T, "ko")
    ax1.axvline(0, color="k", ls="-.", lw=0.8)
    ax1.set(xlabel="x (distance from the axis)", ylabel="y (height)",
            title=f"Fixed length {limit.length:g}, g = {family.ropes[0].g:g}")
    ax1.set_aspect("equal")
    ax1.legend(fontsize=7, ncol=2, loc="upper left")
    ax2.loglog(omegas[1:], dist[1:], "o-", label="max distance to the g = 0 shape")
    ref = dist[-1] * (omegas[1:] / omegas[-1]) ** -2.0
    ax2.loglog(omegas[1:], ref, "k:", label=r"$\propto\omega^{-2}$")
    ax2.set(xlabel=r"$\omega$", ylabel="distance", title="Approach to the troposkien-like limit")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def skipping_figure(omegas, skips, cat_skip: Rope, tro_skip: Rope, span: float, g: float = 9.81):
    """Skipping-rope shapes at ``omegas`` between the catenary and the troposkien, their
    height minus the troposkien's, and the tension at the hands."""
    import matplotlib.pyplot as plt

    hand_tension = np.array([sk.tension[0] for sk in skips])
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4.6), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    colors = plt.cm.viridis(np.linspace(0.05, 0.85, len(skips)))
    for w, sk, c in zip(omegas, skips, colors):
        ax1.plot(sk.horizontal, sk.height, color=c, lw=1.4, label=rf"$\omega$ = {w:.1f} rad/s")
        # deviation from the troposkien at the same arc length, magnified by showing it in cm
        ax2.plot(sk.effective.s, 100 * (sk.height + tro_skip.x), color=c, lw=1.4)
    ax1.plot(cat_skip.x, cat_skip.y, "k:", lw=1.5, label="catenary (no rotation)")
    ax1.plot(tro_skip.y, -tro_skip.x, "k--", lw=1.2, label="troposkien (no gravity)")
    ax1.plot([0, span], [0, 0], "ko")
    ax1.set(xlabel="along the line of the hands (m)", ylabel="height below the hands (m)",
            title=f"Long rope, {cat_skip.length:g} m, hands {span:g} m apart")
    ax1.set_aspect("equal")
    ax1.legend(fontsize=6.5, loc="upper center", ncol=2)
    ax2.plot(cat_skip.s, 100 * (cat_skip.y + tro_skip.x), "k:", lw=1.5, label="catenary")
    ax2.axhline(0, color="k", ls="--", lw=1.2, label="troposkien")
    ax2.set(xlabel="arc length from the first hand (m)", ylabel="height minus the troposkien's (cm)",
            title="The change, magnified")
    ax2.legend(fontsize=8)
    ax3.loglog(omegas, hand_tension, "o-", label="tension at the hands (per unit line density)")
    ax3.loglog(omegas, tro_skip.tension_constant * np.asarray(omegas)**2, "k--",
               label=r"troposkien: $\lambda_1\,\omega^2$")
    ax3.axhline(cat_skip.tension_constant * g, color="k", ls=":", label="hanging chain, no rotation")
    ax3.set(xlabel=r"$\omega$ (rad/s)", ylabel=r"$T$ at the hands (m$^2$/s$^2$)", title="Tension at the hands")
    ax3.set_xticks([1, 3, 10, 25], labels=["1", "3", "10", "25"])
    ax3.minorticks_off()
    ax3.legend(fontsize=7)
    fig.tight_layout()
    return fig
