"""Static figures of the chapter "Two optimizer wrappers: Lookahead and
LazyOptimizer" (``book/lookahead.md``).

* plotly, the explorer's paths on the valley (``blogcode.lookahead.valley``):
  ``path_traces``, ``path_layout`` and ``path_figure``, drawn by the static explorer
  and by the live widget alike (``blogcode.lookahead.widgets``);
* matplotlib, the chapter's other figures: ``trajectory_figure`` (the Keras
  wrapper's fast and slow weights on the valley), ``learning_curves_figure`` (the
  MNIST and text runs, epoch by epoch), ``sweep_figure`` (the k × α heat map) and
  ``drift_figure`` (how far momentum carries a word that left the batch).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.figures import markdown_table
from blogcode.lookahead.valley import lookahead_path, valley_loss

__all__ = ["path_traces", "path_layout", "path_figure", "trajectory_figure", "learning_curves_figure",
           "sweep_figure", "drift_figure", "text_comparison_table"]

X_RANGE = (-4.5, 1.5)
Y_RANGE = (-1.6, 1.6)
FAST_COLOUR = "#1f77b4"
SLOW_COLOUR = "#ff7f0e"
PLAIN_COLOUR = "#888888"


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


def path_layout(title: str) -> dict:
    """The valley's axes, with its level sets drawn as layout shapes (ellipses),
    so they are stored once rather than once per slider step."""
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
    """One ``(k, alpha)`` of the explorer as a figure (what the live widget shows)."""
    fig = go.Figure(path_traces(k, alpha, steps=steps))
    fig.update_layout(**path_layout(f"Lookahead around SGD + momentum, k = {k}, α = {alpha:g}"))
    return fig


def _path(points, name: str) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"{name} must be a non-empty array of (x, y) rows, got shape {points.shape}")
    return points


def trajectory_figure(plain_path, fast_path, slow_path, k: int = 5):
    """SGD with momentum alone (grey) and inside Lookahead (fast weights blue, slow
    weights orange, every ``k`` steps) over the valley's level sets (matplotlib)."""
    import matplotlib.pyplot as plt

    plain_path, fast_path = _path(plain_path, "plain_path"), _path(fast_path, "fast_path")
    slow_path, k = _path(slow_path, "slow_path"), checks.positive_int(k, "k")
    xs, ys = np.meshgrid(np.linspace(*X_RANGE, 200), np.linspace(*Y_RANGE, 200))
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.contour(xs, ys, 0.5 * (xs**2 + 25 * ys**2), levels=np.geomspace(0.02, 60, 14), colors="0.8", linewidths=0.8)
    ax.plot(*plain_path.T, "-", color="0.55", lw=1, label="SGD + momentum alone")
    ax.plot(*fast_path.T, "-", color=FAST_COLOUR, lw=1, label="Lookahead: fast weights")
    ax.plot(*slow_path.T, "o-", color=SLOW_COLOUR, ms=7, lw=2, label=f"Lookahead: slow weights (every k = {k} steps)")
    ax.plot(0, 0, "k*", ms=12, label="minimum")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9, frameon=False)
    ax.set_title("k steps forward, one step back")
    fig.tight_layout()
    return fig


def learning_curves_figure(runs: dict, metrics: dict, *, log_scale: bool = False, legend_panel: int = 0,
                           legend_fontsize: int = 9, figsize=(10, 3.6)):
    """One panel per metric (``{history key: panel title}``), one line per run over
    epochs (matplotlib). A run is a Keras history dict, or a list of them, one per
    seed (a recorded run): then each seed is a thin line and their mean a bold one."""
    import matplotlib.pyplot as plt

    checks.nonempty(checks.instance_of(runs, "runs", dict), "runs")
    checks.nonempty(checks.instance_of(metrics, "metrics", dict), "metrics")
    log_scale = checks.boolean(log_scale, "log_scale")
    legend_panel = checks.integer(legend_panel, "legend_panel", minimum=0, maximum=len(metrics) - 1)
    seeds_of = {}
    for name, history in runs.items():
        seeds = history if isinstance(history, list) else [history]
        checks.nonempty(seeds, f"runs[{name!r}]")
        for seed in seeds:
            checks.instance_of(seed, f"runs[{name!r}]", dict, "a history dict or a list of them")
            missing = [key for key in metrics if key not in seed]
            if missing:
                raise ValueError(f"runs[{name!r}] has no {missing} (metrics must name keys of every history)")
        for key in metrics:
            if len({len(seed[key]) for seed in seeds}) != 1:
                raise ValueError(f"runs[{name!r}]: every seed must have the same number of epochs of {key!r}")
        seeds_of[name] = seeds
    fig, axes = plt.subplots(1, len(metrics), figsize=figsize, squeeze=False)
    axes = axes[0]
    for index, (name, seeds) in enumerate(seeds_of.items()):
        colour = f"C{index % 10}"
        for ax, key in zip(axes, metrics):
            curves = np.array([seed[key] for seed in seeds], dtype=float)
            epochs = np.arange(1, curves.shape[1] + 1)
            if len(seeds) > 1:
                for curve in curves:
                    ax.plot(epochs, curve, "-", color=colour, linewidth=0.6, alpha=0.4)
            label = name if len(seeds) == 1 else f"{name} (mean of {len(seeds)} seeds)"
            ax.plot(epochs, curves.mean(axis=0), "o-", color=colour, linewidth=2 if len(seeds) > 1 else 1.5,
                    markersize=4, label=label)
    for ax, title in zip(axes, metrics.values()):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title)
        if log_scale:
            ax.set_yscale("log")
    axes[legend_panel].legend(frameon=False, fontsize=legend_fontsize)
    fig.tight_layout()
    return fig


def sweep_figure(sweep, ks, alphas, label: str = "best validation loss"):
    """Heat map of a value (``label``, by default the best validation loss) for each
    ``k`` (rows) and ``alpha`` (columns), every cell annotated with it (matplotlib)."""
    import matplotlib.pyplot as plt

    ks, alphas = checks.nonempty(ks, "ks"), checks.nonempty(alphas, "alphas")
    label = checks.string(label, "label", allow_empty=False)
    sweep = np.asarray(sweep, dtype=float)
    if sweep.shape != (len(ks), len(alphas)):
        raise ValueError(f"sweep must have shape (len(ks), len(alphas)) = {(len(ks), len(alphas))}, got {sweep.shape}")
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(alphas), 1.2 + 0.8 * len(ks)))
    im = ax.imshow(sweep, cmap="viridis_r")
    ax.set_xticks(range(len(alphas)), [f"α = {a}" for a in alphas])
    ax.set_yticks(range(len(ks)), [f"k = {k}" for k in ks])
    for i in range(len(ks)):
        for j in range(len(alphas)):
            ax.text(j, i, f"{sweep[i, j]:.3f}", ha="center", va="center",
                    color="w" if sweep[i, j] > sweep.mean() else "k")
    fig.colorbar(im, ax=ax, label=label)
    fig.tight_layout()
    return fig


def drift_figure(plain, lazy, word: int = 0):
    """Distance of ``word``'s row from its start after each step, with plain SGD +
    momentum 0.9 and inside LazyOptimizer (arrays of shape (steps, words), as
    ``blogcode.lookahead.experiments.word_trajectories`` returns; matplotlib)."""
    import matplotlib.pyplot as plt

    plain, lazy = np.asarray(plain, dtype=float), np.asarray(lazy, dtype=float)
    if plain.ndim != 2 or plain.shape != lazy.shape:
        raise ValueError(f"plain and lazy must be (steps, words) arrays of one shape, got {plain.shape}, {lazy.shape}")
    word = checks.integer(word, "word", minimum=0, maximum=plain.shape[1] - 1)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    steps_axis = np.arange(1, len(plain) + 1)
    ax.plot(steps_axis, plain[:, word], "o-", color="0.5", label="SGD + momentum 0.9")
    ax.plot(steps_axis, lazy[:, word], "s-", color=FAST_COLOUR, label="LazyOptimizer(SGD + momentum 0.9)")
    ax.axvspan(0.5, 1.5, color=SLOW_COLOUR, alpha=0.15, label=f"word {word} in the batch")
    ax.set_xlabel("step")
    ax.set_ylabel(f"distance of word {word}'s row from its start")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def _percent_spread(s: dict) -> str:
    return f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f} %"


def text_comparison_table(results: dict) -> str:
    """A Markdown table of a recorded text experiment (``rotten_tomatoes`` or
    ``chinese_reviews`` of ``blogcode.lookahead.experiments``): per optimizer, the
    best and the final validation accuracy (mean ± standard deviation over the
    seeds), the epoch of the best per seed, and the paired difference from Adam with
    its t statistic and whether it exceeds the seed noise."""
    checks.instance_of(results, "results", dict)
    missing = [key for key in ("summary", "best epoch", "paired") if key not in results]
    if missing:
        raise ValueError(f"results has no {missing}: not a recorded text experiment")
    rows = []
    for name, summary in results["summary"].items():
        paired = results["paired"].get(name)
        if paired is None:
            difference, t, verdict = "(reference)", "", ""
        else:
            above = sum(d > 0 for d in paired["per seed"])
            difference = (f"{100 * paired['mean']:+.1f} ± {100 * paired['std']:.1f} points "
                          f"({above} of {len(paired['per seed'])} seeds above)")
            t = f"{paired['t']:+.2f} (±{paired['critical t']:.2f})"
            verdict = "yes" if paired["exceeds_seed_noise"] else "no"
        rows.append([name, _percent_spread(summary["best val accuracy"]), ", ".join(map(str, results["best epoch"][name])),
                     _percent_spread(summary["final val accuracy"]), difference, t, verdict])
    return markdown_table(["optimizer", "best val. accuracy", "epoch of the best, per seed", "final val. accuracy",
                           "best minus Adam's, same seed", "paired t (5 % bound)", "beyond seed noise"], rows)
