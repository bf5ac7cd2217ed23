"""Unit tests of blogcode.accumulation.figures (chapter: Gradient accumulation)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.accumulation.figures import (schedule_figure, schedule_layout, schedule_title,  # noqa: E402
                                           recorded_runs_figure, schedule_traces, three_runs_figure)
from blogcode.accumulation.schedules import default_schedule  # noqa: E402


def test_schedule_figure_draws_both_accumulators():
    fig = schedule_figure(default_schedule(20), 16, 160)
    assert len(fig.data) == 4 and len(fig.data[0].x) == 10
    assert fig.layout.title.text == schedule_title(16, 160)
    assert "10 updates" in fig.layout.title.text
    np.testing.assert_array_equal(fig.data[0].y, np.arange(10))               # ours: one step per update
    np.testing.assert_array_equal(fig.data[1].y, 16 * np.arange(1, 11) - 1)   # built-in: per micro-step
    assert fig.layout.yaxis2.type == "log"


def test_schedule_traces_and_layout():
    traces = schedule_traces(default_schedule(), 4, 80)
    assert [t.xaxis for t in traces] == ["x", "x", "x2", "x2"]
    assert traces[0].mode == "lines+markers"                                  # 20 points: markers
    assert schedule_traces(default_schedule(), 1, 80)[0].mode == "lines"       # 80 points: lines only
    layout = schedule_layout("a title", 80)
    assert layout["title"] == "a title" and layout["xaxis"]["range"] == [0, 82]


def run(epochs, n=4):
    return {"samples": np.arange(1, n + 1) * 10, "loss": np.linspace(1.0, 0.1, n),
            "val accuracy": list(np.linspace(0.5, 0.9, epochs))}


def test_three_runs_figure():
    results = {"batch 1": run(3), "batch 1 × 100 accumulated": run(3), "batch 100": run(3)}
    fig = three_runs_figure(results, epochs=3, log_every=10)
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log" and ax_loss.get_ylabel() == "training loss (mean over 10 samples)"
    assert [line.get_label() for line in ax_loss.get_lines()] == list(results)
    assert len(ax_acc.get_lines()) == 3 and ax_acc.get_lines()[2].get_linestyle() == "--"
    np.testing.assert_array_equal(ax_acc.get_lines()[0].get_xdata(), [1, 2, 3])
    plt.close(fig)


def test_recorded_runs_figure_draws_every_seed_and_their_mean():
    seeds = [{**run(3), "loss": list(np.linspace(1.0, 0.1 * k, 4))} for k in (1, 2)]
    runs = {"batch 1": seeds, "batch 100": seeds}
    fig = recorded_runs_figure(runs, log_every=10)
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.get_lines()) == 2 * 3 and len(ax_acc.get_lines()) == 2 * 3   # 2 seeds + mean, per setting
    mean = ax_loss.get_lines()[2]
    assert mean.get_label() == "batch 1 (mean of 2 seeds)" and mean.get_linewidth() == 2
    np.testing.assert_allclose(mean.get_ydata(), np.mean([s["loss"] for s in seeds], axis=0))
    assert ax_loss.get_yscale() == "log"
    assert all(float(x).is_integer() for x in ax_acc.get_xticks())   # epochs are whole numbers
    plt.close(fig)


@pytest.mark.parametrize("call, error, name", [
    (lambda: recorded_runs_figure([], 10), TypeError, "runs"),
    (lambda: recorded_runs_figure({}, 10), ValueError, "runs"),
    (lambda: recorded_runs_figure({"batch 1": {}}, 10), TypeError, "runs"),
    (lambda: recorded_runs_figure({"batch 1": [run(3), run(2)]}, 10), ValueError, "same epochs"),
    (lambda: recorded_runs_figure({"batch 1": [run(3)]}, 0), ValueError, "log_every"),
    (lambda: three_runs_figure([], 3, 10), TypeError, "results"),
    (lambda: three_runs_figure({}, 3, 10), ValueError, "results"),
    (lambda: three_runs_figure({"batch 1": run(3)}, 2, 10), ValueError, "epochs"),
    (lambda: three_runs_figure({"batch 1": run(3)}, 3.0, 10), TypeError, "epochs"),
    (lambda: three_runs_figure({"batch 1": run(3)}, 3, 0), ValueError, "log_every"),
    (lambda: schedule_figure(default_schedule(), 0, 160), ValueError, "steps"),
], ids=["runs-type", "runs-empty", "seeds-type", "seeds-mismatch", "runs-log_every", "results-type", "results-empty", "epochs-mismatch", "epochs-float", "log_every", "steps"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
