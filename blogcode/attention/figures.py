"""Static figures of attention patterns and of their cost.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md). Matplotlib helpers draw a pattern as an ``n x n`` matrix
(``draw_mask``) and as a link (arc) diagram (``draw_arcs``), and compose the
chapter's figures from them; ``pattern_figure`` (plotly) is one case of the
explorer in ``blogcode.attention.widgets``, drawn from ``pattern_traces`` and
``pattern_layout``, which the explorer reuses for every slider step.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.attention.patterns import pattern_mask, receptive_field_matrix

__all__ = ["check_query", "draw_mask", "draw_arcs", "arc_points", "pattern_traces", "pattern_layout",
           "pattern_figure", "patterns_figure", "quadratic_cost_figure", "timing_figure",
           "receptive_field_figure"]


def _square_mask(mask) -> np.ndarray:
    if mask is None or isinstance(mask, (str, bytes)):
        raise TypeError(f"mask must be a bool (n, n) array, got {type(mask).__name__}")
    mask = np.asarray(mask)
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.number):
        raise TypeError(f"mask must be a bool (n, n) array, got dtype {mask.dtype}")
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1] or mask.shape[0] == 0:
        raise ValueError(f"mask must be a non-empty square (n, n) array, got shape {mask.shape}")
    return mask.astype(bool)


def check_query(query, n: int):
    """``query`` checked as ``None`` or a position in ``[0, n)``."""
    return None if query is None else checks.integer(query, "query", minimum=0, maximum=n - 1)


def _check_drawing(ax, mask, title, query):
    if not hasattr(ax, "imshow"):
        raise TypeError(f"ax must be a Matplotlib Axes, got {type(ax).__name__}")
    mask = _square_mask(mask)
    return mask, checks.string(title, "title"), check_query(query, mask.shape[0])


def draw_mask(ax, mask, title: str = "", query: int | None = None):
    """Draw a mask as a matrix: dark = may attend (row = query, column = key)."""
    mask, title, query = _check_drawing(ax, mask, title, query)
    ax.imshow(mask, cmap="Blues", vmin=-0.15, vmax=1.0, interpolation="nearest")
    n = mask.shape[0]
    ax.set_xticks(np.arange(-0.5, n, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("key position j")
    ax.set_ylabel("query position i")
    if query is not None:
        ax.axhline(query, color="#d62728", linewidth=1.5, alpha=0.6)
    ax.set_title(title)


def arc_points(i: int, j: int, steps: int = 24):
    """Points of a half circle above the axis from position j to position i."""
    theta = np.linspace(0, np.pi, steps)
    centre, radius = (i + j) / 2, abs(i - j) / 2
    return centre + radius * np.cos(theta), radius * np.sin(theta)


def draw_arcs(ax, mask, title: str = "", query: int | None = None):
    """Link diagram: positions on a line, an arc for each pair allowed to
    attend (drawn once per unordered pair); ``query``'s links in red."""
    mask, title, query = _check_drawing(ax, mask, title, query)
    n = mask.shape[0]
    linked = mask | mask.T
    for i in range(n):
        for j in range(i):
            if linked[i, j]:
                hot = query is not None and query in (i, j) and mask[query, j if query == i else i]
                x, y = arc_points(i, j)
                ax.plot(x, y, color="#d62728" if hot else "#1f77b4", linewidth=1.4 if hot else 0.6,
                        alpha=1.0 if hot else 0.45, zorder=3 if hot else 2)
    ax.scatter(np.arange(n), np.zeros(n), s=14, color="black", zorder=4)
    if query is not None:
        ax.scatter([query], [0], s=40, color="#d62728", zorder=5)
    ax.set_xlim(-1, n)
    ax.set_ylim(-0.5, n / 2 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)


def pattern_traces(pattern: str, n: int, k: int, causal: bool, query: int):
    """The traces of one explorer step: the mask as a heatmap, the arcs of
    ``query`` and the positions it reaches with one and two layers; also
    returns those two counts."""
    mask = pattern_mask(pattern, n, k, causal)
    two_layers = receptive_field_matrix([mask, mask])[query]
    heat = go.Heatmap(z=mask.astype(int)[::-1], x=list(range(n)), y=list(range(n))[::-1],
                      colorscale=[[0, "#f4f4f4"], [1, "#1f77b4"]], zmin=0, zmax=1, showscale=False,
                      hovertemplate="query %{y}, key %{x}: %{z}<extra></extra>", xaxis="x", yaxis="y")
    arc_x, arc_y = [], []
    for j in np.flatnonzero(mask[query]):
        if j != query:
            x, y = arc_points(query, int(j))
            arc_x += list(x) + [None]
            arc_y += list(-y if j > query else y) + [None]
    arcs = go.Scatter(x=arc_x or [None], y=arc_y or [None], mode="lines", line=dict(color="#d62728", width=1.5),
                      name=f"keys query {query} attends to", xaxis="x2", yaxis="y2", hoverinfo="skip")
    colours = np.where(mask[query], "#d62728", np.where(two_layers, "#ff9896", "#bbbbbb"))
    dots = go.Scatter(x=list(range(n)), y=[0] * n, mode="markers", marker=dict(color=list(colours), size=8),
                      name=f"reached by one layer (red): {int(mask[query].sum())}, by two (pink): {int(two_layers.sum())}",
                      xaxis="x2", yaxis="y2",
                      hovertemplate="position %{x}<extra></extra>")
    return [heat, arcs, dots], int(mask[query].sum()), int(two_layers.sum())


def pattern_layout(title: str, n: int) -> dict:
    """The layout of the pattern figure: the mask (left) and the links (right)."""
    return dict(
        # The legend sits between the title and the panels, clear of the axis titles;
        # side margins leave room for the first and last slider labels.
        title=dict(text=title, y=0.97), height=500, margin=dict(l=60, r=60, t=110, b=40), showlegend=True,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0.5, xanchor="center"),
        xaxis=dict(domain=[0, 0.42], title="key position j", constrain="domain"),
        yaxis=dict(title="query position i", scaleanchor="x", autorange="reversed"),
        xaxis2=dict(domain=[0.5, 1.0], anchor="y2", title="position", range=[-1, n]),
        yaxis2=dict(anchor="x2", visible=False, range=[-n / 2 - 1, n / 2 + 1]),
    )


def pattern_figure(pattern: str = "sparse", n: int = 24, k: int = 4, causal: bool = False,
                   query: int | None = None) -> go.Figure:
    """One case: the mask (left) and the links of one query (right; arcs
    above go to the past, below to the future), coloured by what it reaches
    with one layer and with two stacked layers of the same pattern."""
    n = checks.positive_int(n, "n")
    query = n // 2 if query is None else check_query(query, n)
    traces, one, two = pattern_traces(pattern, n, k, causal, query)
    fig = go.Figure(traces)
    fig.update_layout(**pattern_layout(
        f"{pattern}{' causal' if causal else ''}, n = {n}, k = {k}: query {query} sees {one} keys, "
        f"{two} after two layers", n))
    return fig


# --------------------------------------------------------------------------- the chapter's matplotlib figures


def patterns_figure(names, n: int, k: int, query: int, causal: bool = False, titles=None, figsize=None):
    """One column per pattern in ``names``: its mask (top, titled by
    ``titles`` or the name) and its arc diagram with ``query``'s links (bottom)."""
    import matplotlib.pyplot as plt

    names = checks.strings(names, "names")
    titles = names if titles is None else checks.strings(titles, "titles")
    if len(titles) != len(names):
        raise ValueError(f"titles must give one title per pattern, got {len(titles)} for {len(names)}")
    masks = [pattern_mask(name, n, k, causal) for name in names]
    check_query(query, n)
    fig, axes = plt.subplots(2, len(names), figsize=figsize or (3.25 * len(names), 6.2), squeeze=False,
                             gridspec_kw={"height_ratios": [1.6, 1]})
    for col, (mask, title) in enumerate(zip(masks, titles)):
        draw_mask(axes[0, col], mask, title, query=query)
        draw_arcs(axes[1, col], mask, query=query)
    fig.tight_layout()
    return fig


def _lengths_and_times(lengths, times, name: str):
    lengths = [checks.positive_int(n, "lengths") for n in checks.nonempty(lengths, "lengths")]
    times = [checks.positive_real(t, name) for t in checks.nonempty(times, name)]
    if len(times) != len(lengths):
        raise ValueError(f"{name} must hold one time per length, got {len(times)} for {len(lengths)}")
    return np.array(lengths, dtype=float), np.array(times)


def quadratic_cost_figure(lengths, times):
    """Dense attention's cost against ``n`` (log-log): measured ``times``
    (seconds) with an ``n^2`` line through the last point (left), and the
    memory of one float32 ``n x n`` score matrix (right)."""
    import matplotlib.pyplot as plt

    ns, times = _lengths_and_times(lengths, times, "times")
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 3.4))
    ax_t.loglog(ns, times * 1e3, "o-", label="dense attention (measured)")
    ax_t.loglog(ns, times[-1] * 1e3 * (ns / ns[-1]) ** 2, "k--", linewidth=1, label="∝ n²")
    ax_t.set_xlabel("sequence length n")
    ax_t.set_ylabel("time per call (ms)")
    ax_t.legend(frameon=False)
    ax_m.loglog(ns, ns * ns * 4 / 2**20, "s-", color="#d62728", label="score matrix, float32")
    ax_m.set_xlabel("sequence length n")
    ax_m.set_ylabel("MiB")
    ax_m.legend(frameon=False)
    fig.tight_layout()
    return fig


def timing_figure(timed: dict, lengths):
    """Time per call (log-log) of each form in ``timed`` (``time_forms``'s
    result: name -> seconds per length)."""
    import matplotlib.pyplot as plt

    timed = checks.instance_of(timed, "timed", dict)
    checks.nonempty(timed, "timed")
    series = {name: _lengths_and_times(lengths, times, f"timed[{name!r}]") for name, times in timed.items()}
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, (ns, times) in series.items():
        ax.loglog(ns, times * 1e3, "o-", label=name)
    ax.set_xlabel("sequence length n")
    ax.set_ylabel("time per call (ms)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def receptive_field_figure(reach: dict, names):
    """The receptive fields ``reach[name]`` (``receptive_field_matrix``
    results) of the stacks in ``names``, side by side: which inputs (columns)
    each output (rows) depends on."""
    import matplotlib.pyplot as plt

    reach = checks.instance_of(reach, "reach", dict)
    names = checks.strings(names, "names")
    missing = [name for name in names if name not in reach]
    if missing:
        raise ValueError(f"names {missing} are not in reach")
    fig, axes = plt.subplots(1, len(names), figsize=(3.25 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        draw_mask(ax, reach[name], name)
        ax.set_xlabel("input position")
        ax.set_ylabel("output position")
        ax.grid(False)
    fig.tight_layout()
    return fig
