"""Tests of blogcode.masks.layers (nested layers)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from blogcode import set_seed
from blogcode.masks.layers import TwoLayerDense


def test_two_layer_dense_computes_the_formula_and_tracks_weights():
    set_seed(0)
    layer = TwoLayerDense(5, 2, hidden_activation="relu", output_activation="sigmoid")
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    y = layer(x).numpy()
    w1, b1 = layer.hidden.get_weights()
    w2, b2 = layer.out.get_weights()
    expected = 1 / (1 + np.exp(-(np.maximum(x @ w1 + b1, 0) @ w2 + b2)))
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    assert len(layer.trainable_weights) == 4
    assert layer.count_params() == 3 * 5 + 5 + 5 * 2 + 2


def test_two_layer_dense_fit_custom_loop_save_reload(tmp_path):
    set_seed(0)
    x = np.random.default_rng(1).normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((3,)), TwoLayerDense(8, 1, hidden_activation="tanh")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before / 2

    opt = keras.optimizers.SGD(0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    assert len(grads) == 4 and all(g is not None for g in grads)
    opt.apply_gradients(zip(grads, model.trainable_weights))

    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert reloaded.layers[0].get_config()["hidden_activation"] == "tanh"


def test_two_layer_dense_keeps_mask_and_time_axis():
    layer = TwoLayerDense(4, 3)
    x = np.ones((2, 5, 6), np.float32)
    assert layer(x).shape == (2, 5, 3)
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    np.testing.assert_array_equal(layer.compute_mask(x, mask), mask)


@pytest.mark.parametrize("kwargs, err, arg", [
    ({"hidden_dim": 0, "output_dim": 2}, ValueError, "hidden_dim"),
    ({"hidden_dim": -3, "output_dim": 2}, ValueError, "hidden_dim"),
    ({"hidden_dim": 3.0, "output_dim": 2}, TypeError, "hidden_dim"),
    ({"hidden_dim": True, "output_dim": 2}, TypeError, "hidden_dim"),
    ({"hidden_dim": None, "output_dim": 2}, TypeError, "hidden_dim"),
    ({"hidden_dim": 3, "output_dim": 2.0}, TypeError, "output_dim"),
    ({"hidden_dim": 3, "output_dim": "2"}, TypeError, "output_dim"),
    ({"hidden_dim": 3, "output_dim": 0}, ValueError, "output_dim"),
    ({"hidden_dim": 3, "output_dim": 2, "hidden_activation": "nope"}, ValueError, "hidden_activation"),
    ({"hidden_dim": 3, "output_dim": 2, "output_activation": "nope"}, ValueError, "output_activation"),
    ({"hidden_dim": 3, "output_dim": 2, "hidden_activation": 3}, TypeError, "hidden_activation"),
])
def test_two_layer_dense_bad_arguments(kwargs, err, arg):
    with pytest.raises(err, match=arg):
        TwoLayerDense(**kwargs)
