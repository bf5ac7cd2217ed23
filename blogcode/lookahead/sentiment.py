"""Word-level sentiment data and the article's LSTM classifier.

Used by the chapter "Lookahead and LazyOptimizer" (book/lookahead.md): the
LazyOptimizer experiment of article 6869 trained Embedding -> LSTM -> sigmoid on
IMDB; we use the Rotten Tomatoes critic snippets from :mod:`blogcode.data`, which
install offline.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from blogcode import checks
from blogcode.checks import positive_int
from blogcode.data import load_rotten_tomatoes

__all__ = ["SentimentSplit", "rotten_tomatoes_split", "sentiment_lstm"]


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
