"""Pictures and explorers of attention patterns.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md). Matplotlib helpers draw a pattern as an ``n x n`` matrix
and as a link (arc) diagram; the plotly explorer precomputes every slider
step for the static page, and the live ``ipywidgets`` version redraws the same
figure from the same pure function ``pattern_figure``.
"""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.attention.patterns import atrous_mask, causal_mask, local_mask, receptive_field, sparse_mask
from blogcode.figures import show_figure, stepped_figure

__all__ = ["PATTERNS", "pattern_mask", "draw_mask", "draw_arcs", "pattern_figure",
           "pattern_explorer", "pattern_live_widget", "time_forms"]

PATTERNS = ("dense", "atrous", "local", "sparse")


def pattern_mask(pattern: str, n: int, k: int, causal: bool = False) -> np.ndarray:
    """The bool ``(n, n)`` mask of a pattern by name (``dense`` ignores ``k``)."""
    pattern = checks.one_of(pattern, "pattern", PATTERNS)
    n, k, causal = checks.positive_int(n, "n"), checks.positive_int(k, "k"), checks.boolean(causal, "causal")
    if pattern == "dense":
        return causal_mask(n) if causal else np.ones((n, n), bool)
    return {"atrous": atrous_mask, "local": local_mask, "sparse": sparse_mask}[pattern](n, k, causal=causal)


def _square_mask(mask) -> np.ndarray:
    if mask is None or isinstance(mask, (str, bytes)):
        raise TypeError(f"mask must be a bool (n, n) array, got {type(mask).__name__}")
    mask = np.asarray(mask)
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.number):
        raise TypeError(f"mask must be a bool (n, n) array, got dtype {mask.dtype}")
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1] or mask.shape[0] == 0:
        raise ValueError(f"mask must be a non-empty square (n, n) array, got shape {mask.shape}")
    return mask.astype(bool)


def _query(query, n: int):
    """``None`` or a position in ``[0, n)``."""
    return None if query is None else checks.integer(query, "query", minimum=0, maximum=n - 1)


def _check_drawing(ax, mask, title, query):
    if not hasattr(ax, "imshow"):
        raise TypeError(f"ax must be a Matplotlib Axes, got {type(ax).__name__}")
    mask = _square_mask(mask)
    return mask, checks.string(title, "title"), _query(query, mask.shape[0])


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


def _arc_points(i: int, j: int, steps: int = 24):
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
                x, y = _arc_points(i, j)
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


# --------------------------------------------------------------------------- plotly explorer


def _pattern_traces(pattern: str, n: int, k: int, causal: bool, query: int):
    mask = pattern_mask(pattern, n, k, causal)
    two_layers = receptive_field([mask, mask])[query]
    heat = go.Heatmap(z=mask.astype(int)[::-1], x=list(range(n)), y=list(range(n))[::-1],
                      colorscale=[[0, "#f4f4f4"], [1, "#1f77b4"]], zmin=0, zmax=1, showscale=False,
                      hovertemplate="query %{y}, key %{x}: %{z}<extra></extra>", xaxis="x", yaxis="y")
    arc_x, arc_y = [], []
    for j in np.flatnonzero(mask[query]):
        if j != query:
            x, y = _arc_points(query, int(j))
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


def _pattern_layout(title: str, n: int) -> dict:
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
    query = n // 2 if query is None else _query(query, n)
    traces, one, two = _pattern_traces(pattern, n, k, causal, query)
    fig = go.Figure(traces)
    fig.update_layout(**_pattern_layout(
        f"{pattern}{' causal' if causal else ''}, n = {n}, k = {k}: query {query} sees {one} keys, "
        f"{two} after two layers", n))
    return fig


def pattern_explorer(n: int = 24, ks=(2, 3, 4, 6), query: int | None = None) -> go.Figure:
    """Static explorer: every pattern, k in ``ks`` and causal or not, precomputed."""
    n = checks.positive_int(n, "n")
    ks = [checks.positive_int(k, "ks") for k in checks.nonempty(ks, "ks")]
    query = n // 2 if query is None else _query(query, n)
    steps = []
    for pattern in PATTERNS:
        for k in ks:
            if pattern == "dense" and k != ks[0]:
                continue
            for causal in (False, True):
                traces, one, two = _pattern_traces(pattern, n, k, causal, query)
                # short labels, so that all of them fit under the slider; the counts are in the legend
                steps.append((f"{pattern}{'' if pattern == 'dense' else f' {k}'}{' c' if causal else ''}", traces))
    fig = stepped_figure(steps, slider_label="pattern (k, c = causal)", active=len(steps) - 4, layout=_pattern_layout(
        f"Attention patterns for n = {n}: the mask, and the links of query {query}", n))
    fig.layout.sliders[0].font = dict(size=10)
    return fig


def pattern_live_widget(n: int = 24, k: int = 4):
    """Live version (needs a kernel): choose pattern, n, k, causal and the query."""
    import ipywidgets as w

    n, k = checks.integer(n, "n", minimum=4, maximum=64), checks.integer(k, "k", minimum=1, maximum=16)
    pattern = w.Dropdown(options=PATTERNS, value="sparse", description="pattern")
    length = w.IntSlider(value=n, min=4, max=64, description="n")
    size = w.IntSlider(value=k, min=1, max=16, description="k")
    causal = w.Checkbox(value=False, description="causal")
    query = w.IntSlider(value=n // 2, min=0, max=n - 1, description="query")
    out = w.Output()

    def redraw(*_):
        query.max = length.value - 1
        out.clear_output(wait=True)
        with out:
            show_figure(pattern_figure(pattern.value, length.value, size.value, causal.value, query.value))

    for control in (pattern, length, size, causal, query):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([pattern, causal]), w.HBox([length, size, query]), out])


# --------------------------------------------------------------------------- timing


def time_forms(forms: dict, lengths, depth: int = 32, batch: int = 1, repeat: int = 3, seed: int = 0) -> dict:
    """Median wall time (seconds) of each ``forms[name](q, k, v, n)`` compiled
    with ``tf.function``, for every length; one warm-up call first, methods
    interleaved. A quick in-notebook measurement; benchmarks/attention.py is
    the careful one."""
    import tensorflow as tf

    forms = checks.instance_of(forms, "forms", dict)
    if not forms or not all(callable(f) for f in forms.values()):
        raise ValueError("forms must map names to callables f(q, k, v, n), at least one")
    lengths = [checks.positive_int(n, "lengths") for n in checks.nonempty(lengths, "lengths")]
    depth, batch = checks.positive_int(depth, "depth"), checks.positive_int(batch, "batch")
    repeat, seed = checks.positive_int(repeat, "repeat"), checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    result = {name: [] for name in forms}
    # One tf.function per form, traced once per length (n is a Python argument):
    # re-creating the functions for every length would make TensorFlow warn.
    calls = {name: tf.function(lambda q, k, v, n, f=f: f(q, k, v, n), autograph=False)
             for name, f in forms.items()}
    for n in lengths:
        q, k, v = (tf.constant(rng.normal(size=(batch, n, depth)).astype("float32")) for _ in range(3))
        times = {name: [] for name in forms}
        # The warm-up call traces each form for this length, by design; silence
        # TensorFlow's "frequent retracing" warning for it.
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")
        try:
            for call in calls.values():
                call(q, k, v, n).numpy()
        finally:
            logger.setLevel(level)
        for _ in range(repeat):
            for name, call in calls.items():
                start = time.perf_counter()
                call(q, k, v, n).numpy()
                times[name].append(time.perf_counter() - start)
        for name in forms:
            result[name].append(float(np.median(times[name])))
    return result
