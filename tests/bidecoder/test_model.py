"""Unit tests of blogcode.bidecoder.model (chapter: seq2seq with bidirectional decoding):
shapes, the causal window, saving, and the step functions that drive the searches.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode.bidecoder.beam_search import END, PAD, START
from blogcode.bidecoder.bidirectional import bidirectional_beam_search, bidirectional_beam_search_reference
from blogcode.bidecoder.experiments import train_seq2seq
from blogcode.bidecoder.model import BidirectionalSeq2Seq, PairStep
from tests.bidecoder.toys import independent_model, tiny_data, tiny_model


def test_model_shapes_and_the_causal_cross_window():
    vocab, arrays = tiny_data()
    x = (arrays["source"][:3], arrays["l2r_in"][:3], arrays["r2l_in"][:3])
    for mode in ("causal", "full", "none"):
        model = tiny_model(vocab, mode)
        l2r, r2l = model(x)
        assert l2r.shape == r2l.shape == (3, 6, len(vocab))
        changed = x[2].copy()
        changed[:, 3:] = np.where(changed[:, 3:] > 0, 4, 0)  # alter R2L tokens from position 3 on
        l2r_b, _ = model((x[0], x[1], changed))
        # position n sees R2L positions <= n; R2L state 2 only read tokens 0..2
        same_prefix = np.allclose(l2r[:, :3], l2r_b[:, :3], atol=1e-6)
        assert same_prefix == (mode != "full")
        if mode == "none":
            np.testing.assert_allclose(l2r, l2r_b, atol=1e-6)


def test_model_rejects_bad_settings():
    with pytest.raises(ValueError, match="cross_attention"):
        BidirectionalSeq2Seq(10, cross_attention="sideways")
    with pytest.raises(ValueError, match="vocab_size"):
        BidirectionalSeq2Seq(3)
    with pytest.raises(ValueError, match="hidden_dim"):
        BidirectionalSeq2Seq(10, hidden_dim=6, num_heads=4)
    vocab, arrays = tiny_data()
    with pytest.raises(ValueError, match="step_fn"):
        tiny_model(vocab, "causal").step_fn(arrays["source"][:2], "l2r")
    with pytest.raises(ValueError, match="direction"):
        tiny_model(vocab, "none").step_fn(arrays["source"][:2], "up")
    with pytest.raises(ValueError, match="steps"):
        train_seq2seq(tiny_model(vocab), arrays, steps=0)


def test_model_save_reload_fit_and_tape(tmp_path):
    vocab, arrays = tiny_data()
    model = tiny_model(vocab)
    x = (arrays["source"], arrays["l2r_in"], arrays["r2l_in"])
    y = (arrays["l2r_out"], arrays["r2l_out"])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    history = model.fit(x, y, batch_size=24, epochs=2, verbose=0)
    assert {"loss", "l2r_loss", "r2l_loss"} <= set(history.history)
    assert history.history["loss"][-1] < history.history["loss"][0]
    losses = train_seq2seq(model, arrays, steps=2, batch_size=12, learning_rate=1e-2, compiled=False)
    assert len(losses["l2r"]) == 2 and np.all(np.isfinite(losses["r2l"]))
    # the searches' step graphs (and the RNN that continues cached states) add no weights
    weights = len(model.weights)
    bidirectional_beam_search(model.pair_step_fn(arrays["source"][:2]), 2, 2, 3, len(vocab))
    assert len(model.weights) == weights
    path = tmp_path / "bidecoder.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert again.get_config()["cross_attention"] == "causal"
    np.testing.assert_allclose(model(x)[0], again(x)[0], atol=1e-6)


def test_model_step_functions_drive_the_searches():
    vocab, arrays = tiny_data()
    source = arrays["source"][:3]
    model = tiny_model(vocab, "causal")
    pair = model.pair_step_fn(source)
    prefixes = np.full((3, 2, 1), START)
    l2r, r2l = pair(prefixes, prefixes)
    assert l2r.shape == r2l.shape == (3, 2, len(vocab))
    np.testing.assert_allclose(np.exp(l2r).sum(-1), 1.0, rtol=1e-5)
    result = bidirectional_beam_search(pair, 3, 2, 4, len(vocab))
    assert len(result.best) == 3 and all(len(p) <= 4 for p in result.best)
    with pytest.raises(ValueError, match="prefixes"):
        pair(np.full((2, 2, 1), START), np.full((2, 2, 1), START))
    independent = tiny_model(vocab, "none")
    step = independent.step_fn(source, "r2l")
    # with no cross-attention, the pair step's R2L half equals the one-direction step
    np.testing.assert_allclose(step(prefixes), independent.pair_step_fn(source)(np.full_like(prefixes, 5), prefixes)[1],
                               atol=1e-6)


@pytest.mark.parametrize("mode", ["causal", "full", "none"])
def test_all_pairs_equals_decode_on_every_pair(mode):
    vocab, arrays = tiny_data()
    source = arrays["source"][:3]
    model = tiny_model(vocab, mode)
    rng = np.random.default_rng(1)
    l2r, r2l = (rng.integers(4, len(vocab), (3, 3, 4)) for _ in range(2))
    l2r[:, :, 0] = r2l[:, :, 0] = START
    l2r[0, 1, 2:] = [END, PAD]  # a finished path
    step = model.pair_step_fn(source)
    fast = step.all_pairs(l2r, r2l)
    rows = (np.repeat(l2r, 3, axis=1), np.tile(r2l, (1, 3, 1)))  # row i * 3 + j pairs L2R i with R2L j
    paired = step(*rows)
    memory, mask = model.encode(np.repeat(source, 9, axis=0))
    logits = model.decode(memory, mask, rows[0].reshape(27, 4), rows[1].reshape(27, 4))
    for got, by_rows, z in zip(fast, paired, logits):
        expected = tf.nn.log_softmax(z[:, -1]).numpy().reshape(3, 3, 3, -1)
        np.testing.assert_allclose(got, expected, atol=1e-5)
        np.testing.assert_allclose(by_rows.reshape(3, 3, 3, -1), expected, atol=1e-5)


def test_all_pairs_state_cache_changes_nothing():
    """The vectorised search on the model (all_pairs, whose LSTMs continue cached
    states) picks the paths of the per-pair loop and of plain row calls."""
    vocab, arrays = tiny_data()
    source = arrays["source"][:4]
    step = tiny_model(vocab, "causal").pair_step_fn(source)
    rows_only = lambda l2r, r2l: step(l2r, r2l)  # no all_pairs: the search builds the k^2 rows
    for k in (1, 3):
        fast = bidirectional_beam_search(step, 4, k, 5, len(vocab), length_penalty=0.5)
        for other in (bidirectional_beam_search(rows_only, 4, k, 5, len(vocab), length_penalty=0.5),
                      bidirectional_beam_search_reference(step, 4, k, 5, len(vocab), length_penalty=0.5)):
            for a, b in ((fast.l2r, other.l2r), (fast.r2l, other.r2l)):
                np.testing.assert_array_equal(a.tokens, b.tokens)
                np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)
            assert fast.best == other.best
    # a call that does not extend the cached paths recomputes them from scratch
    again = step.all_pairs(np.full((4, 2, 1), START), np.full((4, 2, 1), START))
    np.testing.assert_allclose(again[0][:, 0, 0], step(np.full((4, 1, 1), START), np.full((4, 1, 1), START))[0][:, 0],
                               atol=1e-6)
    with pytest.raises(TypeError, match="l2r_prefixes"):
        step.all_pairs(np.full((4, 2, 1), 2.0), np.full((4, 2, 1), START))


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: BidirectionalSeq2Seq(10.0), TypeError, "vocab_size"),
    (lambda: BidirectionalSeq2Seq(10, embed_dim=0), ValueError, "embed_dim"),
    (lambda: BidirectionalSeq2Seq(10, hidden_dim=8.0), TypeError, "hidden_dim"),
    (lambda: BidirectionalSeq2Seq(10, num_heads=True), TypeError, "num_heads"),
    (lambda: BidirectionalSeq2Seq(10, cross_attention=None), TypeError, "cross_attention"),
    (lambda: BidirectionalSeq2Seq(10, cross_attention="sideways"), ValueError, "cross_attention"),
    (lambda: independent_model().step_fn(np.ones((1, 3), np.int32), None), TypeError, "direction"),
    (lambda: PairStep("model", np.ones((1, 3), np.int32)), TypeError, "model"),
    (lambda: independent_model().pair_step_fn(np.ones(3, np.int32)), ValueError, "source"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_head_activation_is_checked_saved_and_used():
    with pytest.raises(ValueError, match="head_activation"):
        BidirectionalSeq2Seq(10, head_activation="relu6")
    with pytest.raises(TypeError, match="head_activation"):
        BidirectionalSeq2Seq(10, head_activation=3)
    vocab, arrays = tiny_data()
    x = (arrays["source"][:4], arrays["l2r_in"][:4], arrays["r2l_in"][:4])
    leaky = BidirectionalSeq2Seq(len(vocab), 8, 8, 2, head_activation="leaky_relu")
    tanh = BidirectionalSeq2Seq(len(vocab), 8, 8, 2)
    leaky(x), tanh(x)
    tanh.set_weights(leaky.get_weights())
    assert tanh.get_config()["head_activation"] == "tanh"
    # same weights, other head: other logits
    assert not np.allclose(leaky(x)[0], tanh(x)[0], atol=1e-4)
    twin = BidirectionalSeq2Seq.from_config(leaky.get_config())
    twin(x)
    twin.set_weights(leaky.get_weights())
    np.testing.assert_allclose(twin(x)[0], leaky(x)[0], atol=1e-6)


def test_partner_inputs_replace_what_the_cross_attention_reads():
    vocab, arrays = tiny_data()
    x = (arrays["source"][:4], arrays["l2r_in"][:4], arrays["r2l_in"][:4])
    for mode in ("causal", "full", "none"):
        model = tiny_model(vocab, mode)
        memory, mask = model.encode(x[0])
        plain = model.decode(memory, mask, x[1], x[2])
        same = model.decode(memory, mask, x[1], x[2], l2r_partner=x[1], r2l_partner=x[2])
        for a, b in zip(plain, same):  # the partners equal to the own inputs: the plain model
            np.testing.assert_allclose(a, b, atol=1e-6)
        other = np.where(x[2] > START, 4, x[2])
        changed = model.decode(memory, mask, x[1], x[2], r2l_partner=other)
        # only the L2R direction reads R2L partner states; and only when it reads any
        assert np.allclose(changed[0], plain[0], atol=1e-6) == (mode == "none")
        np.testing.assert_allclose(changed[1], plain[1], atol=1e-6)


def test_training_with_partner_arrays_checks_them_and_trains():
    vocab, arrays = tiny_data()
    model = tiny_model(vocab, "causal")
    with pytest.raises(ValueError, match="partner"):
        train_seq2seq(model, {**arrays, "l2r_partner": arrays["l2r_in"]}, 1, 8)
    pseudo = {**arrays, "l2r_partner": arrays["l2r_in"], "r2l_partner": arrays["r2l_in"]}
    history = train_seq2seq(model, pseudo, 3, 8, compiled=False)
    assert len(history["l2r"]) == 3 and all(np.isfinite(history["r2l"]))


def test_hidden_features_are_what_the_classifier_reads():
    vocab, arrays = tiny_data()
    x = (arrays["source"][:4], arrays["l2r_in"][:4], arrays["r2l_in"][:4])
    for mode in ("causal", "none"):
        model = tiny_model(vocab, mode)
        memory, mask = model.encode(x[0])
        hidden = model.hidden_features(memory, mask, x[1], x[2])
        assert set(hidden) == {"l2r", "r2l"} and hidden["l2r"].shape == (4, 6, model.hidden_dim)
        for logits, d in zip(model.decode(memory, mask, x[1], x[2]), ("l2r", "r2l")):
            np.testing.assert_allclose(model.classifier(hidden[d]), logits, atol=1e-6)
