"""Static figures of the chapter "Gradient accumulation" (``book/accumulation.md``).

* ``schedule_traces`` / ``schedule_layout`` / ``schedule_figure``: the explorer's
  plotly figure, what the learning-rate schedule sees with ``steps`` micro-batches
  per update (our ``GradientAccumulation`` against Keras' built-in accumulation),
  computed by ``blogcode.accumulation.schedules.schedule_steps``; the static
  explorer and the live widget (``blogcode.accumulation.widgets``) both draw it;
* ``three_runs_figure``: the matplotlib figure of the article's experiment
  (training loss and validation accuracy of batch 1, 1 × 100 accumulated, 100);
* ``recorded_runs_figure``: the same for the recorded full run, over several seeds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.accumulation.schedules import default_schedule, schedule_steps

__all__ = ["schedule_traces", "schedule_layout", "schedule_title", "schedule_figure", "three_runs_figure",
           "recorded_runs_figure", "RUN_COLOURS", "RUN_STYLES"]

OURS_COLOUR, BUILTIN_COLOUR = "#2ca02c", "#d62728"
#: Colour and line style of each run of the article's experiment.
RUN_COLOURS = {"batch 1": "#d62728", "batch 1 × 100 accumulated": "#2ca02c", "batch 100": "#1f77b4"}
RUN_STYLES = {"batch 1": "-", "batch 1 × 100 accumulated": "-", "batch 100": "--"}


def schedule_traces(schedule: Callable, steps: int, micro_steps: int) -> list:
    """Four traces for ``steps`` micro-batches per update: the step passed to the
    schedule (left panel) and the learning rate of each update (right panel), for
    ours and for Keras' built-in accumulation."""
    d = schedule_steps(schedule, steps, micro_steps)
    x = d["update micro-step"]
    mode = "lines+markers" if len(x) <= 40 else "lines"
    common = dict(x=x, mode=mode, marker=dict(size=5))
    return [
        go.Scatter(y=d["ours step"], name="GradientAccumulation (per update)", line=dict(color=OURS_COLOUR),
                   legendgroup="ours", showlegend=False, xaxis="x", yaxis="y",
                   hovertemplate="micro-step %{x}: schedule step %{y}<extra>ours</extra>", **common),
        go.Scatter(y=d["built-in step"], name="Keras gradient_accumulation_steps (per micro-step)",
                   line=dict(color=BUILTIN_COLOUR, dash="dash"), legendgroup="builtin", showlegend=False,
                   xaxis="x", yaxis="y", hovertemplate="micro-step %{x}: schedule step %{y}<extra>built-in</extra>",
                   **common),
        go.Scatter(y=d["ours learning rate"], name="GradientAccumulation (per update)",
                   line=dict(color=OURS_COLOUR), legendgroup="ours", xaxis="x2", yaxis="y2",
                   hovertemplate="micro-step %{x}: learning rate %{y:.3g}<extra>ours</extra>", **common),
        go.Scatter(y=d["built-in learning rate"], name="Keras gradient_accumulation_steps (per micro-step)",
                   line=dict(color=BUILTIN_COLOUR, dash="dash"), legendgroup="builtin", xaxis="x2", yaxis="y2",
                   hovertemplate="micro-step %{x}: learning rate %{y:.3g}<extra>built-in</extra>", **common),
    ]


def schedule_layout(title: str, micro_steps: int) -> dict:
    """The two panels' layout (step passed to the schedule; learning rate, log scale)."""
    return dict(
        title=title,
        height=440,
        margin=dict(l=60, r=20, t=90, b=40),
        legend=dict(orientation="h", y=1.13, x=0.5, xanchor="center"),
        xaxis=dict(domain=[0, 0.44], title="micro-step (micro-batches seen)", range=[0, micro_steps + 2]),
        yaxis=dict(title="step passed to the schedule"),
        xaxis2=dict(domain=[0.56, 1.0], anchor="y2", title="micro-step (micro-batches seen)",
                    range=[0, micro_steps + 2]),
        yaxis2=dict(anchor="x2", title="learning rate of the update", type="log", exponentformat="power"),
    )


def schedule_title(steps: int, micro_steps: int) -> str:
    """The title of one case: updates, samples per update and in memory."""
    return (f"{micro_steps} micro-batches of b samples, {steps} per update: {micro_steps // steps} updates,"
            f" {steps} × b samples per update, b samples in memory")


def schedule_figure(schedule: Callable | None = None, steps: int = 4, micro_steps: int = 160) -> go.Figure:
    """One case of the explorer (what the live widget shows)."""
    schedule = default_schedule() if schedule is None else schedule
    fig = go.Figure(schedule_traces(schedule, steps, micro_steps))
    fig.update_layout(**schedule_layout(schedule_title(steps, micro_steps), micro_steps))
    return fig


def three_runs_figure(results: dict, epochs: int, log_every: int):
    """The article's experiment: training loss over samples seen (log scale, left)
    and validation accuracy per epoch (right), one line per run.

    ``results`` maps a run's name to what ``train_setting`` returned for it
    (``"samples"``, ``"loss"``, ``"val accuracy"``). Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    checks.nonempty(checks.instance_of(results, "results", dict), "results")
    epochs, log_every = checks.positive_int(epochs, "epochs"), checks.positive_int(log_every, "log_every")
    for name, r in results.items():
        if len(r["val accuracy"]) != epochs:
            raise ValueError(f"results[{name!r}] has {len(r['val accuracy'])} validation accuracies for epochs={epochs}")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, r in results.items():
        colour, style = RUN_COLOURS.get(name), RUN_STYLES.get(name, "-")
        ax_loss.plot(r["samples"], r["loss"], style, color=colour, label=name)
        ax_acc.plot(np.arange(1, epochs + 1), r["val accuracy"], style, marker="o", color=colour, label=name)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("training samples seen")
    ax_loss.set_ylabel(f"training loss (mean over {log_every} samples)")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy")
    ax_acc.set_xticks(np.arange(1, epochs + 1, max(1, epochs // 10)))
    ax_loss.legend(frameon=False)
    fig.tight_layout()
    return fig


def recorded_runs_figure(runs: dict, log_every: int):
    """The recorded article experiment over several seeds (``blogcode.accumulation.
    experiments.mnist``'s ``runs``: setting -> one dict per seed): training loss over
    samples seen (log scale, left) and validation accuracy per epoch (right), one thin
    line per seed and the mean over the seeds in bold. Returns the matplotlib figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    checks.nonempty(checks.instance_of(runs, "runs", dict), "runs")
    log_every = checks.positive_int(log_every, "log_every")
    for name, seeds in runs.items():
        checks.nonempty(checks.instance_of(seeds, f"runs[{name!r}]", list), f"runs[{name!r}]")
        if len({len(s["val accuracy"]) for s in seeds}) != 1 or len({len(s["loss"]) for s in seeds}) != 1:
            raise ValueError(f"runs[{name!r}]: every seed must have the same epochs and loss windows")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, seeds in runs.items():
        colour, style = RUN_COLOURS.get(name), RUN_STYLES.get(name, "-")
        samples = np.asarray(seeds[0]["samples"])
        losses = np.array([s["loss"] for s in seeds])
        accuracy = np.array([s["val accuracy"] for s in seeds])
        epochs = np.arange(1, accuracy.shape[1] + 1)
        for loss, acc in zip(losses, accuracy):
            ax_loss.plot(samples, loss, style, color=colour, linewidth=0.6, alpha=0.45)
            ax_acc.plot(epochs, acc, style, color=colour, linewidth=0.6, alpha=0.45)
        ax_loss.plot(samples, losses.mean(axis=0), style, color=colour, linewidth=2,
                     label=f"{name} (mean of {len(seeds)} seeds)")
        ax_acc.plot(epochs, accuracy.mean(axis=0), style, marker="o", markersize=3, color=colour, linewidth=2,
                    label=name)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("training samples seen")
    ax_loss.set_ylabel(f"training loss (mean over {log_every} samples)")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy")
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_loss.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
