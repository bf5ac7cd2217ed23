"""Explorer for the chapter "Two optimizer wrappers: Lookahead and LazyOptimizer"
(``book/lookahead.md``), section "Explorer".

Lookahead around SGD with momentum on the chapter's narrow valley
``f(x, y) = (x² + 25 y²) / 2``, computed in NumPy (the same update rules as
``blogcode.optimizers.lookahead.Lookahead`` around ``keras.optimizers.SGD``
with momentum and ``momentum="keep"``; a unit test checks the two agree), so
that every slider position costs microseconds:

* ``lookahead_path`` is the pure function: fast and slow weights of one run;
* ``explorer_figure`` precomputes one slider step per ``(k, alpha)`` pair for
  the static HTML page (``blogcode.figures.stepped_figure``);
* ``LiveExplorer`` is the ``ipywidgets`` version for a running kernel, drawing
  the same traces with any ``k`` and ``alpha``.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.figures import show_figure, stepped_figure

__all__ = ["valley_loss", "lookahead_path", "path_traces", "path_figure", "explorer_figure", "LiveExplorer"]

START = (-4.0, 1.2)
X_RANGE = (-4.5, 1.5)
Y_RANGE = (-1.6, 1.6)
FAST_COLOUR = "#1f77b4"
SLOW_COLOUR = "#ff7f0e"
PLAIN_COLOUR = "#888888"


def valley_loss(w) -> float:
    """The chapter's loss surface ``(x² + 25 y²) / 2`` at ``w = (x, y)``."""
    w = np.asarray(w, dtype=float)
    return float(0.5 * (w[0] ** 2 + 25.0 * w[1] ** 2))


def _check(k, alpha, start, steps, learning_rate, momentum):
    checks.positive_int(k, "k")
    checks.real(alpha, "alpha", minimum=0.0, maximum=1.0, exclusive_minimum=True)
    checks.positive_int(steps, "steps")
    checks.positive_real(learning_rate, "learning_rate")
    checks.real(momentum, "momentum", minimum=0.0, maximum=1.0, exclusive_maximum=True)
    if start is None or isinstance(start, (str, bytes)) or len(np.shape(start)) != 1:
        raise TypeError(f"start must be a pair of numbers (x, y), got {type(start).__name__}")
    if len(start) != 2:
        raise ValueError(f"start must be two numbers (x, y), got {len(start)}")
    return np.array([checks.real(v, "start[]") for v in start])


def lookahead_path(k: int, alpha: float, *, start=START, steps: int = 40,
                   learning_rate: float = 0.03, momentum: float = 0.9):
    """Fast weights after every step (``steps + 1`` rows, the start first) and slow
    weights at the start and after every synchronisation, for Lookahead(k, alpha)
    around SGD with momentum on ``valley_loss``. ``k = 1, alpha = 1`` is plain SGD
    with momentum. The momentum is kept at a synchronisation (``momentum="keep"``)."""
    w = _check(k, alpha, start, steps, learning_rate, momentum).copy()
    scale = np.array([1.0, 25.0])  # gradient of the valley: (x, 25 y)
    velocity = np.zeros(2)
    slow = w.copy()
    fast_path, slow_path = [w.copy()], [slow.copy()]
    for t in range(1, steps + 1):
        velocity = momentum * velocity - learning_rate * scale * w  # Keras SGD's momentum rule
        w = w + velocity
        if t % k == 0:
            slow = slow + alpha * (w - slow)
            w = slow.copy()
            slow_path.append(slow.copy())
        fast_path.append(w.copy())
    return np.array(fast_path), np.array(slow_path)


def path_traces(k: int, alpha: float, *, steps: int = 40, first: bool = True) -> list:
    """Four traces for one ``(k, alpha)``: plain SGD with momentum, the fast and the
    slow weights of Lookahead, and a text line with the final losses."""
    plain, _ = lookahead_path(1, 1.0, steps=steps)
    fast, slow = lookahead_path(k, alpha, steps=steps)
    text = (f"after {steps} steps: loss {valley_loss(fast[-1]):.2e} with Lookahead, "
            f"{valley_loss(plain[-1]):.2e} without")
    return [
        go.Scatter(x=plain[:, 0], y=plain[:, 1], mode="lines", line=dict(color=PLAIN_COLOUR, width=1),
                   name="SGD + momentum alone", showlegend=first, legendgroup="plain"),
        go.Scatter(x=fast[:, 0], y=fast[:, 1], mode="lines+markers", marker=dict(size=3),
                   line=dict(color=FAST_COLOUR, width=1), name="Lookahead: fast weights",
                   showlegend=first, legendgroup="fast",
                   hovertemplate="step %{pointNumber}: (%{x:.3f}, %{y:.3f})<extra>fast</extra>"),
        go.Scatter(x=slow[:, 0], y=slow[:, 1], mode="lines+markers", marker=dict(size=9),
                   line=dict(color=SLOW_COLOUR, width=2), name="Lookahead: slow weights",
                   showlegend=first, legendgroup="slow",
                   hovertemplate="sync %{pointNumber}: (%{x:.3f}, %{y:.3f})<extra>slow</extra>"),
        go.Scatter(x=[X_RANGE[0] + 0.1], y=[Y_RANGE[1] - 0.12], mode="text", text=[text],
                   textposition="middle right", showlegend=False, hoverinfo="skip"),
    ]


def _layout(title: str) -> dict:
    # Level sets of the valley are ellipses: drawn as layout shapes, so they are
    # stored once rather than once per slider step.
    levels = np.geomspace(0.02, 60, 12)
    shapes = [dict(type="circle", xref="x", yref="y", x0=-math.sqrt(2 * c), x1=math.sqrt(2 * c),
                   y0=-math.sqrt(2 * c / 25), y1=math.sqrt(2 * c / 25),
                   line=dict(color="#dddddd", width=1), layer="below") for c in levels]
    return dict(
        title=title, height=520, margin=dict(l=60, r=20, t=60, b=40), shapes=shapes,
        xaxis=dict(title="x (first weight)", range=list(X_RANGE), zeroline=False),
        yaxis=dict(title="y (second weight)", range=list(Y_RANGE), zeroline=False),
        legend=dict(orientation="h", y=-0.15, x=0.5, xanchor="center"),
    )


def path_figure(k: int, alpha: float, *, steps: int = 40) -> go.Figure:
    """One ``(k, alpha)`` of the explorer as a figure (used by the live widget)."""
    fig = go.Figure(path_traces(k, alpha, steps=steps))
    fig.update_layout(**_layout(f"Lookahead around SGD + momentum, k = {k}, α = {alpha:g}"))
    return fig


def explorer_figure(ks=(1, 2, 3, 5, 10), alphas=(0.2, 0.35, 0.5, 0.8, 1.0), *, steps: int = 40,
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
                          layout=_layout("Lookahead around SGD + momentum: move the slider over k and α"))


class LiveExplorer:
    """Sliders for ``k`` and ``alpha``; redraws the paths and the final losses.

    ``widget`` is the ipywidgets box to display; ``update()`` is what the sliders
    call and can be called directly (tests do)."""

    def __init__(self, k: int = 5, alpha: float = 0.5, steps: int = 40):
        import ipywidgets as w

        self.steps = steps
        self.k = w.IntSlider(value=k, min=1, max=20, description="k")
        self.alpha = w.FloatSlider(value=alpha, min=0.05, max=1.0, step=0.05, description="α")
        self.out = w.Output()
        for s in (self.k, self.alpha):
            s.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([w.HBox([self.k, self.alpha]), self.out])
        self.figure: go.Figure | None = None
        self.update()

    def update(self) -> None:
        self.figure = path_figure(self.k.value, float(self.alpha.value), steps=self.steps)
        with self.out:
            self.out.clear_output(wait=True)
            show_figure(self.figure)
