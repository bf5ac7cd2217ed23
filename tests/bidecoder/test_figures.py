"""Unit tests of blogcode.bidecoder.figures (chapter: seq2seq with bidirectional decoding):
the diagrams and plots draw, the beam-step bars build on a recorded search, and bad
input is rejected by name."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.bidecoder.figures import (POSITION_DECODERS, beam_step_traces, draw_architecture,  # noqa: E402
                                        draw_leakage, draw_position_accuracy, draw_training_curves, smooth,
                                        use_cjk_font)
from tests.bidecoder.toys import letters, recorded_search  # noqa: E402

@pytest.fixture(scope="module")
def recorded():
    return recorded_search()


def test_figures_build_on_a_recorded_search(recorded):
    fig, ax = plt.subplots()
    draw_architecture(ax)
    # predicting the last letter, L2R sees R2L's first input: that very letter
    assert draw_leakage(ax, "abcde") == {"target": "e", "leaked_positions": [1]}
    plt.close(fig)
    traces = beam_step_traces({d: {k: v[0] for k, v in recorded.trace[-1][d].items()} for d in ("l2r", "r2l")},
                              letters)
    assert len(traces) == 2
    assert isinstance(use_cjk_font(), bool)


def test_result_plots_draw_what_they_are_given():
    np.testing.assert_allclose(smooth([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
    curves = {m: {"l2r": [1.0, 0.5, 0.25, 0.125], "r2l": [1.0, 0.5, 0.25, 0.125]} for m in ("none", "causal", "full")}
    fig, ax = plt.subplots()
    draw_training_curves(ax, curves, width=2)
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.5, 0.75, 0.375])  # L2R + R2L, smoothed
    plt.close(fig)
    references = [[4, 5, 6], [5, 6]]
    predictions = {name: [[4, 5, 7], [5, 6]] for name in POSITION_DECODERS}
    fig, axes = plt.subplots(1, 2)
    curves = draw_position_accuracy(axes, predictions, references, 3)
    plt.close(fig)
    np.testing.assert_allclose(curves["L2R beam", False], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(curves["L2R beam", True], [0.5, 1.0, 1.0])
    assert len(axes[0].lines) == len(POSITION_DECODERS)


def _axes():
    fig, ax = plt.subplots()
    plt.close(fig)
    return ax


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda r: draw_architecture(None), TypeError, "ax"),
    (lambda r: draw_leakage(None), TypeError, "ax"),
    (lambda r: draw_leakage(_axes(), None), TypeError, "sentence"),
    (lambda r: draw_leakage(_axes(), "a"), ValueError, "sentence"),
    (lambda r: draw_leakage(_axes(), "abc", 2.0), TypeError, "query"),
    (lambda r: draw_leakage(_axes(), "abc", 4), ValueError, "query"),
    (lambda r: draw_leakage(_axes(), "abc", 0), ValueError, "query"),
    (lambda r: beam_step_traces(None, letters), TypeError, "snapshot"),
    (lambda r: beam_step_traces({"l2r": {}}, letters), ValueError, "snapshot"),
    (lambda r: beam_step_traces(r.trace[0], None), TypeError, "decode"),
    (lambda r: smooth([1, 2], 0), ValueError, "width"),
    (lambda r: smooth([1, 2], 3), ValueError, "values"),
    (lambda r: draw_training_curves(None, {}, 2), TypeError, "ax"),
    (lambda r: draw_training_curves(_axes(), None, 2), TypeError, "curves"),
    (lambda r: draw_training_curves(_axes(), {"none": {}}, 2), ValueError, "curves"),
    (lambda r: draw_position_accuracy([_axes()], {}, [[1]], 2), ValueError, "axes"),
    (lambda r: draw_position_accuracy([_axes(), _axes()], None, [[1]], 2), TypeError, "predictions"),
    (lambda r: draw_position_accuracy([_axes(), _axes()], {}, [[1]], 2), ValueError, "predictions"),
    (lambda r: draw_position_accuracy([_axes(), _axes()], {}, [[1]], 2.0), TypeError, "positions"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(recorded, call, error, word):
    with pytest.raises(error, match=word):
        call(recorded)
