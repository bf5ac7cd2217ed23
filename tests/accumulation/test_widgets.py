"""Unit tests of blogcode.accumulation.widgets (chapter: Gradient accumulation)."""

import numpy as np
import pytest

from blogcode.accumulation.schedules import default_schedule, schedule_steps
from blogcode.accumulation.widgets import STEPS_OPTIONS, schedule_explorer, schedule_live_widget, schedule_view
from blogcode.widgets import LiveView, LiveWidget


def test_explorer_steps_traces_and_axes():
    fig = schedule_explorer(micro_steps=160)
    sliders = fig.layout.sliders
    assert len(sliders) == 1 and len(sliders[0].steps) == len(STEPS_OPTIONS)
    assert sliders[0].currentvalue.prefix == "accumulation steps: "
    assert fig.layout.title.text == "What the schedule sees over 160 micro-batches"
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


def test_view_is_the_explorers_figure():
    shown = schedule_view(steps=8, decay_steps=5, micro_steps=160)
    assert isinstance(shown, LiveView) and "20 updates" in shown.text
    explorer = schedule_explorer(steps_options=(8,), micro_steps=160)
    for live, static in zip(shown.figure.data, explorer.data, strict=True):
        np.testing.assert_array_equal(live.y, static.y)
    expected = schedule_steps(default_schedule(5), 8, 160)
    np.testing.assert_array_equal(shown.result["built-in step"], expected["built-in step"])


def test_live_widget_builds_and_reacts():
    live = schedule_live_widget(steps=4)
    assert isinstance(live, LiveWidget) and len(live.figure.data) == 4
    assert len(live.result["update micro-step"]) == 40
    live.controls["steps"].value = 16
    live.controls["decay_steps"].value = 20
    assert live.values == {"steps": 16, "decay_steps": 20}
    assert len(live.figure.data[0].x) == 10 and "10 updates" in live.text
    np.testing.assert_allclose(live.result["ours learning rate"],
                               schedule_steps(default_schedule(20), 16, 160)["ours learning rate"])
    assert live.error is None


@pytest.mark.parametrize("call, error, name", [
    (lambda: schedule_explorer(steps_options=()), ValueError, "steps_options"),
    (lambda: schedule_explorer(steps_options=(2, 0)), ValueError, "steps_options"),
    (lambda: schedule_explorer(micro_steps=0), ValueError, "micro_steps"),
    (lambda: schedule_view(steps=0), ValueError, "steps"),
    (lambda: schedule_view(decay_steps=1.5), TypeError, "decay_steps"),
    (lambda: schedule_live_widget(steps=3), ValueError, "steps"),
    (lambda: schedule_live_widget(steps=4.0), TypeError, "steps"),
    (lambda: schedule_live_widget(decay_steps=0), ValueError, "decay_steps"),
    (lambda: schedule_live_widget(micro_steps=0), ValueError, "micro_steps"),
], ids=["steps_options-empty", "steps_options-zero", "micro_steps", "view-steps", "view-decay_steps",
        "live-steps", "live-steps-float", "live-decay_steps", "live-micro_steps"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
