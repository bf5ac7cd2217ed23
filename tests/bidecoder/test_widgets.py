"""Unit tests of blogcode.bidecoder.widgets (chapter: seq2seq with bidirectional decoding):
the static explorer and the live widget build on a recorded search, and bad input is
rejected by name."""

import numpy as np
import pytest

from blogcode.bidecoder.bidirectional import bidirectional_beam_search
from blogcode.bidecoder.widgets import beam_explorer, beam_live_widget, beam_view
from blogcode.widgets import LiveView, LiveWidget

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


def test_explorer_has_a_slider_step_per_decoding_step(recorded):
    figure = beam_explorer(recorded, _decode, row=1)
    assert len(figure.layout.sliders[0].steps) == len(recorded.trace)
    assert figure.layout.title.text == "Bidirectional beam search, step by step"


def test_view_and_live_widget_show_the_beams_of_a_step():
    one = bidirectional_beam_search(_pair_step, 1, 2, 6, VOCAB, record=True)
    shown = beam_view(one, _decode, 1, title="x")
    assert isinstance(shown, LiveView) and shown.result is one
    assert len(shown.figure.data) == 2 and shown.figure.layout.title.text == "x"
    assert shown.text.startswith(f"step 1 of {len(one.trace) - 1}")
    assert beam_view(one, _decode, 99).text.startswith(f"step {len(one.trace) - 1} ")  # clamped to the last
    searched = []
    live = beam_live_widget(lambda s: searched.append(s) or one, {"first": 1, "second": 2}, _decode)
    assert isinstance(live, LiveWidget) and live.result is one and searched == [1]
    live.controls["step"].value = 2
    assert live.text.startswith("step 2") and searched == [1]  # each input is searched once
    live.controls["input"].value = "second"
    assert searched == [1, 2] and live.figure.layout.title.text == "second: step 2"


BAD_CALLS = [
    # (call, exception, argument named in the message)
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
    (lambda r: beam_view(None, _decode), TypeError, "result"),
    (lambda r: beam_view(bidirectional_beam_search(_pair_step, 1, 2, 2, VOCAB), _decode), ValueError, "trace"),
    (lambda r: beam_view(r, None), TypeError, "decode"),
    (lambda r: beam_view(r, _decode, step=-1), ValueError, "step"),
    (lambda r: beam_view(r, _decode, step=1.0), TypeError, "step"),
    (lambda r: beam_view(r, _decode, title=None), TypeError, "title"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(recorded, call, error, word):
    with pytest.raises(error, match=word):
        call(recorded)
