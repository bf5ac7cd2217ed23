"""Unit tests of blogcode.masking (chapter: Layers within layers, and masks)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.masking import AlignedBidirectional, masked_max, masked_mean, masked_softmax, reverse_padded, sequence_mask

ARTICLE_X = np.array([[1, 0, 3, 4, 5, 0, 0, 0]], dtype=np.float32)
ARTICLE_MASK = np.array([[1, 1, 1, 1, 1, 0, 0, 0]])


# ----------------------------------------------------------------- sequence_mask

def test_sequence_mask_values_and_type():
    m = sequence_mask([1, 3, 0], 4)
    assert isinstance(m, np.ndarray) and m.dtype == bool
    np.testing.assert_array_equal(m, [[1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    assert sequence_mask([2, 5]).shape == (2, 5)
    assert isinstance(sequence_mask(tf.constant([2, 1]), 3), tf.Tensor)


@pytest.mark.parametrize(
    "lengths, maxlen, err, word",
    [
        ([1, -2], 4, ValueError, "lengths"),
        ([5], 4, ValueError, "maxlen"),
        ([[1, 2]], 4, ValueError, "lengths"),
        ([1.5], 4, ValueError, "lengths"),
        ([1], -1, ValueError, "maxlen"),
        ([1], 2.0, TypeError, "maxlen"),
        ("abc", 2, TypeError, "lengths"),
    ],
)
def test_sequence_mask_rejects_bad_input(lengths, maxlen, err, word):
    with pytest.raises(err, match=word):
        sequence_mask(lengths, maxlen)


# ----------------------------------------------------------------- mean / max / softmax

def test_article_mean_example():
    assert masked_mean(ARTICLE_X, ARTICLE_MASK)[0] == pytest.approx(2.6)
    assert ARTICLE_X.mean() == pytest.approx(1.625)


def test_article_max_example():
    x = -np.array([[1, 2, 3, 4, 5, 0, 0, 0]], dtype=np.float32)
    assert x.max() == 0  # the naive answer is the padding
    assert masked_max(x, ARTICLE_MASK)[0] == -1


def test_masked_softmax_gives_padding_zero_probability():
    p = masked_softmax(ARTICLE_X, ARTICLE_MASK)
    assert np.all(p[0, 5:] == 0)
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-6)
    np.testing.assert_allclose(p[0, :5], tf.nn.softmax(ARTICLE_X[:, :5])[0], rtol=1e-6)


def test_three_d_inputs_with_two_d_mask():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    lengths = [6, 2, 4]
    mask = sequence_mask(lengths, 6)
    mean, mx = masked_mean(x, mask), masked_max(x, mask)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(mean[i], x[i, :n].mean(0), rtol=1e-5)
        np.testing.assert_allclose(mx[i], x[i, :n].max(0))
    # The article's (batch, length, 1) float mask works too.
    np.testing.assert_allclose(masked_mean(x, mask[..., None].astype(np.float32)), mean, rtol=1e-6)


def test_padding_holding_inf_or_nan_does_not_leak():
    x = np.array([[1.0, 2.0, np.inf, np.nan]])
    m = np.array([[1, 1, 0, 0]])
    assert masked_mean(x, m)[0] == pytest.approx(1.5)
    assert masked_max(x, m)[0] == 2.0
    np.testing.assert_allclose(masked_softmax(x, m)[0], [1 / (1 + np.e), np.e / (1 + np.e), 0, 0], rtol=1e-6)


def test_fully_masked_rows_are_defined():
    x = np.array([[3.0, -1.0], [1.0, 2.0]])
    m = np.array([[0, 0], [1, 0]])
    np.testing.assert_array_equal(masked_mean(x, m), [0.0, 1.0])
    np.testing.assert_array_equal(masked_max(x, m), [0.0, 1.0])
    np.testing.assert_array_equal(masked_softmax(x, m), [[0, 0], [1, 0]])


def test_softmax_with_attention_shaped_mask_and_gradients():
    rng = np.random.default_rng(1)
    logits = tf.constant(rng.normal(size=(2, 3, 4, 5)), tf.float32)  # (batch, heads, q, k)
    keys = sequence_mask([5, 2], 5)
    mask = keys[:, None, None, :]
    with tf.GradientTape() as tape:
        tape.watch(logits)
        p = masked_softmax(logits, mask)
        loss = tf.reduce_sum(p * tf.range(5, dtype=tf.float32))
    grad = tape.gradient(loss, logits).numpy()
    assert isinstance(p, tf.Tensor)
    assert np.all(p.numpy()[1, ..., 2:] == 0)
    assert np.all(grad[1, ..., 2:] == 0) and np.all(np.isfinite(grad))


def test_works_inside_tf_function():
    f = tf.function(lambda x, m: (masked_mean(x, m), masked_softmax(x, m), reverse_padded(x, m)))
    mean, p, rev = f(tf.constant(ARTICLE_X), tf.constant(ARTICLE_MASK))
    assert float(mean[0]) == pytest.approx(2.6)
    np.testing.assert_array_equal(rev.numpy(), [[5, 4, 3, 0, 1, 0, 0, 0]])


@pytest.mark.parametrize("fn", [masked_mean, masked_max, masked_softmax])
def test_bad_inputs(fn):
    x = np.ones((2, 4))
    with pytest.raises(ValueError, match="mask"):
        fn(x, np.ones((2, 3)))  # shape mismatch
    with pytest.raises(ValueError, match="binary"):
        fn(x, np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="binary"):
        fn(x, np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="empty"):
        fn(np.ones((2, 0)), np.ones((2, 0)), axis=1)
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([[np.nan, 1.0]]), np.array([[1, 1]]))
    with pytest.raises(ValueError, match="rank"):
        fn(x, np.ones((2, 4, 1, 1)))
    with pytest.raises(ValueError, match="axis"):
        fn(x, np.ones((2, 4)), axis=5)
    with pytest.raises(TypeError, match="mask"):
        fn(x, None)


# ----------------------------------------------------------------- reverse_padded

def test_reverse_padded_article_example_and_involution():
    np.testing.assert_array_equal(reverse_padded(ARTICLE_X, ARTICLE_MASK), [[5, 4, 3, 0, 1, 0, 0, 0]])
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 7, 2))
    mask = sequence_mask([7, 3, 0], 7)
    once = reverse_padded(x, mask)
    np.testing.assert_array_equal(once[1, :3], x[1, 2::-1])
    np.testing.assert_array_equal(once[1, 3:], x[1, 3:])
    np.testing.assert_array_equal(reverse_padded(once, mask), x)


def test_reverse_padded_bad_inputs():
    with pytest.raises(ValueError, match="right-padded"):
        reverse_padded(np.ones((1, 4)), np.array([[0, 1, 1, 0]]))
    with pytest.raises(ValueError, match="2-D"):
        reverse_padded(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="mask"):
        reverse_padded(np.ones((1, 4)), np.ones((1, 5)))


# ----------------------------------------------------------------- AlignedBidirectional

def _lengths_and_inputs(seed=0):
    rng = np.random.default_rng(seed)
    # Non-zero padding vectors: with zeros, a fresh RNN would hide contamination.
    return np.array([7, 4, 1]), rng.normal(size=(3, 7, 3)).astype(np.float32)


def test_aligned_bidirectional_forward_half_and_padding():
    set_seed(0)
    lengths, x = _lengths_and_inputs()
    mask = sequence_mask(lengths, 7)
    bi = AlignedBidirectional(keras.layers.GRU(4, return_sequences=True))
    out = bi(x, mask=mask).numpy()
    assert out.shape == (3, 7, 8)
    assert np.all(out[1, 4:] == 0)
    forward_alone = bi.forward_layer(x[1:2, :4]).numpy()
    np.testing.assert_allclose(out[1:2, :4, :4], forward_alone, atol=1e-6)
    assert len(bi.trainable_weights) == 2 * len(bi.forward_layer.trainable_weights)


def test_aligned_bidirectional_in_fit_custom_loop_and_save(tmp_path):
    set_seed(0)
    ids = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0], [5, 3, 0, 0, 0]])
    y = np.array([[1.0], [0.0], [1.0]])

    def build():
        inp = keras.Input((None,), dtype="int32")
        h = keras.layers.Embedding(10, 4, mask_zero=True)(inp)
        h = AlignedBidirectional(keras.layers.LSTM(3, return_sequences=True), merge_mode="sum")(h)
        h = AlignedBidirectional(keras.layers.GRU(3))(h)
        return keras.Model(inp, keras.layers.Dense(1)(h))

    model = build()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ids, y, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()

    optimizer = keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(ids, training=True) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None for g in grads)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(ids, verbose=0), model.predict(ids, verbose=0), atol=1e-6)
    # Extra padding changes nothing.
    padded = np.pad(ids, ((0, 0), (0, 3)))
    np.testing.assert_allclose(model.predict(padded, verbose=0), model.predict(ids, verbose=0), atol=1e-5)


def test_aligned_bidirectional_bad_arguments():
    with pytest.raises(TypeError, match="layer"):
        AlignedBidirectional(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="go_backwards"):
        AlignedBidirectional(keras.layers.LSTM(3, go_backwards=True))
    with pytest.raises(ValueError, match="merge_mode"):
        AlignedBidirectional(keras.layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="return_state"):
        AlignedBidirectional(keras.layers.LSTM(3, return_state=True))


# ----------------------------------------------------------------- bad input, one table
# A wrong type is a TypeError, a wrong value a ValueError; the message names the argument.

_X = np.ones((2, 4))
_M = np.ones((2, 4))


@pytest.mark.parametrize("call, error, arg", [
    (lambda: sequence_mask(None), TypeError, "lengths"),
    (lambda: sequence_mask([1, 2], True), TypeError, "maxlen"),
    (lambda: sequence_mask([1, 2], "3"), TypeError, "maxlen"),
    (lambda: sequence_mask([1, 2], -2), ValueError, "maxlen"),
    (lambda: masked_mean(None, _M), TypeError, "x"),
    (lambda: masked_max(_X, "mask"), TypeError, "mask"),
    (lambda: masked_softmax(_X, _M, axis=1.0), TypeError, "axis"),
    (lambda: masked_softmax(_X, _M, axis=True), TypeError, "axis"),
    (lambda: masked_mean(_X, _M, axis=2), ValueError, "axis"),
    (lambda: reverse_padded(None, _M), TypeError, "x"),
    (lambda: reverse_padded(_X, None), TypeError, "mask"),
    (lambda: AlignedBidirectional(None), TypeError, "layer"),
    (lambda: AlignedBidirectional(keras.layers.LSTM(2), merge_mode=None), TypeError, "merge_mode"),
    (lambda: AlignedBidirectional(keras.layers.LSTM(2), merge_mode="max"), ValueError, "merge_mode"),
])
def test_bad_input_table(call, error, arg):
    with pytest.raises(error, match=arg):
        call()


def test_softmax_where_matches_masked_softmax_and_checks_types():
    from blogcode.masking import softmax_where

    logits = tf.constant([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])
    mask = tf.constant([[True, True, False], [False, False, False]])
    np.testing.assert_allclose(softmax_where(logits, mask).numpy(), masked_softmax(logits, mask).numpy())
    with pytest.raises(TypeError, match="logits"):
        softmax_where(np.ones(3), tf.constant([True] * 3))
    with pytest.raises(TypeError, match="mask"):
        softmax_where(logits, tf.ones((2, 3)))
    with pytest.raises(TypeError, match="axis"):
        softmax_where(logits, mask, axis=1.0)


def test_as_tensor_is_the_one_conversion_with_named_type_errors():
    from blogcode.masking import as_tensor

    assert as_tensor([1, 2], "x", tf.float32).dtype == tf.float32
    for bad in (None, "abc", b"x", ["a", "b"]):
        with pytest.raises(TypeError, match="^x must"):
            as_tensor(bad, "x")
