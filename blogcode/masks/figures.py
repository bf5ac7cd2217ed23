"""Figures of the chapter "Layers within layers, and masks" (``book/masks.md``).

``padding_figure`` (plotly) is one case of the padding explorer, drawn from
``padding_traces`` and ``padding_layout``, which the static explorer in
``blogcode.masks.widgets`` reuses for every slider step.
``article_example_figure`` and ``bidirectional_errors_figure`` (matplotlib)
are the chapter's two static figures.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.masks.padding import padding_effects

__all__ = ["padding_traces", "padding_layout", "padding_figure", "article_example_figure",
           "bidirectional_errors_figure", "BIDIRECTIONAL_VARIANTS"]

#: The three set-ups of ``compare_bidirectional``: result key, colour, legend label.
BIDIRECTIONAL_VARIANTS = (("flip, no mask", "#d62728", "(a) flip, no mask"),
                          ("keras Bidirectional + mask", "#1f77b4", "(b) Keras Bidirectional + mask"),
                          ("AlignedBidirectional", "#2ca02c", "(c) AlignedBidirectional"))


def padding_traces(values, padded_length: int) -> list:
    """The traces of one explorer step: the padded sequence, the two means and
    maxima, and the two softmax distributions."""
    e = padding_effects(values, padded_length)
    positions = list(range(padded_length))
    colours = ["#1f77b4" if m else "#bbbbbb" for m in e["mask"]]
    return [
        go.Bar(x=positions, y=e["padded"], marker_color=colours, name="sequence (grey = padding)",
               showlegend=False, xaxis="x", yaxis="y",
               hovertemplate="position %{x}: %{y}<extra></extra>"),
        go.Bar(x=["mean", "max"], y=[e["naive_mean"], e["naive_max"]], name="ignoring the mask",
               marker_color="#d62728", xaxis="x2", yaxis="y2", legendgroup="naive",
               text=[f"{e['naive_mean']:.2f}", f"{e['naive_max']:.2f}"], textposition="outside",
               textfont=dict(size=10), cliponaxis=False),
        go.Bar(x=["mean", "max"], y=[e["masked_mean"], e["masked_max"]], name="with the mask",
               marker_color="#2ca02c", xaxis="x2", yaxis="y2", legendgroup="masked",
               text=[f"{e['masked_mean']:.2f}", f"{e['masked_max']:.2f}"], textposition="outside",
               textfont=dict(size=10), cliponaxis=False),
        go.Bar(x=positions, y=e["naive_softmax"], name="softmax ignoring the mask", marker_color="#d62728",
               xaxis="x3", yaxis="y3", legendgroup="naive", showlegend=False),
        go.Bar(x=positions, y=e["masked_softmax"], name="softmax with the mask", marker_color="#2ca02c",
               xaxis="x3", yaxis="y3", legendgroup="masked", showlegend=False),
    ]


def padding_layout(title: str) -> dict:
    """The layout of the padding figure: sequence, statistics and softmax panels."""
    title = checks.string(title, "title")
    return dict(
        title=title,
        height=430,
        barmode="group",
        margin=dict(l=50, r=20, t=70, b=40),
        legend=dict(orientation="h", y=1.12, x=0.5, xanchor="center"),
        xaxis=dict(domain=[0, 0.3], title="position", dtick=1),
        yaxis=dict(title="value"),
        xaxis2=dict(domain=[0.38, 0.58], anchor="y2"),
        yaxis2=dict(anchor="x2", title="statistic"),
        xaxis3=dict(domain=[0.66, 1.0], anchor="y3", title="position", dtick=1),
        yaxis3=dict(anchor="x3", title="probability", range=[0, 1]),
    )


def padding_figure(values, padded_length: int) -> go.Figure:
    """One case of the padding explorer (drawn by the live widget)."""
    fig = go.Figure(padding_traces(values, padded_length))
    fig.update_layout(**padding_layout(f"{len(values)} real values padded to {padded_length}"))
    return fig


def article_example_figure(values, padded_length: int):
    """The article's example as a matplotlib figure: the mean ignoring and
    with the mask (left), and both softmax distributions per position with the
    padding shaded (right)."""
    import matplotlib.pyplot as plt

    e = padding_effects(values, padded_length)
    n_real = int(e["mask"].sum())
    means = [e["naive_mean"], e["masked_mean"]]
    fig, (ax_mean, ax_soft) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [1, 2.2]})
    ax_mean.bar(["ignoring\nthe mask", "with\nthe mask"], means, color=["#d62728", "#2ca02c"])
    for i, v in enumerate(means):
        ax_mean.text(i, v + 0.05, f"{v:.3f}", ha="center")
    ax_mean.set_ylabel("mean of the sequence")
    ax_mean.set_ylim(min(0.0, 1.2 * min(means)), max(0.0, 1.2 * max(means)) or 1.0)
    ax_mean.set_title("mean")
    positions = np.arange(padded_length)
    ax_soft.bar(positions - 0.2, e["naive_softmax"], width=0.4, color="#d62728", label="ignoring the mask")
    ax_soft.bar(positions + 0.2, e["masked_softmax"], width=0.4, color="#2ca02c", label="with the mask")
    if n_real < padded_length:
        ax_soft.axvspan(n_real - 0.5, padded_length - 0.5, color="0.9", zorder=-1, label="padding")
    ax_soft.set_xticks(positions, [f"{i}\n({v:g})" for i, v in enumerate(e["padded"])])
    ax_soft.set_xlabel("position (value)")
    ax_soft.set_ylabel("probability")
    ax_soft.set_title("softmax")
    ax_soft.legend(frameon=False)
    fig.tight_layout()
    return fig


def bidirectional_errors_figure(results: dict, tolerance: float = 1e-5):
    """Grouped bars (log scale) of the backward-half error of each set-up of
    ``compare_bidirectional``; ``results`` maps ``(rnn name, return_sequences)``
    to its result, and a dashed line marks ``tolerance``."""
    import matplotlib.pyplot as plt

    results = checks.instance_of(results, "results", dict)
    checks.nonempty(results, "results")
    tolerance = checks.positive_real(tolerance, "tolerance")
    for key, errs in results.items():
        if not isinstance(key, tuple) or len(key) != 2 or not isinstance(errs, dict):
            raise TypeError("results must map (rnn name, return_sequences) to a compare_bidirectional result")
        missing = [name for name, _, _ in BIDIRECTIONAL_VARIANTS if name not in errs]
        if missing:
            raise ValueError(f"results[{key!r}] lacks {missing}")
    labels = [f"{name}\n{'sequence' if seq else 'last state'}" for name, seq in results]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    xs = np.arange(len(labels))
    for i, (key, colour, label) in enumerate(BIDIRECTIONAL_VARIANTS):
        ax.bar(xs + (i - 1) * 0.27, [max(errs[key], 1e-9) for errs in results.values()], width=0.27,
               color=colour, label=label)
    ax.set_yscale("log")
    ax.set_xticks(xs, labels)
    ax.set_ylabel("max |error| of the backward half")
    ax.axhline(tolerance, color="0.4", lw=0.8, ls="--")
    ax.text(len(labels) - 0.5, 1.3 * tolerance, f"tolerance {tolerance:g}", ha="right", va="bottom", fontsize=8,
            color="0.3")
    ax.legend(frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.18))
    fig.tight_layout()
    return fig
