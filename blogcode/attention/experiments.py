"""The chapter's experiments: timing the attention forms, and a task that needs long-range links.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). ``time_forms`` is the quick in-notebook
timing (``benchmarks/attention.py`` is the careful one); ``marker_task`` and
``marker_model`` are the synthetic task on which local attention fails and
sparse attention succeeds, and ``train_marker_model`` trains one model on it;
``marker`` is the recorded full run of that comparison over several seeds
(``blogcode.runs``, ``results/attention/marker.json``).
"""

from __future__ import annotations

import time

import keras
import numpy as np

from blogcode import checks, set_seed
from blogcode.runs import experiment
from blogcode.stats import seed_spread
from blogcode.attention.layers import (AtrousSelfAttention, LocalSelfAttention, MultiHeadSelfAttention,
                                       SparseSelfAttention)

__all__ = ["time_forms", "marker_task", "marker_model", "train_marker_model", "marker"]


def time_forms(forms: dict, lengths, depth: int = 32, batch: int = 1, repeat: int = 3, seed: int = 0) -> dict:
    """Median wall time (seconds) of each ``forms[name](q, k, v, n)`` compiled
    with ``tf.function``, for every length; one warm-up call first, methods
    interleaved. A quick in-notebook measurement; benchmarks/attention.py is
    the careful one."""
    import tensorflow as tf

    forms = checks.instance_of(forms, "forms", dict)
    if not forms or not all(callable(f) for f in forms.values()):
        raise ValueError("forms must map names to callables f(q, k, v, n), at least one")
    lengths = [checks.positive_int(n, "lengths") for n in checks.nonempty(lengths, "lengths")]
    depth, batch = checks.positive_int(depth, "depth"), checks.positive_int(batch, "batch")
    repeat, seed = checks.positive_int(repeat, "repeat"), checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    result = {name: [] for name in forms}
    # One tf.function per form, traced once per length (n is a Python argument):
    # re-creating the functions for every length would make TensorFlow warn.
    calls = {name: tf.function(lambda q, k, v, n, f=f: f(q, k, v, n), autograph=False)
             for name, f in forms.items()}
    for n in lengths:
        q, k, v = (tf.constant(rng.normal(size=(batch, n, depth)).astype("float32")) for _ in range(3))
        times = {name: [] for name in forms}
        # The warm-up call traces each form for this length, by design; silence
        # TensorFlow's "frequent retracing" warning for it.
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")
        try:
            for call in calls.values():
                call(q, k, v, n).numpy()
        finally:
            logger.setLevel(level)
        for _ in range(repeat):
            for name, call in calls.items():
                start = time.perf_counter()
                call(q, k, v, n).numpy()
                times[name].append(time.perf_counter() - start)
        for name in forms:
            result[name].append(float(np.median(times[name])))
    return result


def marker_task(n: int, size: int, classes: int = 4, seed: int = 0):
    """A seeded synthetic task that needs long-range links.

    Each sequence holds random filler tokens and ONE marker token (ids
    ``1..classes``) at a random position; every position must output the
    marker's class. Returns ``(tokens (size, n) int32, labels (size, n))``.
    A position can only answer if information can flow from the marker to it.
    """
    n, size = checks.positive_int(n, "n"), checks.positive_int(size, "size")
    classes = checks.positive_int(classes, "classes")
    seed = checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    fillers = 16
    tokens = rng.integers(classes + 1, classes + 1 + fillers, size=(size, n))
    labels = rng.integers(0, classes, size=size)
    where = rng.integers(0, n, size=size)
    tokens[np.arange(size), where] = labels + 1
    return tokens.astype("int32"), np.repeat(labels[:, None], n, axis=1).astype("int32")


def marker_model(kind: str, n: int, k: int, classes: int = 4, heads: int = 2, head_size: int = 8,
                 depth: int = 2) -> keras.Model:
    """``depth`` residual self-attention layers of one pattern (``"local"``
    with ``neighbors=k`` or ``"sparse"`` with ``rate=k``) between an
    embedding and a per-position classifier."""
    layers = {"local": lambda: LocalSelfAttention(heads, head_size, neighbors=k),
              "sparse": lambda: SparseSelfAttention(heads, head_size, rate=k),
              "atrous": lambda: AtrousSelfAttention(heads, head_size, rate=k),
              "dense": lambda: MultiHeadSelfAttention(heads, head_size)}
    kind = checks.one_of(kind, "kind", tuple(layers))
    n, k, classes = checks.positive_int(n, "n"), checks.positive_int(k, "k"), checks.positive_int(classes, "classes")
    heads, head_size = checks.positive_int(heads, "heads"), checks.positive_int(head_size, "head_size")
    depth = checks.positive_int(depth, "depth")
    width = heads * head_size
    inputs = keras.Input((n,), dtype="int32")
    h = keras.layers.Embedding(classes + 17, width)(inputs)
    for _ in range(depth):
        h = keras.layers.LayerNormalization()(h + layers[kind]()(h))
    outputs = keras.layers.Dense(classes, activation="softmax")(h)
    return keras.Model(inputs, outputs, name=f"{kind}_marker_model")


def train_marker_model(kind: str, train, test, k: int, learning_rate: float, epochs: int = 6,
                       batch_size: int = 50, seed: int = 6853) -> dict:
    """Train ``marker_model(kind, n, k)`` (seeded with ``seed``) with Adam on
    ``train = (tokens, labels)`` from ``marker_task`` and measure its
    per-position accuracy on ``test``. Returns ``{"test_accuracy": float,
    "train_accuracy": [one per epoch]}``."""
    learning_rate = checks.positive_real(learning_rate, "learning_rate")
    epochs, batch_size = checks.positive_int(epochs, "epochs"), checks.positive_int(batch_size, "batch_size")
    seed = checks.integer(seed, "seed", minimum=0)
    (x_train, y_train), (x_test, y_test) = (_marker_split(split, name) for split, name in ((train, "train"),
                                                                                          (test, "test")))
    set_seed(seed)
    model = marker_model(kind, x_train.shape[1], k)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    return {"test_accuracy": float(np.mean(np.argmax(model(x_test), axis=-1) == y_test)),
            "train_accuracy": [float(a) for a in history.history["accuracy"]]}


def _marker_split(split, name: str):
    if not isinstance(split, (tuple, list)) or len(split) != 2:
        raise TypeError(f"{name} must be (tokens, labels) from marker_task, got {type(split).__name__}")
    tokens, labels = (np.asarray(a) for a in split)
    if tokens.ndim != 2 or tokens.shape != labels.shape:
        raise ValueError(f"{name}: tokens and labels must be 2-D arrays of one shape")
    return tokens, labels


@experiment(chapter="attention", name="marker",
            full=dict(seeds=[6853, 1, 2, 3, 4], n=64, k=4, train_size=2000, test_size=400, learning_rate=3e-3,
                      epochs=6, batch_size=50),
            fast=dict(seeds=[6853], n=32, k=4, train_size=400, test_size=400, learning_rate=1e-2,
                      epochs=6, batch_size=50),
            rtol=0.0, atol=0.05, compare=("summary",))
def marker(settings: dict, progress) -> dict:
    """The local model against the sparse one on ``marker_task`` (training data seed
    0, test data seed 1, as in the chapter), once per model seed in ``seeds``.

    Returns each seed's test and per-epoch training accuracies of both models and a
    summary: mean, std, min and max over the seeds of each model's test accuracy
    and of the sparse model's lead over the local one.
    """
    train = marker_task(settings["n"], settings["train_size"], seed=0)
    test = marker_task(settings["n"], settings["test_size"], seed=1)
    per_seed = []
    for seed in progress(settings["seeds"], desc="seeds"):
        row = {"seed": seed}
        for kind in ("local", "sparse"):
            row[kind] = train_marker_model(kind, train, test, settings["k"], settings["learning_rate"],
                                           epochs=settings["epochs"], batch_size=settings["batch_size"], seed=seed)
        per_seed.append(row)
    summary = {kind: seed_spread([r[kind]["test_accuracy"] for r in per_seed]) for kind in ("local", "sparse")}
    summary["sparse lead"] = seed_spread([r["sparse"]["test_accuracy"] - r["local"]["test_accuracy"] for r in per_seed])
    return {"per_seed": per_seed, "summary": summary}
