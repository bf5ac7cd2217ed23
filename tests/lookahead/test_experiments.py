"""Unit tests of blogcode.lookahead.experiments (chapter: Lookahead and LazyOptimizer): the valley
trajectory and the drifting toy table, bad input, and the text classifier saves, reloads and trains in
``fit`` and in a custom loop."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.lookahead.experiments import (SentimentSplit, digit_model, embedding_decay_adamw, rotten_tomatoes_split,
                                            sentiment_lstm, text_optimizers, train_digits, train_text,
                                            valley_trajectory, word_trajectories)
from blogcode.lookahead.valley import lookahead_path
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead

NAN = float("nan")
DIGITS = (np.zeros((4, 784), "float32"), np.zeros(4, "int64"))


def tiny_split(n=32, vocab=30, maxlen=6):
    rng = np.random.default_rng(0)
    x = rng.integers(1, vocab, (n, maxlen)).astype("int32")
    y = (x[:, 0] > vocab // 2).astype("float32")
    return SentimentSplit(x[: n // 2], y[: n // 2], x[n // 2:], y[n // 2:], [""] * vocab)


BAD_CALLS = [
    # (call, exception, argument named in the message); all fail before any data is read
    (lambda: rotten_tomatoes_split(max_tokens=100.0), TypeError, "max_tokens"),
    (lambda: rotten_tomatoes_split(max_tokens=0), ValueError, "max_tokens"),
    (lambda: rotten_tomatoes_split(maxlen=True), TypeError, "maxlen"),
    (lambda: rotten_tomatoes_split(val_fraction=0.0), ValueError, "val_fraction"),
    (lambda: rotten_tomatoes_split(val_fraction=NAN), ValueError, "val_fraction"),
    (lambda: rotten_tomatoes_split(val_fraction="0.2"), TypeError, "val_fraction"),
    (lambda: rotten_tomatoes_split(n_train=10.0), TypeError, "n_train"),
    (lambda: rotten_tomatoes_split(seed=0.5), TypeError, "seed"),
    (lambda: sentiment_lstm(100.0, 10), TypeError, "vocab_size"),
    (lambda: sentiment_lstm(100, 0), ValueError, "maxlen"),
    (lambda: sentiment_lstm(100, 10, embedding_dim=False), TypeError, "embedding_dim"),
    (lambda: sentiment_lstm(100, 10, units=8.0), TypeError, "units"),
    (lambda: sentiment_lstm(100, 10, dropout=1.0), ValueError, "dropout"),
    (lambda: sentiment_lstm(100, 10, dropout=NAN), ValueError, "dropout"),
    (lambda: sentiment_lstm(100, 10, dropout=None), TypeError, "dropout"),
    (lambda: sentiment_lstm(100, 10, encoder="gru"), ValueError, "encoder"),
    (lambda: sentiment_lstm(100, 10, encoder=None), TypeError, "encoder"),
    (lambda: valley_trajectory("sgd"), TypeError, "optimizer"),
    (lambda: valley_trajectory(keras.optimizers.SGD(), steps=0), ValueError, "steps"),
    (lambda: valley_trajectory(keras.optimizers.SGD(), start=(1.0, 2.0, 3.0)), ValueError, "start"),
    (lambda: word_trajectories(None), TypeError, "make_optimizer"),
    (lambda: word_trajectories(lambda table: keras.optimizers.SGD(), steps=2.0), TypeError, "steps"),
    (lambda: train_digits("adam", train=DIGITS, validation=DIGITS, epochs=1), TypeError, "optimizer"),
    (lambda: train_digits(keras.optimizers.Adam(), train=DIGITS[0], validation=DIGITS, epochs=1), TypeError, "train"),
    (lambda: train_digits(keras.optimizers.Adam(), train=DIGITS, validation=(DIGITS[0], DIGITS[1][:2]), epochs=1),
     ValueError, "validation"),
    (lambda: train_digits(keras.optimizers.Adam(), train=DIGITS, validation=DIGITS, epochs=0), ValueError, "epochs"),
    (lambda: text_optimizers(0.0), ValueError, "learning_rate"),
    (lambda: embedding_decay_adamw(sentiment_lstm(30, 6, 4, 4, encoder="average"), 1e-3, weight_decay=-1.0),
     ValueError, "weight_decay"),
    (lambda: train_text("split", lambda m: keras.optimizers.Adam(), maxlen=6, embedding_dim=4, units=4,
                        encoder="average", epochs=1), TypeError, "split"),
    (lambda: train_text(tiny_split(), "adam", maxlen=6, embedding_dim=4, units=4, encoder="average", epochs=1),
     TypeError, "make_optimizer"),
    (lambda: train_text(tiny_split(), lambda m: keras.optimizers.Adam(), maxlen=6, embedding_dim=4, units=4,
                        encoder="average", epochs=1, slow_weights=1), TypeError, "slow_weights"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_public_functions_reject_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


@pytest.mark.parametrize("encoder", ["average", "lstm"])
def test_classifier_saves_reloads_and_trains(tmp_path, encoder):
    set_seed(0)
    x = np.random.default_rng(0).integers(0, 30, (16, 6)).astype("int32")
    y = (x[:, 0] > 15).astype("float32")
    model = sentiment_lstm(30, 6, embedding_dim=4, units=4, encoder=encoder)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    optimizer = keras.optimizers.Adam(1e-2)
    with tf.GradientTape() as tape:
        loss = keras.losses.binary_crossentropy(y[:, None], model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in grads)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    path = tmp_path / "sentiment.keras"
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path)(x), model(x), atol=1e-6)


def test_valley_trajectory_is_the_numpy_path():
    plain, plain_slow = valley_trajectory(keras.optimizers.SGD(0.03, momentum=0.9), steps=20)
    assert plain.shape == (21, 2) and plain_slow.shape == (1, 2)   # no Lookahead: the start only
    fast, slow = valley_trajectory(Lookahead(keras.optimizers.SGD(0.03, momentum=0.9), k=5, alpha=0.5), steps=20)
    numpy_fast, numpy_slow = lookahead_path(5, 0.5, steps=20)
    np.testing.assert_allclose(fast, numpy_fast, atol=1e-4)
    np.testing.assert_allclose(slow, numpy_slow, atol=1e-4)
    np.testing.assert_allclose(plain, lookahead_path(1, 1.0, steps=20)[0], atol=1e-4)
    for i in range(1, len(slow)):
        np.testing.assert_array_equal(fast[5 * i], slow[i])


def test_word_trajectories_momentum_drift_and_lazy_freeze():
    plain = word_trajectories(lambda table: keras.optimizers.SGD(0.1, momentum=0.9))
    lazy = word_trajectories(lambda table: LazyOptimizer(keras.optimizers.SGD(0.1, momentum=0.9), [table]))
    assert plain.shape == lazy.shape == (8, 6)
    assert np.all(np.diff(plain[:, 0]) > 0)          # word 0 keeps moving after its one appearance
    assert np.all(lazy[1:, 0] == lazy[0, 0])         # ... unless the optimizer is lazy
    assert np.all(plain[:, 5] == 0) and np.all(lazy[:, 5] == 0)
    np.testing.assert_allclose(plain[:, 1], lazy[:, 1], rtol=1e-6)   # word 1 is in every batch


def test_train_digits_is_seeded_and_validates():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 784)).astype("float32"), rng.integers(0, 10, 64)
    assert digit_model().count_params() == 784 * 128 + 128 + 128 * 10 + 10
    runs = [train_digits(keras.optimizers.Adam(3e-3), train=(x[:48], y[:48]), validation=(x[48:], y[48:]), epochs=2)
            for _ in range(2)]
    assert set(runs[0]) >= {"loss", "val_loss", "accuracy", "val_accuracy"} and len(runs[0]["loss"]) == 2
    np.testing.assert_allclose(runs[0]["loss"], runs[1]["loss"], rtol=1e-6)   # the same seed, the same run


def test_text_optimizers_and_embedding_decay():
    model = sentiment_lstm(30, 6, 4, 4, encoder="average")
    optimizers = {name: make(model) for name, make in text_optimizers(3e-3).items()}
    assert list(optimizers) == ["Adam", "lazy Adam (author)", "lazy Adam (standard)", "Lookahead(lazy Adam)",
                                "lazy AdamW, decay on the embedding only"]
    assert isinstance(optimizers["lazy Adam (standard)"], LazyOptimizer) and optimizers["lazy Adam (standard)"].mode == "standard"
    assert isinstance(optimizers["Lookahead(lazy Adam)"].inner_optimizer, LazyOptimizer)
    adamw = embedding_decay_adamw(model, 1e-3)
    table = model.get_layer("embedding").embeddings
    assert adamw._use_weight_decay(table)
    assert not any(adamw._use_weight_decay(v) for v in model.trainable_variables if v is not table)


@pytest.mark.parametrize("name", ["Adam", "Lookahead(lazy Adam)"])
def test_train_text_runs_one_optimizer(name):
    split = tiny_split()
    model, history, seconds = train_text(split, text_optimizers(1e-2)[name], maxlen=6, embedding_dim=4, units=4,
                                         encoder="average", epochs=2, slow_weights=name.startswith("Lookahead"))
    assert len(history["val_accuracy"]) == 2 and seconds > 0
    assert model.get_layer("embedding").input_dim == 30
