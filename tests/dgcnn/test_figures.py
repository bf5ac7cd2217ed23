"""Unit tests of blogcode.dgcnn.figures (chapter: DGCNN): the drawings draw what they are
given, the error traces show the right passage, and bad input is rejected by name."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.dgcnn.figures import (analysed_passage, draw_architecture, draw_change_leads,  # noqa: E402
                                    draw_learning_curves, draw_receptive_field, draw_seed_curves, error_traces)
from tests.dgcnn.analysis import hand_analysis  # noqa: E402

HISTORY = {"loss": [3.0, 2.0, 1.5], "accuracy": [0.1, 0.2, 0.3], "f1": [0.2, 0.3, 0.4], "final": [0.15, 0.25, 0.35]}


def _axes(n=1):
    fig, axes = plt.subplots(1, n)
    plt.close(fig)
    return axes


def test_matplotlib_drawings():
    ax = _axes()
    draw_architecture(ax)
    assert len(ax.patches) == 11 + 5  # the two columns' boxes, three heads and two "× has answer"
    schedules = {"dilated": [1, 2], "flat": [1, 1]}
    influence = {"dilated": np.array([[0, 0, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], float),
                 "flat": np.array([[0, 0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1, 0]], float)}
    axes = _axes(2)
    draw_receptive_field(axes, influence, schedules)
    # two bounds per block: after the second dilated block, the reach is 1 + 2 * 3 = 7 wide
    assert len(axes[0].lines) == 4 and axes[0].lines[2].get_xdata()[0] == -3.5
    assert axes[1].get_xlabel() == "input position relative to the output position"
    ax_loss, ax_score = _axes(2)
    draw_learning_curves(ax_loss, ax_score, HISTORY)
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), HISTORY["loss"])
    assert [line.get_label() for line in ax_score.lines] == ["accuracy", "f1", "final"]


PER_SEED = [{"seed": s, "release": {"history": {"final": [0.1 * s, 0.2 * s]}, "score": {"final": 0.2 * s}},
             "undilated": {"history": {"final": [0.3, 0.4 + s]}, "score": {"final": 0.4 + s}},
             "gate noise": {"history": {"final": [0.3, 0.2]}, "score": {"final": 0.2 * s - 0.1}}} for s in (1, 2, 3)]


def test_seed_curves_draw_each_seed_and_the_mean():
    ax = _axes()
    draw_seed_curves(ax, PER_SEED)
    assert len(ax.lines) == 2 * (3 + 1)
    np.testing.assert_allclose(ax.lines[3].get_ydata(), [0.2, 0.4])               # release mean
    np.testing.assert_allclose(ax.lines[7].get_ydata(), [0.3, 2.4])               # undilated mean
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["release (mean of 3 seeds)",
                                                                    "undilated (mean of 3 seeds)"]
    assert ax.get_ylabel() == "dev final (EMA weights)" and list(ax.get_xticks()) == [1, 2]


@pytest.mark.parametrize("kwargs, error, word", [
    ({"ax": None}, TypeError, "ax"), ({"per_seed": []}, ValueError, "per_seed"),
    ({"per_seed": [1]}, TypeError, "per_seed"), ({"per_seed": [{"seed": 1}]}, ValueError, "per_seed"),
    ({"kinds": ()}, ValueError, "kinds"), ({"kinds": (1,)}, TypeError, "kinds"),
    ({"kinds": ["release"] * 11}, ValueError, "kinds"), ({"metric": "bleu"}, ValueError, "metric")])
def test_seed_curves_reject_bad_arguments(kwargs, error, word):
    args = {"ax": _axes(), "per_seed": PER_SEED, **kwargs}
    with pytest.raises(error, match=word):
        draw_seed_curves(**args)


def test_change_leads_put_each_seed_and_the_mean_against_the_release():
    ax = _axes()
    draw_change_leads(ax, PER_SEED, ["undilated", "gate noise"])
    leads = np.array([[0.4 + s - 0.2 * s for s in (1, 2, 3)], [-0.1] * 3])
    dots = [c.get_offsets() for c in ax.collections if c.get_offsets().shape == (3, 2)]
    assert len(dots) == 2
    for row, (lead, offsets) in enumerate(zip(leads, dots)):
        np.testing.assert_allclose(offsets[:, 0], lead)                        # one dot per seed, at its lead
        assert np.allclose(offsets[:, 1].mean(), row)
    means = [bar.lines[0].get_xdata()[0] for bar in ax.containers]        # errorbar: the data line first
    np.testing.assert_allclose(means, leads.mean(1))                       # the mean of each change
    assert [t.get_text() for t in ax.get_yticklabels()] == ["undilated", "gate noise"]
    assert ax.get_xlabel() == "dev final score minus the release's (same seed)"


@pytest.mark.parametrize("kwargs, error, word", [
    ({"ax": None}, TypeError, "ax"), ({"per_seed": []}, ValueError, "per_seed"),
    ({"changes": []}, ValueError, "changes"), ({"changes": ["with features"]}, ValueError, "per_seed"),
    ({"changes": [3]}, TypeError, "kinds")])
def test_change_leads_reject_bad_arguments(kwargs, error, word):
    args = {"ax": _axes(), "per_seed": PER_SEED, "changes": ["undilated"], **kwargs}
    with pytest.raises(error, match=word):
        draw_change_leads(**args)


def test_error_traces_show_the_passage_that_answered():
    details, predictions, references, questions = hand_analysis()
    assert analysed_passage(1, details, predictions, references)["passage"] == "今天北京很大很大"
    # unanswered: the first passage that contains the reference
    assert analysed_passage(2, details, predictions, references)["passage"] == "鲁迅写的。"
    start, end, text, label = error_traces(1, details, predictions, references, questions)
    np.testing.assert_allclose(start.y, details[1]["passages"][1]["probs"][:, 0])
    assert list(text.text) == list("今天北京很大很大")
    assert text.textfont.color[2] == text.textfont.color[3] == "#2ca02c" and text.textfont.color[0] == "#333333"
    assert label.text[0].endswith("predicted: 北京 (correct)")
    assert error_traces(2, details, predictions, references, questions)[3].text[0].endswith("(nothing) (wrong)")


A = hand_analysis()
BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: draw_architecture(None), TypeError, "ax"),
    (lambda: draw_receptive_field(_axes(2), None, {}), TypeError, "influence"),
    (lambda: draw_receptive_field(_axes(2), {}, None), TypeError, "schedules"),
    (lambda: draw_receptive_field(_axes(2), {}, {"a": [1]}), ValueError, "axes"),
    (lambda: draw_receptive_field([_axes()], {}, {"a": [1]}), ValueError, "influence"),
    (lambda: draw_receptive_field([_axes()], {"a": np.ones((2, 3))}, {"a": [1]}), ValueError, "influence"),
    (lambda: draw_learning_curves(None, _axes(), HISTORY), TypeError, "ax"),
    (lambda: draw_learning_curves(_axes(), _axes(), None), TypeError, "history"),
    (lambda: draw_learning_curves(_axes(), _axes(), {"loss": []}), ValueError, "history"),
    (lambda: analysed_passage(3, *A[:3]), ValueError, "details"),
    (lambda: analysed_passage(1, None, *A[1:3]), TypeError, "details"),
    (lambda: analysed_passage(1, A[0], None, A[2]), TypeError, "predictions"),
    (lambda: analysed_passage(1, A[0], A[1], []), TypeError, "references"),
    (lambda: error_traces(1, *A[:3], None), TypeError, "questions"),
    (lambda: error_traces(1, *A[:3], {}), ValueError, "questions"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
