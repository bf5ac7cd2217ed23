"""The explorer of attention patterns: a static explorer and a live widget over one view.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md). Both draw through ``blogcode.attention.figures``: the
static explorer precomputes every slider step from ``pattern_traces`` for the
page, and the live ``ipywidgets`` version redraws ``pattern_figure`` through
the pure view ``pattern_view``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from blogcode import checks
from blogcode.attention.figures import check_query, pattern_figure, pattern_layout, pattern_traces
from blogcode.attention.patterns import PATTERN_NAMES, pattern_mask, receptive_field_matrix
from blogcode.figures import stepped_figure
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["PATTERNS", "EXPLORER_LAYOUT", "EXPLORER_SLIDER", "pattern_explorer", "pattern_view", "pattern_live_widget"]

#: The patterns the explorer offers, in its order.
PATTERNS = PATTERN_NAMES


def pattern_explorer(n: int = 24, ks=(2, 3, 4, 6), query: int | None = None) -> go.Figure:
    """Static explorer: every pattern, k in ``ks`` and causal or not, precomputed."""
    n = checks.positive_int(n, "n")
    ks = [checks.positive_int(k, "ks") for k in checks.nonempty(ks, "ks")]
    query = n // 2 if query is None else check_query(query, n)
    steps = []
    for pattern in PATTERNS:
        for k in ks:
            if pattern == "dense" and k != ks[0]:
                continue
            for causal in (False, True):
                traces, one, two = pattern_traces(pattern, n, k, causal, query)
                # short labels, so that all of them fit under the slider; the counts are in the legend
                steps.append((f"{pattern}{'' if pattern == 'dense' else f' {k}'}{' c' if causal else ''}", traces))
    fig = stepped_figure(steps, slider_label="pattern (k, c = causal)", active=len(steps) - 4, layout=pattern_layout(
        f"Attention patterns, n = {n}<br><sup>left: the mask; right: the links of query {query}</sup>", n))
    fig.update_layout(**EXPLORER_LAYOUT)
    fig.layout.sliders[0].update(EXPLORER_SLIDER)
    return fig


#: What the static explorer changes in ``pattern_layout``: a two-line title that fits a
#: phone's width, the legend in its own band under it (clear of the title and of the
#: panels), and room under the axis titles for the slider's current value and labels.
EXPLORER_LAYOUT = dict(
    title=dict(yref="container", y=1.0, yanchor="top", pad=dict(t=14), x=0.02, xanchor="left"),
    height=570, margin=dict(l=56, r=40, t=108, b=70),
    legend=dict(orientation="h", y=1.03, yanchor="bottom", x=0.0, xanchor="left", font=dict(size=12)),
)
#: The slider: its current value well below the axis titles, small labels, inset ends.
EXPLORER_SLIDER = dict(pad=dict(t=78, l=10, r=10), font=dict(size=10), x=0.0, len=1.0,
                       currentvalue=dict(font=dict(size=13), offset=12))


def pattern_view(pattern: str = "sparse", n: int = 24, k: int = 4, causal: bool = False,
                 query: int | None = None) -> LiveView:
    """One setting of the live widget: ``pattern_figure`` and the number of
    keys ``query`` (default the middle one) reaches with one and two layers.
    The result is ``{"mask", "one_layer", "two_layers"}``."""
    n = checks.positive_int(n, "n")
    query = n // 2 if query is None else check_query(query, n)
    mask = pattern_mask(pattern, n, k, causal)
    two = receptive_field_matrix([mask, mask])[query]
    result = {"mask": mask, "one_layer": int(mask[query].sum()), "two_layers": int(two.sum())}
    text = (f"{pattern}{' causal' if causal else ''}, n = {n}, k = {k}: query {query} sees "
            f"{result['one_layer']} keys, {result['two_layers']} after two layers")
    return LiveView(figure=pattern_figure(pattern, n, k, causal, query), text=text, result=result)


def pattern_live_widget(n: int = 24, k: int = 4) -> LiveWidget:
    """Live version (needs a kernel): choose pattern, n, k, causal and the query."""
    import ipywidgets as w

    n, k = checks.integer(n, "n", minimum=4, maximum=64), checks.integer(k, "k", minimum=1, maximum=16)
    controls = {
        "pattern": w.Dropdown(options=PATTERNS, value="sparse", description="pattern"),
        "causal": w.Checkbox(value=False, description="causal"),
        "n": w.IntSlider(value=n, min=4, max=64, description="n"),
        "k": w.IntSlider(value=k, min=1, max=16, description="k"),
        "query": w.IntSlider(value=n // 2, min=0, max=n - 1, description="query"),
    }

    def follow_length(change):
        # Registered before the widget's own observer: the query slider ends
        # at the last position before the view is redrawn for the new n.
        controls["query"].max = change["new"] - 1

    controls["n"].observe(follow_length, names="value")
    return LiveWidget(pattern_view, controls, rows=[["pattern", "causal"], ["n", "k", "query"]])
