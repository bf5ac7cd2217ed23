"""Unit tests of blogcode.bidecoder.widgets (chapter: seq2seq with bidirectional decoding):
the figures build on a recorded search, and bad input is rejected by name."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from blogcode.bidecoder.beam_search import bidirectional_beam_search  # noqa: E402
from blogcode.bidecoder.widgets import (beam_explorer, beam_live_widget, beam_step_traces,  # noqa: E402
                                      draw_architecture, draw_leakage)

VOCAB = 8


def _pair_step(l2r, r2l):
    """Both directions prefer token 4 + (length mod 3), and the end id after three tokens."""
    l2r = np.asarray(l2r)
    logits = np.zeros(l2r.shape[:2] + (VOCAB,))
    logits[..., 4 + l2r.shape[2] % 3] = 2.0
    logits[..., 3] = 3.0 if l2r.shape[2] > 3 else -3.0
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return log_probs, log_probs


def _decode(ids):
    return "".join("abcdefgh"[i] for i in ids)


@pytest.fixture(scope="module")
def recorded():
    return bidirectional_beam_search(_pair_step, 2, 2, 6, VOCAB, record=True)


def test_figures_build_on_a_recorded_search(recorded):
    fig, ax = plt.subplots()
    draw_architecture(ax)
    # predicting the last letter, L2R sees R2L's first input: that very letter
    assert draw_leakage(ax, "abcde") == {"target": "e", "leaked_positions": [1]}
    plt.close(fig)
    traces = beam_step_traces({d: {k: v[0] for k, v in recorded.trace[-1][d].items()} for d in ("l2r", "r2l")},
                              _decode)
    assert len(traces) == 2
    figure = beam_explorer(recorded, _decode, row=1)
    assert len(figure.layout.sliders[0].steps) == len(recorded.trace)


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
    (lambda r: beam_step_traces(None, _decode), TypeError, "snapshot"),
    (lambda r: beam_step_traces({"l2r": {}}, _decode), ValueError, "snapshot"),
    (lambda r: beam_step_traces(r.trace[0], None), TypeError, "decode"),
    (lambda r: beam_explorer(None, _decode), TypeError, "result"),
    (lambda r: beam_explorer(r, "decode"), TypeError, "decode"),
    (lambda r: beam_explorer(r, _decode, row=1.0), TypeError, "row"),
    (lambda r: beam_explorer(r, _decode, row=2), ValueError, "row"),
    (lambda r: beam_explorer(r, _decode, title=None), TypeError, "title"),
    (lambda r: beam_explorer(bidirectional_beam_search(_pair_step, 1, 2, 2, VOCAB), _decode), ValueError, "trace"),
    (lambda r: beam_live_widget(None, {"a": 1}, _decode), TypeError, "search"),
    (lambda r: beam_live_widget(lambda s: r, {}, _decode), ValueError, "sources"),
    (lambda r: beam_live_widget(lambda s: r, ["a"], _decode), TypeError, "sources"),
    (lambda r: beam_live_widget(lambda s: r, {"a": 1}, None), TypeError, "decode"),
    (lambda r: beam_live_widget(lambda s: r, {"a": 1}, _decode, max_step=3.0), TypeError, "max_step"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(recorded, call, error, word):
    with pytest.raises(error, match=word):
        call(recorded)
