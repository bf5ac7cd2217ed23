"""Unit tests of blogcode.accumulation.widgets (chapter: Gradient accumulation)."""

import keras
import numpy as np
import pytest

from blogcode.accumulation.widgets import (STEPS_OPTIONS, default_schedule, schedule_explorer, schedule_figure,
                                           schedule_live_widget, schedule_steps)


def test_schedule_steps_counts_updates_and_steps():
    d = schedule_steps(default_schedule(), 4, 18)
    assert d["update micro-step"].tolist() == [4, 8, 12, 16]
    assert d["ours step"].tolist() == [0, 1, 2, 3]
    assert d["built-in step"].tolist() == [3, 7, 11, 15]


@pytest.mark.parametrize("steps", [1, 4, 32])
def test_learning_rates_equal_the_schedule(steps):
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([3, 10], [1e-2, 1e-3, 1e-4])
    d = schedule_steps(schedule, steps, 64)
    for key in ("ours", "built-in"):
        expected = [float(schedule(int(s))) for s in d[f"{key} step"]]
        np.testing.assert_allclose(d[f"{key} learning rate"], expected, rtol=1e-6)
    # One accumulation step per update: the two accumulators are the same thing.
    if steps == 1:
        np.testing.assert_array_equal(d["ours learning rate"], d["built-in learning rate"])
    else:
        assert d["built-in learning rate"][1] < d["ours learning rate"][1]


def test_explorer_steps_traces_and_axes():
    fig = schedule_explorer(micro_steps=160)
    sliders = fig.layout.sliders
    assert len(sliders) == 1 and len(sliders[0].steps) == len(STEPS_OPTIONS)
    assert len(fig.data) == 4 * len(STEPS_OPTIONS)
    assert [t.visible for t in fig.data[:4]] == [True] * 4 and not any(t.visible for t in fig.data[4:])
    for axis in (fig.layout.xaxis, fig.layout.yaxis, fig.layout.xaxis2, fig.layout.yaxis2):
        assert axis.title.text
    # Every slider step shows other data: the slider redraws the traces.
    first = [np.asarray(t.y) for t in fig.data[:4]]
    for i in range(1, len(STEPS_OPTIONS)):
        ys = [np.asarray(t.y) for t in fig.data[4 * i:4 * i + 4]]
        assert all(len(a) != len(b) or not np.array_equal(a, b) for a, b in zip(first, ys))
    # A few hundred points per step at most keeps the page small.
    assert max(len(t.x) for t in fig.data) <= 160


def test_explorer_values_equal_the_schedule():
    schedule = default_schedule(5)
    fig = schedule_explorer(schedule, steps_options=(4,), micro_steps=80)
    ours_lr, builtin_lr = np.asarray(fig.data[2].y), np.asarray(fig.data[3].y)
    np.testing.assert_allclose(ours_lr, [float(schedule(k)) for k in range(20)], rtol=1e-6)
    np.testing.assert_allclose(builtin_lr, [float(schedule(4 * k + 3)) for k in range(20)], rtol=1e-6)


def test_bad_arguments_name_the_argument():
    with pytest.raises(TypeError, match="schedule"):
        schedule_steps(0.001, 4, 16)
    with pytest.raises(ValueError, match="steps"):
        schedule_steps(default_schedule(), 0, 16)
    with pytest.raises(TypeError, match="steps"):
        schedule_steps(default_schedule(), 2.5, 16)
    with pytest.raises(ValueError, match="micro_steps"):
        schedule_steps(default_schedule(), 8, 4)
    with pytest.raises(ValueError, match="micro_steps"):
        schedule_steps(default_schedule(), 1, -3)
    with pytest.raises(ValueError, match="schedule"):
        schedule_steps(lambda step: 1.0, 2, 8)
    with pytest.raises(ValueError, match="steps_options"):
        schedule_explorer(steps_options=())
    with pytest.raises(ValueError, match="steps_options"):
        schedule_explorer(steps_options=(4, 0))


def test_live_widget_builds_and_reacts():
    box = schedule_live_widget(steps=4)
    steps_slider, decay_slider = box.children[0].children
    steps_slider.value = 16
    decay_slider.value = 20
    assert steps_slider.value == 16
    fig = schedule_figure(default_schedule(20), 16, 160)
    assert len(fig.data) == 4 and len(fig.data[0].x) == 10


@pytest.mark.parametrize("call, error, name", [
    (lambda: schedule_steps(default_schedule(), 4.0, 160), TypeError, "steps"),
    (lambda: schedule_steps(default_schedule(), 4, True), TypeError, "micro_steps"),
    (lambda: schedule_steps("schedule", 4, 160), TypeError, "schedule"),
    (lambda: schedule_explorer(steps_options=()), ValueError, "steps_options"),
    (lambda: schedule_explorer(steps_options=(2, 0)), ValueError, "steps_options"),
], ids=["steps", "micro_steps", "schedule", "steps_options-empty", "steps_options-zero"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
