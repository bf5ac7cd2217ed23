"""Unit tests of blogcode.lookahead.sentiment (chapter: Lookahead and LazyOptimizer): bad input, and
the classifier saves, reloads and trains in ``fit`` and in a custom loop."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.lookahead.sentiment import rotten_tomatoes_split, sentiment_lstm

NAN = float("nan")
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
