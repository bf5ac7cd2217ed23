"""What a learning-rate schedule sees under gradient accumulation, for the chapter
"Gradient accumulation" (``book/accumulation.md``), section "Explorer".

With ``steps`` micro-batches per update:

* ``blogcode.optimizers.GradientAccumulation`` calls the wrapped optimizer once
  per real update, so its ``k``-th update (counting from 1) evaluates the
  schedule at step ``k - 1``, as the large batch does;
* Keras' built-in ``gradient_accumulation_steps`` evaluates the schedule at its
  micro-step counter, so its ``k``-th update uses step ``steps * k - 1``.

``schedule_steps`` computes both from the schedule itself (a pure function); the
explorer's figures (``blogcode.accumulation.figures``) draw what it returns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from blogcode import checks

__all__ = ["default_schedule", "schedule_steps"]


def default_schedule(decay_steps: int = 5):
    """The chapter's schedule: 1e-3, halved every ``decay_steps`` steps (smoothly)."""
    import keras

    decay_steps = checks.positive_int(decay_steps, "decay_steps")
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
