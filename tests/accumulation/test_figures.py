"""Unit tests of blogcode.accumulation.figures (chapter: Gradient accumulation)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.accumulation.figures import (schedule_figure, schedule_layout, schedule_title,  # noqa: E402
                                           schedule_traces, three_runs_figure)
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


@pytest.mark.parametrize("call, error, name", [
    (lambda: three_runs_figure([], 3, 10), TypeError, "results"),
    (lambda: three_runs_figure({}, 3, 10), ValueError, "results"),
    (lambda: three_runs_figure({"batch 1": run(3)}, 2, 10), ValueError, "epochs"),
    (lambda: three_runs_figure({"batch 1": run(3)}, 3.0, 10), TypeError, "epochs"),
    (lambda: three_runs_figure({"batch 1": run(3)}, 3, 0), ValueError, "log_every"),
    (lambda: schedule_figure(default_schedule(), 0, 160), ValueError, "steps"),
], ids=["results-type", "results-empty", "epochs-mismatch", "epochs-float", "log_every", "steps"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
