"""Unit tests of blogcode.bidecoder.figures (chapter: seq2seq with bidirectional decoding):
the diagrams and plots draw, the beam-step bars build on a recorded search, and bad
input is rejected by name."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.bidecoder.figures import (POSITION_DECODERS, beam_step_traces, draw_architecture,  # noqa: E402
                                        draw_couplet_positions,
                                        draw_leakage, draw_position_accuracy, draw_recorded_curves,
                                        draw_recorded_positions, draw_training_curves, smooth, use_cjk_font)
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


def _recorded_seeds():
    """Two seeds shaped like results["per_seed"] of the bidecoder/sorting recording."""
    rows = []
    for scale in (1.0, 3.0):
        curves = {m: {"l2r": [scale, scale / 2], "r2l": [scale, scale / 4]} for m in ("none", "causal", "full")}
        decoders = {name: {"start": [1.0, 0.5 * scale / 3, None], "end": [scale / 3, 1.0, None]}
                    for name in POSITION_DECODERS}
        rows.append({"curves": curves, "decoders": decoders})
    return rows


def test_recorded_plots_draw_every_seed_and_the_mean():
    fig, ax = plt.subplots()
    means = draw_recorded_curves(ax, _recorded_seeds(), block=10)
    assert len(ax.lines) == 3 * 3 and ax.get_yscale() == "log"  # per series: two seeds and the mean
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [5, 15])  # block centres
    np.testing.assert_allclose(means["independent: L2R loss alone"], [2.0, 1.0])
    np.testing.assert_allclose(means["article (positions ≤ n): L2R + R2L"], [4.0, 1.5])
    plt.close(fig)
    fig, axes = plt.subplots(1, 2)
    means = draw_recorded_positions(axes, _recorded_seeds())
    plt.close(fig)
    np.testing.assert_allclose(means["L2R beam", False], [1.0, 1 / 3, np.nan])
    np.testing.assert_allclose(means["R2L beam", True], [2 / 3, 1.0, np.nan])
    assert len(axes[0].lines) == len(POSITION_DECODERS) and len(axes[0].collections) == len(POSITION_DECODERS)


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
    (lambda r: draw_recorded_curves(None, _recorded_seeds(), 10), TypeError, "ax"),
    (lambda r: draw_recorded_curves(_axes(), [], 10), ValueError, "per_seed"),
    (lambda r: draw_recorded_curves(_axes(), None, 10), TypeError, "per_seed"),
    (lambda r: draw_recorded_curves(_axes(), [{"loss": {}}], 10), ValueError, "per_seed"),
    (lambda r: draw_recorded_curves(_axes(), [{"curves": {"none": {}}}], 10), ValueError, "per_seed"),
    (lambda r: draw_recorded_curves(_axes(), _recorded_seeds(), 0), ValueError, "block"),
    (lambda r: draw_recorded_positions([_axes()], _recorded_seeds()), ValueError, "axes"),
    (lambda r: draw_recorded_positions([_axes(), None], _recorded_seeds()), TypeError, "ax"),
    (lambda r: draw_recorded_positions([_axes(), _axes()], [{"decoders": {}}]), ValueError, "per_seed"),
    (lambda r: draw_recorded_positions([_axes(), _axes()], ["seed"]), ValueError, "per_seed"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(recorded, call, error, word):
    with pytest.raises(error, match=word):
        call(recorded)


def test_couplet_positions_draw_each_decoders_mean_and_range():
    rows = [{"decoders": {name: {"start": [0.1 * (i + 1)] * 14} for name in POSITION_DECODERS}} for i in range(3)]
    fig, ax = plt.subplots()
    means = draw_couplet_positions(ax, rows)
    assert set(means) == set(POSITION_DECODERS)
    np.testing.assert_allclose(means["L2R beam"], [0.2] * 14)
    assert len(ax.lines) == len(POSITION_DECODERS) + 1  # one curve each and the line break
    with pytest.raises(ValueError, match="lack"):
        draw_couplet_positions(ax, [{"decoders": {}}])
    with pytest.raises(ValueError, match="line"):
        draw_couplet_positions(ax, rows, line=0)
    plt.close(fig)
