"""Tests for blogcode.lookahead.figures (the figures of book/lookahead.md)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.lookahead.figures import (drift_figure, learning_curves_figure, path_figure,  # noqa: E402
                                        path_layout, path_traces, sweep_figure, text_comparison_table,
                                        trajectory_figure)
from blogcode.lookahead.experiments import paired_differences  # noqa: E402
from blogcode.lookahead.valley import lookahead_path  # noqa: E402


def test_path_traces_and_figure():
    traces = path_traces(5, 0.5, steps=40)
    fast, slow = lookahead_path(5, 0.5, steps=40)
    np.testing.assert_array_equal(traces[1].x, fast[:, 0])
    np.testing.assert_array_equal(traces[2].y, slow[:, 1])
    assert traces[3].mode == "text" and "with Lookahead" in traces[3].text[0]
    assert not any(t.showlegend for t in path_traces(5, 0.5, first=False)[:3])
    fig = path_figure(2, 0.8, steps=10)
    assert fig.layout.title.text == "Lookahead around SGD + momentum, k = 2, α = 0.8"
    assert len(fig.data) == 4 and len(fig.data[1].x) == 11
    layout = path_layout("t")
    assert len(layout["shapes"]) == 12 and layout["xaxis"]["range"] == [-4.5, 1.5]


def test_trajectory_figure():
    plain, _ = lookahead_path(1, 1.0)
    fast, slow = lookahead_path(5, 0.5)
    fig = trajectory_figure(plain, fast, slow, k=5)
    (ax,) = fig.axes
    assert ax.get_title() == "k steps forward, one step back"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["SGD + momentum alone", "Lookahead: fast weights",
                      "Lookahead: slow weights (every k = 5 steps)", "minimum"]
    np.testing.assert_array_equal(ax.get_lines()[2].get_xdata(), slow[:, 0])
    plt.close(fig)


def test_learning_curves_figure():
    runs = {"a": {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.6]}, "b": {"loss": [1.0, 0.6], "val_loss": [1, 1]}}
    fig = learning_curves_figure(runs, {"loss": "training loss", "val_loss": "validation loss"}, log_scale=True)
    left, right = fig.axes
    assert left.get_title() == "training loss" and right.get_title() == "validation loss"
    assert left.get_yscale() == "log" and left.get_legend() is not None and right.get_legend() is None
    np.testing.assert_array_equal(left.get_lines()[0].get_xdata(), [1, 2, 3])
    assert len(right.get_lines()) == 2
    plt.close(fig)
    fig = learning_curves_figure(runs, {"loss": "training loss", "val_loss": "v"}, legend_panel=1)
    assert fig.axes[1].get_legend() is not None and fig.axes[0].get_yscale() == "linear"
    plt.close(fig)


def test_learning_curves_figure_over_seeds():
    seeds = [{"val_loss": [1.0, 0.5]}, {"val_loss": [0.8, 0.7]}, {"val_loss": [0.9, 0.3]}]
    fig = learning_curves_figure({"Adam": seeds, "one": {"val_loss": [1.0, 1.0]}}, {"val_loss": "validation loss"})
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 + 1 + 1                       # three thin seeds, their mean, the single run
    np.testing.assert_allclose(lines[3].get_ydata(), [0.9, 0.5])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Adam (mean of 3 seeds)", "one"]
    plt.close(fig)
    with pytest.raises(ValueError, match="same number of epochs"):
        learning_curves_figure({"Adam": [{"loss": [1, 2]}, {"loss": [1]}]}, {"loss": "l"})
    with pytest.raises(TypeError, match="Adam"):
        learning_curves_figure({"Adam": [[1, 2]]}, {"loss": "l"})


def test_text_comparison_table():
    best = {"Adam": [0.70, 0.72, 0.71], "lazy": [0.72, 0.74, 0.735]}
    spread = {n: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1))} for n, v in best.items()}
    results = {"summary": {n: {"best val accuracy": spread[n], "final val accuracy": spread[n]} for n in best},
               "best epoch": {"Adam": [1, 1, 2], "lazy": [3, 2, 3]}, "paired": paired_differences(best, "Adam")}
    table = text_comparison_table(results).splitlines()
    assert table[0].startswith("| optimizer | best val. accuracy |") and len(table) == 4
    assert "| Adam | 71.0 ± 1.0 % | 1, 1, 2 |" in table[2] and "(reference)" in table[2]
    assert "+2.2 ± 0.3 points (3 of 3 seeds above)" in table[3] and table[3].endswith("| yes |")
    with pytest.raises(ValueError, match="paired"):
        text_comparison_table({"summary": {}, "best epoch": {}})
    with pytest.raises(TypeError, match="results"):
        text_comparison_table([])


def test_sweep_figure():
    sweep = np.array([[0.3, 0.2], [0.25, 0.4]])
    fig = sweep_figure(sweep, [2, 10], [0.3, 0.8])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.300", "0.200", "0.250", "0.400"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["k = 2", "k = 10"]
    assert fig.axes[1].get_ylabel() == "best validation loss"
    plt.close(fig)
    fig = sweep_figure(sweep, [2, 10], [0.3, 0.8], label="validation loss after one epoch")
    assert fig.axes[1].get_ylabel() == "validation loss after one epoch"
    plt.close(fig)


def test_drift_figure():
    plain = np.cumsum(np.ones((8, 6)), axis=0)
    lazy = np.ones((8, 6))
    fig = drift_figure(plain, lazy, word=0)
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), plain[:, 0])
    assert ax.get_ylabel() == "distance of word 0's row from its start"
    plt.close(fig)


@pytest.mark.parametrize("call, error, name", [
    (lambda: trajectory_figure(np.zeros((3, 3)), np.zeros((3, 2)), np.zeros((1, 2))), ValueError, "plain_path"),
    (lambda: trajectory_figure(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((1, 2)), k=0), ValueError, "k"),
    (lambda: learning_curves_figure([], {"loss": "l"}), TypeError, "runs"),
    (lambda: learning_curves_figure({"a": {"loss": [1]}}, {}), ValueError, "metrics"),
    (lambda: learning_curves_figure({"a": {"loss": [1]}}, {"val_loss": "v"}), ValueError, "metrics"),
    (lambda: learning_curves_figure({"a": {"loss": [1]}}, {"loss": "l"}, log_scale=1), TypeError, "log_scale"),
    (lambda: learning_curves_figure({"a": {"loss": [1]}}, {"loss": "l"}, legend_panel=1), ValueError,
     "legend_panel"),
    (lambda: sweep_figure(np.zeros((2, 2)), [2], [0.5, 0.8]), ValueError, "sweep"),
    (lambda: sweep_figure(np.zeros((1, 1)), [], [0.5]), ValueError, "ks"),
    (lambda: sweep_figure(np.zeros((1, 1)), [2], [0.5], label=""), ValueError, "label"),
    (lambda: drift_figure(np.zeros((8, 6)), np.zeros((8, 5))), ValueError, "plain and lazy"),
    (lambda: drift_figure(np.zeros((8, 6)), np.zeros((8, 6)), word=6), ValueError, "word"),
], ids=["plain_path", "k", "runs", "metrics-empty", "metrics-missing", "log_scale", "legend_panel", "sweep",
        "ks", "label", "drift-shapes", "word"])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
