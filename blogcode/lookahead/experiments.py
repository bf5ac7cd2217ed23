"""The experiments of the chapter "Two optimizer wrappers: Lookahead and
LazyOptimizer" (``book/lookahead.md``).

* ``valley_trajectory``: the Keras wrapper's fast and slow weights on the valley
  ``(x² + 25 y²) / 2`` (checked against the NumPy path of
  ``blogcode.lookahead.valley``);
* ``word_trajectories``: how far each row of a toy embedding table moves, step by
  step, when a word leaves the batch (momentum against LazyOptimizer);
* the MNIST experiment: a small network (``digit_model``) trained with Adam,
  Lookahead or Keras' EMA (``train_digits``);
* the text experiment: the LazyOptimizer experiment of article 6869 trained
  Embedding -> LSTM -> sigmoid on IMDB; we use the Rotten Tomatoes critic snippets
  from :mod:`blogcode.data`, which install offline (``rotten_tomatoes_split``,
  ``sentiment_lstm``), and train them with five optimizers (``text_optimizers``,
  ``train_text``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks, set_seed
from blogcode.checks import positive_int
from blogcode.data import load_rotten_tomatoes
from blogcode.lookahead.valley import START
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead, SlowWeightsEvaluation

__all__ = ["valley_trajectory", "word_trajectories", "digit_model", "train_digits", "SentimentSplit",
           "rotten_tomatoes_split", "sentiment_lstm", "embedding_decay_adamw", "text_optimizers", "train_text"]


def valley_trajectory(optimizer, start=START, steps: int = 40):
    """Train the two weights ``w = (x, y)`` on ``(x² + 25 y²) / 2`` with ``optimizer``
    for ``steps`` steps (compiled with ``tf.function``). Returns the fast weights
    after every step (the start first) and, for a ``Lookahead``, the slow weights at
    the start and after every synchronisation (only the start otherwise)."""
    checks.instance_of(optimizer, "optimizer", keras.optimizers.Optimizer, "a keras.optimizers.Optimizer")
    steps = positive_int(steps, "steps")
    w = keras.Variable(np.array(start, "float32"))
    if w.shape != (2,):
        raise ValueError(f"start must be two numbers (x, y), got shape {tuple(w.shape)}")
    optimizer.build([w])
    fast, slow = [w.numpy()], [w.numpy()]

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = 0.5 * (w[0] ** 2 + 25.0 * w[1] ** 2)
        optimizer.apply([tape.gradient(loss, w)], [w])

    for _ in range(steps):
        step()
        fast.append(w.numpy())
        if isinstance(optimizer, Lookahead) and int(optimizer.iterations.numpy()) % optimizer.k == 0:
            slow.append(optimizer.slow_weights[0].numpy())
    return np.array(fast), np.array(slow)


def word_trajectories(make_optimizer: Callable, steps: int = 8) -> np.ndarray:
    """Distance of every row of a 6-word table from its start, after each step
    (shape (steps, 6)). Step 0 looks up words 0 and 1, every later step words 1
    and 2; ``make_optimizer(table)`` builds the optimizer for the table."""
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be a function of the table, got {type(make_optimizer).__name__}")
    steps = positive_int(steps, "steps")
    table = keras.Variable(np.random.default_rng(0).normal(size=(6, 2)).astype("float32"), name="toy_table")
    optimizer = make_optimizer(table)
    optimizer.build([table])
    start = table.numpy()
    distance = []
    for step in range(steps):
        words = tf.constant([0, 1] if step == 0 else [1, 2])
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(table, words) ** 2)   # any loss of the looked-up rows
        grad = tape.gradient(loss, table)
        assert isinstance(grad, tf.IndexedSlices)                 # the lookup's gradient is sparse
        optimizer.apply([grad], [table])
        distance.append(np.linalg.norm(table.numpy() - start, axis=1))
    return np.array(distance)


def digit_model() -> keras.Model:
    """784 -> 128 ReLU -> 10 logits: the MNIST network of the Lookahead experiment."""
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])


def train_digits(optimizer, callbacks: Sequence = (), *, train, validation, epochs: int, seed: int = 2) -> dict:
    """Train ``digit_model`` (initial weights from ``seed``) on ``train = (x, y)`` at
    batch 32, validating on ``validation`` after every epoch; returns Keras' history."""
    checks.instance_of(optimizer, "optimizer", keras.optimizers.Optimizer, "a keras.optimizers.Optimizer")
    (x, y), validation = checks.samples_pair(train, "train"), checks.samples_pair(validation, "validation")
    epochs, seed = positive_int(epochs, "epochs"), checks.integer(seed, "seed", minimum=0)
    set_seed(seed)
    model = digit_model()
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, validation_data=tuple(validation), batch_size=32, epochs=epochs, verbose=0,
                        callbacks=list(callbacks))
    return history.history


@dataclass(frozen=True)
class SentimentSplit:
    """Token ids (0 = padding, 1 = out of vocabulary) and labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    vocabulary: list[str]


def rotten_tomatoes_split(
    max_tokens: int = 20000, maxlen: int = 80, val_fraction: float = 0.2, n_train: int | None = None, seed: int = 0
) -> SentimentSplit:
    """Shuffle the 12,752 snippets with ``seed``, hold out ``val_fraction`` for
    validation, build a word vocabulary of ``max_tokens`` entries on the training
    part only (Keras' ``TextVectorization``: lower case, punctuation stripped) and
    pad or cut every snippet to ``maxlen`` ids. ``n_train`` keeps only the first
    training snippets (fast mode)."""
    max_tokens = positive_int(max_tokens, "max_tokens")
    maxlen = positive_int(maxlen, "maxlen")
    val_fraction = checks.probability(val_fraction, "val_fraction", exclusive=True)
    if n_train is not None:
        n_train = positive_int(n_train, "n_train")
    seed = checks.integer(seed, "seed", minimum=0)
    texts, labels = load_rotten_tomatoes()
    order = np.random.default_rng(seed).permutation(len(texts))
    n_val = int(round(val_fraction * len(texts)))
    val_idx, train_idx = order[:n_val], order[n_val:]
    if n_train is not None:
        train_idx = train_idx[:n_train]
    vectorize = keras.layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=maxlen)
    vectorize.adapt([texts[i] for i in train_idx], batch_size=1024)

    def ids(indices):
        return np.asarray(vectorize([texts[i] for i in indices]), dtype=np.int32)

    return SentimentSplit(
        ids(train_idx), labels[train_idx].astype("float32"), ids(val_idx), labels[val_idx].astype("float32"),
        vectorize.get_vocabulary(),
    )


def sentiment_lstm(
    vocab_size: int, maxlen: int, embedding_dim: int = 128, units: int = 128, dropout: float = 0.2, encoder: str = "lstm"
):
    """The article's classifier: Embedding -> LSTM (dropout and recurrent dropout)
    -> sigmoid. Padding (id 0) is masked, because our snippets are padded at the end.

    ``encoder="average"`` replaces the LSTM by a masked average of the word vectors
    and a ``units``-wide tanh layer: the same embedding table at a fraction of the
    cost, which is what the CI (fast) run of the chapter trains."""
    encoder = checks.one_of(encoder, "encoder", ("lstm", "average"))
    vocab_size = positive_int(vocab_size, "vocab_size")
    maxlen = positive_int(maxlen, "maxlen")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")
    units = positive_int(units, "units")
    dropout = checks.real(dropout, "dropout", minimum=0.0, maximum=1.0, exclusive_maximum=True)
    return keras.Sequential(
        [
            keras.Input((maxlen,), dtype="int32"),
            keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding"),
            *(
                [keras.layers.LSTM(units, dropout=dropout, recurrent_dropout=dropout, name="lstm")]
                if encoder == "lstm"
                else [keras.layers.GlobalAveragePooling1D(name="average"), keras.layers.Dense(units, activation="tanh", name="hidden")]
            ),
            keras.layers.Dense(1, activation="sigmoid", name="output"),
        ],
        name="sentiment_lstm",
    )


def embedding_decay_adamw(model: keras.Model, learning_rate: float, weight_decay: float = 1e-2):
    """AdamW whose decoupled weight decay touches the embedding table only (the
    layer named ``"embedding"``)."""
    learning_rate = checks.positive_real(learning_rate, "learning_rate")
    weight_decay = checks.real(weight_decay, "weight_decay", minimum=0.0)
    table = model.get_layer("embedding").embeddings
    adamw = keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    adamw.exclude_from_weight_decay(var_list=[v for v in model.trainable_variables if v is not table])
    return adamw


def text_optimizers(learning_rate: float) -> dict:
    """The text experiment's five optimizers, by name; each is a function of the
    model (LazyOptimizer needs its embedding layer)."""
    lr = checks.positive_real(learning_rate, "learning_rate")
    return {
        "Adam": lambda m: keras.optimizers.Adam(lr),
        "lazy Adam (author)": lambda m: LazyOptimizer(keras.optimizers.Adam(lr), m.get_layer("embedding"), mode="author"),
        "lazy Adam (standard)": lambda m: LazyOptimizer(keras.optimizers.Adam(lr), m.get_layer("embedding"),
                                                        mode="standard"),
        "Lookahead(lazy Adam)": lambda m: Lookahead(LazyOptimizer(keras.optimizers.Adam(lr), m.get_layer("embedding"))),
        "lazy AdamW, decay on the embedding only": lambda m: LazyOptimizer(embedding_decay_adamw(m, lr),
                                                                           m.get_layer("embedding")),
    }


def train_text(split: SentimentSplit, make_optimizer, *, maxlen: int, embedding_dim: int, units: int, encoder: str,
               epochs: int, slow_weights: bool = False, seed: int = 11, verbose=0):
    """Train ``sentiment_lstm`` (initial weights from ``seed``, the same for every
    optimizer) with ``make_optimizer(model)`` at batch 32, validating after every
    epoch (on Lookahead's slow weights if ``slow_weights``). Returns the model,
    Keras' history and the seconds ``fit`` took."""
    checks.instance_of(split, "split", SentimentSplit)
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be a function of the model, got {type(make_optimizer).__name__}")
    epochs, seed = positive_int(epochs, "epochs"), checks.integer(seed, "seed", minimum=0)
    slow_weights = checks.boolean(slow_weights, "slow_weights")
    set_seed(seed)
    model = sentiment_lstm(len(split.vocabulary), maxlen, embedding_dim, units, encoder=encoder)
    model.compile(make_optimizer(model), "binary_crossentropy", metrics=["accuracy"])
    start = time.time()
    history = model.fit(split.x_train, split.y_train, validation_data=(split.x_val, split.y_val), batch_size=32,
                        epochs=epochs, verbose=verbose, callbacks=[SlowWeightsEvaluation()] if slow_weights else [])
    return model, history.history, time.time() - start
