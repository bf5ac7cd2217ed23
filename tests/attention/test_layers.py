"""Unit tests of blogcode.attention.layers: the multi-head self-attention layers of each pattern."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.attention.layers import (AtrousSelfAttention, LocalSelfAttention, MultiHeadSelfAttention,
                                       SparseSelfAttention)
from blogcode.attention.patterns import atrous_mask, attention_mask, dense_attention, local_mask, sparse_mask
from blogcode.masking import sequence_mask

LAYERS = {
    "dense": lambda causal=False: MultiHeadSelfAttention(2, 4, causal=causal),
    "atrous": lambda causal=False: AtrousSelfAttention(2, 4, rate=3, causal=causal),
    "local": lambda causal=False: LocalSelfAttention(2, 4, neighbors=3, causal=causal),
    "sparse": lambda causal=False: SparseSelfAttention(2, 4, rate=3, causal=causal),
}
PATTERNS = {"dense": lambda n: np.ones((n, n), bool), "atrous": lambda n: atrous_mask(n, 3),
            "local": lambda n: local_mask(n, 3), "sparse": lambda n: sparse_mask(n, 3)}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_equals_projections_plus_dense_attention(name):
    set_seed(0)
    n = 11
    layer = LAYERS[name]()
    x = np.random.default_rng(0).normal(size=(2, n, 5)).astype("float32")
    padding = sequence_mask([11, 7], n)
    y = layer(x, mask=padding).numpy()
    assert y.shape == (2, n, 5)

    def heads(t):  # (b, n, 8) -> (b*2, n, 4), heads folded batch-major
        return np.transpose(t.reshape(2, n, 2, 4), (0, 2, 1, 3)).reshape(4, n, 4)

    q, k, v = (heads(x @ d.kernel.numpy()) for d in (layer.query, layer.key, layer.value))
    mask = attention_mask(PATTERNS[name](n), np.repeat(padding, 2, axis=0))
    attended = dense_attention(q, k, v, mask).numpy()
    merged = np.transpose(attended.reshape(2, 2, n, 4), (0, 2, 1, 3)).reshape(2, n, 8)
    expected = merged @ layer.out.kernel.numpy() + layer.out.bias.numpy()
    np.testing.assert_allclose(y, expected, atol=1e-5)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_keras_mask_ignores_padding(name):
    set_seed(1)
    embed = keras.layers.Embedding(20, 6, mask_zero=True)
    layer = LAYERS[name]()
    ids = np.array([[3, 5, 7, 2, 9, 0, 0, 0]])
    padded = layer(embed(ids)).numpy()[0, :5]
    unpadded = layer(embed(ids[:, :5])).numpy()[0]
    np.testing.assert_allclose(padded, unpadded, atol=1e-5)
    assert layer.compute_mask(None, tf.constant([[True, False]])).numpy().tolist() == [[True, False]]


@pytest.mark.parametrize("name", list(LAYERS))
def test_causal_layer_ignores_the_future(name):
    set_seed(2)
    layer = LAYERS[name](causal=True)
    x = np.random.default_rng(2).normal(size=(1, 10, 5)).astype("float32")
    changed = x.copy()
    changed[:, 6:] += 3.0
    np.testing.assert_allclose(layer(x).numpy()[:, :6], layer(changed).numpy()[:, :6], atol=1e-5)
    assert not np.allclose(layer(x).numpy()[:, 6:], layer(changed).numpy()[:, 6:])


def small_model(name, n=12):
    inputs = keras.Input((n,), dtype="int32")
    h = keras.layers.Embedding(10, 8, mask_zero=True)(inputs)
    h = LAYERS[name]()(h)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(h))
    return keras.Model(inputs, outputs)


def toy_data(n=12, size=64):
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10, size=(size, n))
    x[: size // 2, n - 3:] = 0  # some padding
    y = (x == 5).sum(axis=1, keepdims=True).astype("float32")
    return x, y


def test_layer_fits_in_model_fit():
    set_seed(4)
    model = small_model("atrous")
    x, y = toy_data()
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.7 * before


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_saves_and_reloads(name, tmp_path):
    set_seed(4)
    model = small_model(name)
    x, _ = toy_data(size=8)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded(x).numpy(), model(x).numpy(), atol=1e-5)
    assert reloaded.layers[2].get_config() == model.layers[2].get_config()
    assert type(reloaded.layers[2]) is type(model.layers[2])


def test_layer_trains_in_a_gradient_tape_loop():
    set_seed(5)
    model = small_model("local")
    x, y = toy_data()
    optimizer = keras.optimizers.Adam(0.02)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x, training=True) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(g))) for g in grads])
        return loss, finite

    losses = []
    for _ in range(20):
        loss, finite = step()
        assert bool(finite)
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("cls, kwargs, error, arg", [
    (MultiHeadSelfAttention, dict(heads=0, head_size=4), ValueError, "heads"),
    (MultiHeadSelfAttention, dict(heads=2.0, head_size=4), TypeError, "heads"),
    (MultiHeadSelfAttention, dict(heads=True, head_size=4), TypeError, "heads"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=-1), ValueError, "head_size"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=None), TypeError, "head_size"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, causal="yes"), TypeError, "causal"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, causal=0), TypeError, "causal"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, output_dim=0), ValueError, "output_dim"),
    (MultiHeadSelfAttention, dict(heads=2, head_size=4, output_dim=8.0), TypeError, "output_dim"),
    (AtrousSelfAttention, dict(heads=2, head_size=4, rate=0), ValueError, "rate"),
    (AtrousSelfAttention, dict(heads=2, head_size=4, rate="3"), TypeError, "rate"),
    (LocalSelfAttention, dict(heads=2, head_size=4, neighbors=-2), ValueError, "neighbors"),
    (LocalSelfAttention, dict(heads=2, head_size=4, neighbors=False), TypeError, "neighbors"),
    (SparseSelfAttention, dict(heads=2, head_size=4, rate=1.5), TypeError, "rate"),
    (SparseSelfAttention, dict(heads=2, head_size=4, rate=None), TypeError, "rate"),
])
def test_layers_reject_bad_arguments(cls, kwargs, error, arg):
    with pytest.raises(error, match=arg):
        cls(**kwargs)


def test_layer_rejects_bad_inputs():
    layer = LocalSelfAttention(2, 4, neighbors=2)
    with pytest.raises(ValueError, match="inputs"):
        layer(np.zeros((3, 4), "float32"))
    with pytest.raises(ValueError, match="mask"):
        layer(np.zeros((2, 5, 4), "float32"), mask=np.ones((2, 6), bool))
