"""Explorer of the chapter "Gradient accumulation" (``book/accumulation.md``):
which step the learning-rate schedule sees with ``n`` micro-batches per update.

* ``schedule_view`` is the pure view function: the figure of one setting
  (``blogcode.accumulation.figures.schedule_figure``) and a line of numbers;
* ``schedule_explorer`` precomputes one slider step per number of accumulation
  steps for the static page (``blogcode.figures.stepped_figure``), drawn with the
  same traces;
* ``schedule_live_widget`` is the live version for a running kernel
  (``blogcode.widgets.LiveWidget`` over ``schedule_view``), which also lets the
  reader change the schedule's ``decay_steps``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import plotly.graph_objects as go

from blogcode import checks
from blogcode.accumulation.figures import schedule_figure, schedule_layout, schedule_traces
from blogcode.accumulation.schedules import default_schedule, schedule_steps
from blogcode.figures import stepped_figure
from blogcode.widgets import LiveView, LiveWidget

__all__ = ["STEPS_OPTIONS", "schedule_view", "schedule_explorer", "schedule_live_widget"]

STEPS_OPTIONS = (1, 2, 4, 8, 16, 32)


def schedule_view(steps: int = 4, decay_steps: int = 5, micro_steps: int = 160) -> LiveView:
    """One setting: ``steps`` micro-batches per update, the chapter's schedule
    halving every ``decay_steps`` steps, over ``micro_steps`` micro-batches. The
    result is :func:`~blogcode.accumulation.schedules.schedule_steps`' dict."""
    schedule = default_schedule(decay_steps)
    d = schedule_steps(schedule, steps, micro_steps)
    text = (f"{len(d['update micro-step'])} updates; learning rate of the last update: "
            f"{d['ours learning rate'][-1]:.2e} (ours), {d['built-in learning rate'][-1]:.2e} (built-in)")
    return LiveView(schedule_figure(schedule, steps, micro_steps), text, d)


def schedule_explorer(schedule: Callable | None = None, steps_options: Sequence[int] = STEPS_OPTIONS,
                      micro_steps: int = 160) -> go.Figure:
    """Static explorer: one precomputed slider step per number of accumulation steps."""
    schedule = default_schedule() if schedule is None else schedule
    micro_steps = checks.positive_int(micro_steps, "micro_steps")
    cases = []
    for n in checks.nonempty(steps_options, "steps_options"):
        n = checks.positive_int(n, "steps_options[]")
        cases.append((f"n = {n}", schedule_traces(schedule, n, micro_steps)))
    return stepped_figure(
        cases, slider_label="accumulation steps",
        layout=schedule_layout(f"What the schedule sees over {micro_steps} micro-batches", micro_steps),
    )


def schedule_live_widget(steps: int = 4, decay_steps: int = 5, micro_steps: int = 160) -> LiveWidget:
    """Live version (needs a kernel): choose the accumulation steps and the decay length."""
    import ipywidgets as w

    steps = checks.one_of(steps, "steps", STEPS_OPTIONS)
    decay_steps = checks.integer(decay_steps, "decay_steps", minimum=1, maximum=50)
    micro_steps = checks.positive_int(micro_steps, "micro_steps")
    controls = {
        # The label's own width, not ipywidgets' fixed one, which cut "decay_steps" to "decay_ste...".
        "steps": w.SelectionSlider(options=list(STEPS_OPTIONS), value=steps, description="steps n",
                                   style={"description_width": "initial"}),
        "decay_steps": w.IntSlider(value=decay_steps, min=1, max=50, description="decay_steps",
                                   style={"description_width": "initial"}),
    }

    def view(steps, decay_steps):
        return schedule_view(steps, decay_steps, micro_steps)

    return LiveWidget(view, controls)
