"""Explorer for the chapter "Gradient accumulation" (``book/accumulation.md``).

What a learning-rate schedule sees under gradient accumulation with ``steps``
micro-batches per update:

* ``blogcode.optimizers.GradientAccumulation`` calls the wrapped optimizer once
  per real update, so its ``k``-th update (counting from 1) evaluates the
  schedule at step ``k - 1``, as the large batch does;
* Keras' built-in ``gradient_accumulation_steps`` evaluates the schedule at its
  micro-step counter, so its ``k``-th update uses step ``steps * k - 1``.

``schedule_steps`` computes both from the schedule itself (a pure function);
``schedule_explorer`` precomputes one slider step per number of accumulation
steps for the static page, and ``schedule_live_widget`` redraws the same figure
in a running kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import plotly.graph_objects as go

from blogcode import checks
from blogcode.figures import show_figure, stepped_figure

__all__ = ["STEPS_OPTIONS", "default_schedule", "schedule_steps", "schedule_figure", "schedule_explorer",
           "schedule_live_widget"]

STEPS_OPTIONS = (1, 2, 4, 8, 16, 32)
OURS_COLOUR, BUILTIN_COLOUR = "#2ca02c", "#d62728"


def default_schedule(decay_steps: int = 5):
    """The chapter's schedule: 1e-3, halved every ``decay_steps`` steps (smoothly)."""
    import keras

    return keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=decay_steps, decay_rate=0.5)


def _evaluate(schedule: Callable, steps: np.ndarray) -> np.ndarray:
    # Keras schedules accept a vector of steps; one call is much cheaper than one per step.
    values = np.asarray(schedule(steps.astype("float32")), dtype=float)
    if values.shape != steps.shape or not np.all(np.isfinite(values)):
        raise ValueError("schedule must map a vector of steps to finite learning rates of the same shape")
    return values


def schedule_steps(schedule: Callable, steps: int, micro_steps: int) -> dict:
    """The updates made in ``micro_steps`` micro-batches with ``steps`` per update.

    Returns the micro-step of each update (``steps, 2 steps, ...``), the step
    at which each accumulator evaluates the schedule for it, and the learning
    rate it applies: ``"ours step"``/``"ours learning rate"`` for
    ``GradientAccumulation`` (one schedule step per update) and
    ``"built-in step"``/``"built-in learning rate"`` for Keras'
    ``gradient_accumulation_steps`` (one schedule step per micro-batch).
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be callable (step -> learning rate), got {type(schedule).__name__}")
    steps = checks.positive_int(steps, "steps")
    micro_steps = checks.positive_int(micro_steps, "micro_steps")
    if micro_steps < steps:
        raise ValueError(f"micro_steps={micro_steps} must be at least steps={steps} (one update)")
    update = np.arange(1, micro_steps // steps + 1)
    ours_step, builtin_step = update - 1, steps * update - 1
    return {
        "update micro-step": steps * update,
        "ours step": ours_step,
        "built-in step": builtin_step,
        "ours learning rate": _evaluate(schedule, ours_step),
        "built-in learning rate": _evaluate(schedule, builtin_step),
    }


def _schedule_traces(schedule: Callable, steps: int, micro_steps: int) -> list:
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


def _schedule_layout(title: str, micro_steps: int) -> dict:
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


def _title(steps: int, micro_steps: int) -> str:
    return (f"{micro_steps} micro-batches of b samples, {steps} per update: {micro_steps // steps} updates,"
            f" {steps} × b samples per update, b samples in memory")


def schedule_figure(schedule: Callable | None = None, steps: int = 4, micro_steps: int = 160) -> go.Figure:
    """One case of the explorer (used by the live widget)."""
    schedule = default_schedule() if schedule is None else schedule
    fig = go.Figure(_schedule_traces(schedule, steps, micro_steps))
    fig.update_layout(**_schedule_layout(_title(steps, micro_steps), micro_steps))
    return fig


def schedule_explorer(schedule: Callable | None = None, steps_options: Sequence[int] = STEPS_OPTIONS,
                      micro_steps: int = 160) -> go.Figure:
    """Static explorer: one precomputed slider step per number of accumulation steps."""
    schedule = default_schedule() if schedule is None else schedule
    micro_steps = checks.positive_int(micro_steps, "micro_steps")
    cases = []
    for n in checks.nonempty(steps_options, "steps_options"):
        n = checks.positive_int(n, "steps_options[]")
        cases.append((f"n = {n}", _schedule_traces(schedule, n, micro_steps)))
    return stepped_figure(
        cases, slider_label="accumulation steps",
        layout=_schedule_layout(f"What the schedule sees over {micro_steps} micro-batches", micro_steps),
    )


def schedule_live_widget(steps: int = 4, decay_steps: int = 5, micro_steps: int = 160):
    """Live version (needs a kernel): choose the accumulation steps and the decay length."""
    import ipywidgets as w

    steps_slider = w.SelectionSlider(options=list(STEPS_OPTIONS), value=steps, description="steps n")
    decay_slider = w.IntSlider(value=decay_steps, min=1, max=50, description="decay_steps")
    out = w.Output()

    def redraw(*_):
        out.clear_output(wait=True)
        with out:
            show_figure(schedule_figure(default_schedule(decay_slider.value), steps_slider.value, micro_steps))

    steps_slider.observe(redraw, names="value")
    decay_slider.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([steps_slider, decay_slider]), out])
