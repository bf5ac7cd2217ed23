"""Unit tests of blogcode.accumulation.schedules (chapter: Gradient accumulation)."""

import keras
import numpy as np
import pytest

from blogcode.accumulation.schedules import default_schedule, schedule_steps


def test_default_schedule_halves_every_decay_steps():
    schedule = default_schedule(5)
    assert float(schedule(0)) == pytest.approx(1e-3)
    assert float(schedule(5)) == pytest.approx(5e-4)
    assert float(default_schedule(20)(20)) == pytest.approx(5e-4)


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


@pytest.mark.parametrize("call, error, name", [
    (lambda: schedule_steps(default_schedule(), 4.0, 160), TypeError, "steps"),
    (lambda: schedule_steps(default_schedule(), 4, True), TypeError, "micro_steps"),
    (lambda: schedule_steps("schedule", 4, 160), TypeError, "schedule"),
    (lambda: default_schedule(0), ValueError, "decay_steps"),
    (lambda: default_schedule(2.5), TypeError, "decay_steps"),
], ids=["steps", "micro_steps", "schedule", "decay_steps-zero", "decay_steps-float"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
