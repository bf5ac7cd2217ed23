"""Explorer of the chapter "Two optimizer wrappers: Lookahead and LazyOptimizer"
(``book/lookahead.md``), section "Explorer": Lookahead's k and α on the valley.

* ``path_view`` is the pure view function: the figure of one ``(k, alpha)``
  (``blogcode.lookahead.figures.path_figure``) and the final losses;
* ``path_explorer`` precomputes one slider step per ``(k, alpha)`` pair for the
  static HTML page (``blogcode.figures.stepped_figure``), drawn with the same traces;
* ``path_live_widget`` is the live version for a running kernel
  (``blogcode.widgets.LiveWidget`` over ``path_view``), for any ``k`` and ``alpha``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from blogcode import checks
from blogcode.figures import stepped_figure
from blogcode.lookahead.figures import path_figure, path_layout, path_traces
from blogcode.lookahead.valley import lookahead_path, valley_loss
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["path_view", "path_explorer", "path_live_widget"]


def path_view(k: int = 5, alpha: float = 0.5, steps: int = 40) -> LiveView:
    """One ``(k, alpha)``: the figure, the final losses with and without Lookahead,
    and the paths (``result``: ``{"fast", "slow", "plain"}``)."""
    fast, slow = lookahead_path(k, alpha, steps=steps)
    plain, _ = lookahead_path(1, 1.0, steps=steps)
    text = (f"k = {k}, α = {alpha:g}: loss after {steps} steps {valley_loss(fast[-1]):.2e} with Lookahead, "
            f"{valley_loss(plain[-1]):.2e} without")
    return LiveView(path_figure(k, alpha, steps=steps), text, {"fast": fast, "slow": slow, "plain": plain})


def path_explorer(ks=(1, 2, 3, 5, 10), alphas=(0.2, 0.35, 0.5, 0.8, 1.0), *, steps: int = 40,
                  active: int | None = None) -> go.Figure:
    """Static explorer: every ``(k, alpha)`` pair precomputed, chosen with one slider
    (k outer, alpha inner). ``active`` defaults to the article's k = 5, α = 0.5 when
    present, else the first pair."""
    ks = [checks.positive_int(k, "ks[]") for k in checks.nonempty(ks, "ks")]
    alphas = [checks.real(a, "alphas[]") for a in checks.nonempty(alphas, "alphas")]
    pairs = [(k, a) for k in ks for a in alphas]
    steps_ = [(f"k = {k}, α = {a:g}", path_traces(k, a, steps=steps, first=i == 0))
              for i, (k, a) in enumerate(pairs)]
    if active is None:
        active = pairs.index((5, 0.5)) if (5, 0.5) in pairs else 0
    active = checks.integer(active, "active", minimum=0, maximum=len(pairs) - 1)
    return stepped_figure(steps_, slider_label="k, α", active=active,
                          layout=path_layout("Lookahead around SGD + momentum: move the slider over k and α"))


def path_live_widget(k: int = 5, alpha: float = 0.5, steps: int = 40) -> LiveWidget:
    """Sliders for ``k`` (1 to 20) and ``alpha`` (0.05 to 1); redraws the paths and
    the final losses (needs a kernel)."""
    import ipywidgets as w

    k = checks.integer(k, "k", minimum=1, maximum=20)
    alpha = checks.real(alpha, "alpha", minimum=0.05, maximum=1.0)
    steps = checks.positive_int(steps, "steps")
    controls = {
        "k": w.IntSlider(value=k, min=1, max=20, description="k"),
        "alpha": w.FloatSlider(value=alpha, min=0.05, max=1.0, step=0.05, description="α"),
    }

    def view(k, alpha):
        return path_view(k, float(alpha), steps)

    return LiveWidget(view, controls)
