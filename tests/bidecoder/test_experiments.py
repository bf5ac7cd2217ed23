"""Unit tests of blogcode.bidecoder.experiments (chapter: seq2seq with bidirectional decoding):
the training loop and the seven-way decoder comparison.
"""

import numpy as np
import pytest

from blogcode.bidecoder.beam_search import END, PAD
from blogcode.bidecoder.experiments import compare_decoders, train_seq2seq
from blogcode.bidecoder.model import BidirectionalSeq2Seq
from tests.bidecoder.toys import independent_model, tiny_data, tiny_model


@pytest.mark.parametrize("name, value, error", [
    ("steps", 2.0, TypeError), ("steps", 0, ValueError), ("batch_size", True, TypeError),
    ("learning_rate", float("nan"), ValueError), ("learning_rate", 0.0, ValueError),
    ("log_every", -1, ValueError), ("compiled", "yes", TypeError), ("seed", 0.5, TypeError)])
def test_train_seq2seq_rejects_bad_settings(name, value, error):
    vocab, arrays = tiny_data()
    with pytest.raises(error, match=name):
        train_seq2seq(tiny_model(vocab), arrays, **{"steps": 1, name: value})


def test_compare_decoders_checks_its_models():
    source = np.ones((2, 3), np.int32) * 5
    none_model = BidirectionalSeq2Seq(10, 8, 8, 2, cross_attention="none")
    with pytest.raises(ValueError, match="vocab_size"):
        compare_decoders(none_model, BidirectionalSeq2Seq(12, 8, 8, 2), source, 2, 4)
    with pytest.raises(ValueError, match="independent"):
        compare_decoders(BidirectionalSeq2Seq(10, 8, 8, 2), none_model, source, 2, 4)


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: train_seq2seq(independent_model(), {}, 1), ValueError, "arrays"),
    (lambda: train_seq2seq(independent_model(), None, 1), TypeError, "arrays"),
    (lambda: train_seq2seq("model", {}, 1), TypeError, "model"),
    (lambda: compare_decoders(independent_model(), "model", np.ones((1, 3), np.int32), 2, 4), TypeError, "bidirectional"),
    (lambda: compare_decoders(independent_model(), independent_model(), np.ones((1, 3), np.int32), 2.0, 4), TypeError,
     "beam_size"),
    (lambda: compare_decoders(independent_model(), independent_model(), np.ones((1, 3), np.int32), 2, 4, float("nan")),
     ValueError, "length_penalty"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_training_lowers_the_loss_and_the_comparison_decodes_seven_ways():
    vocab, arrays = tiny_data()
    models = {mode: tiny_model(vocab, mode) for mode in ("none", "causal")}
    losses = train_seq2seq(models["causal"], arrays, steps=4, batch_size=24, learning_rate=3e-2, compiled=False)
    assert set(losses) == {"l2r", "r2l"} and len(losses["l2r"]) == 4
    assert losses["l2r"][-1] + losses["r2l"][-1] < losses["l2r"][0] + losses["r2l"][0]
    out = compare_decoders(models["none"], models["causal"], arrays["source"][:3], 2, 4)
    assert list(out) == ["L2R greedy", "L2R beam", "R2L greedy", "R2L beam", "BTTR-style rescoring",
                         "SB-NMT split beam", "bidirectional beam (article)"]
    for paths in out.values():
        assert len(paths) == 3 and all(len(p) <= 4 and PAD not in p and END not in p for p in paths)
