"""Unit tests of blogcode.dgcnn.model (chapter: DGCNN): the receptive field, the model's
outputs and padding invariance, fitting, saving and reloading."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.dgcnn.layers import DilatedGatedConv1D
from blogcode.dgcnn.model import build_dgcnn, input_influence, receptive_field_width, uses_features
from blogcode.dgcnn.training import WeightEMA, focal_loss
from tests.dgcnn.toys import NAN, small_batch


def test_receptive_field_formula_and_gradients_agree():
    assert receptive_field_width([1, 2, 4, 8, 16, 1]) == 65
    assert receptive_field_width([1, 2, 1]) == 9
    assert receptive_field_width([1, 1, 1], kernel_size=5) == 13
    set_seed(0)
    rates = [1, 2, 4]
    stack = keras.Sequential([keras.Input((None, 4))] + [DilatedGatedConv1D(4, r) for r in rates])
    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    influence = input_influence(stack, x, position=20)
    moved = np.flatnonzero(influence > 0)
    assert len(moved) == receptive_field_width(rates) and moved.min() == 20 - 7 and moved.max() == 20 + 7
    with pytest.raises(ValueError, match="rates"):
        receptive_field_width([])
    with pytest.raises(ValueError, match="position"):
        input_influence(stack, x, position=40)


def test_model_outputs_and_padding_invariance():
    set_seed(1)
    model = build_dgcnn(30, word_dim=5, hidden=8, question_rates=(1, 2), passage_rates=(1, 2, 4))
    inputs, _ = small_batch(np.random.default_rng(0))
    probs = model(inputs).numpy()
    assert probs.shape == (6, 20, 2)
    assert (probs >= 0).all() and (probs <= 1).all()
    assert (probs[inputs[2] == 0] == 0).all()
    # more padding on both sides changes nothing at real positions
    qc, qw, pc, pw = inputs
    wider = [np.pad(qc, ((0, 0), (0, 5))), np.pad(qw, ((0, 0), (0, 5), (0, 0))),
             np.pad(pc, ((0, 0), (0, 9))), np.pad(pw, ((0, 0), (0, 9), (0, 0)))]
    np.testing.assert_allclose(model(wider).numpy()[:, :20], probs, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="passage_rates"):
        build_dgcnn(30, passage_rates=())
    with pytest.raises(ValueError, match="dropout"):
        build_dgcnn(30, dropout=1.0)


def test_model_fit_tape_save_and_reload(tmp_path):
    set_seed(2)
    inputs, y = small_batch(np.random.default_rng(1), n=16)
    model = build_dgcnn(30, word_dim=5, hidden=8, question_rates=(1,), passage_rates=(1, 2))
    model.compile(keras.optimizers.Adam(0.01), loss=focal_loss(), jit_compile=False)
    ema = WeightEMA(0.9)
    history = model.fit(inputs, y, epochs=8, batch_size=8, verbose=0, callbacks=[ema])
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert ema.updates == 16

    path = tmp_path / "dgcnn.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=1e-5)
    assert reloaded.loss.gamma == 2.0

    loss_fn = focal_loss()
    opt = keras.optimizers.Adam(0.01)
    before = float(loss_fn(y, model(inputs)))
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(inputs, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        assert all(g is not None for g in grads)
        opt.apply_gradients(zip(grads, model.trainable_weights))
    assert float(loss_fn(y, model(inputs))) < before


def test_the_2018_options_features_and_position_embedding_fit_save_and_reload(tmp_path):
    set_seed(3)
    rng = np.random.default_rng(2)
    inputs, y = small_batch(rng, n=16)
    features = (rng.random(size=inputs[2].shape + (8,)) * (inputs[2] > 0)[..., None]).astype("float32")
    model = build_dgcnn(30, word_dim=5, hidden=8, question_rates=(1,), passage_rates=(1, 2), features=8,
                        position_dim=4, max_length=20, gate_dropout=0.0, gate_noise=0.1)
    assert uses_features(model) and not uses_features(build_dgcnn(30, word_dim=5, hidden=8))
    assert {"position_embedding", "with_features", "question_in"} <= {layer.name for layer in model.layers}
    model.compile(keras.optimizers.Adam(0.01), loss=focal_loss(), jit_compile=False)
    history = model.fit(inputs + [features], y, epochs=6, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probs = model.predict(inputs + [features], verbose=0)
    assert (probs[inputs[2] == 0] == 0).all()
    changed = features.copy()
    changed[..., 0] = 1 - changed[..., 0]
    assert not np.allclose(model.predict(inputs + [changed], verbose=0), probs)     # the features are read
    path = tmp_path / "dgcnn_2018.keras"
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(inputs + [features], verbose=0), probs, rtol=1e-5)
    with tf.GradientTape() as tape:
        loss = focal_loss()(y, model(inputs + [features], training=True))
    assert all(g is not None for g in tape.gradient(loss, model.trainable_weights))


BAD_CALLS = [
    # (call, exception, argument named in the message)
    (lambda: build_dgcnn(30.0), TypeError, "vocab_size"),
    (lambda: build_dgcnn(30, hidden=0), ValueError, "hidden"),
    (lambda: build_dgcnn(30, question_rates=(1, 2.0)), TypeError, "question_rates"),
    (lambda: build_dgcnn(30, passage_rates=None), TypeError, "passage_rates"),
    (lambda: build_dgcnn(30, passage_rates=3), TypeError, "passage_rates"),
    (lambda: build_dgcnn(30, dropout=NAN), ValueError, "dropout"),
    (lambda: build_dgcnn(30, gate_noise=-0.1), ValueError, "gate_noise"),
    (lambda: build_dgcnn(30, kernel_size=3.0), TypeError, "kernel_size"),
    (lambda: build_dgcnn(30, name=None), TypeError, "name"),
    (lambda: build_dgcnn(30, gate_dropout=1.0), ValueError, "gate_dropout"),
    (lambda: build_dgcnn(30, features=-1), ValueError, "features"),
    (lambda: build_dgcnn(30, position_dim=2.0), TypeError, "position_dim"),
    (lambda: build_dgcnn(30, max_length=0), ValueError, "max_length"),
    (lambda: uses_features("model"), TypeError, "model"),
    (lambda: receptive_field_width([1, 2], kernel_size=True), TypeError, "kernel_size"),
    (lambda: receptive_field_width([1, 0]), ValueError, "rates"),
    (lambda: input_influence(None, np.zeros((4, 2)), 1), TypeError, "layer_stack"),
    (lambda: input_influence(lambda x: x, np.zeros((4, 2)), 1.0), TypeError, "position"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()
