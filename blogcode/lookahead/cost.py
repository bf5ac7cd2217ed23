"""What the optimizer wrappers cost per training step, measured side by side, for
the chapter "Two optimizer wrappers: Lookahead and LazyOptimizer" (``book/lookahead.md``)
and ``benchmarks/lazy.py``.

One embedding-bag model (Embedding -> average -> Dense) and one compiled training
step (``tf.function``) per optimizer of ``WRAPPED_OPTIMIZERS``. The steps are timed in
turn, interleaved, ``repeat`` times ``steps`` steps in one process, and the best time
of each is compared with Adam's: interleaving and the best of several repeats are what
make the ratios meaningful on a busy machine. The lazy wrapper copies the embedding
table (and, in the standard mode, Adam's two moment tables) once per step, so its
overhead grows with the table, not with the batch.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks, set_seed
from blogcode.optimizers.lazy import LazyOptimizer
from blogcode.optimizers.lookahead import Lookahead

__all__ = ["WRAPPED_OPTIMIZERS", "training_step", "step_times"]

#: The optimizers timed, by name, as functions of the embedding layer.
WRAPPED_OPTIMIZERS = {
    "Adam": lambda emb: keras.optimizers.Adam(1e-3),
    "LazyOptimizer(Adam), author": lambda emb: LazyOptimizer(keras.optimizers.Adam(1e-3), emb, mode="author"),
    "LazyOptimizer(Adam), standard": lambda emb: LazyOptimizer(keras.optimizers.Adam(1e-3), emb, mode="standard"),
    "Lookahead(Adam)": lambda emb: Lookahead(keras.optimizers.Adam(1e-3)),
    "Lookahead(LazyOptimizer(Adam))": lambda emb: Lookahead(LazyOptimizer(keras.optimizers.Adam(1e-3), emb)),
}


def training_step(name: str, x, y, vocab: int, dim: int):
    """A traced ``tf.function`` that makes one training step of a fresh
    embedding-bag model (``vocab`` × ``dim`` table) on the batch ``(x, y)`` with the
    optimizer ``WRAPPED_OPTIMIZERS[name]`` and returns the loss."""
    name = checks.one_of(name, "name", tuple(WRAPPED_OPTIMIZERS))
    vocab, dim = checks.positive_int(vocab, "vocab"), checks.positive_int(dim, "dim")
    model = keras.Sequential([
        keras.Input((x.shape[1],), dtype="int32"),
        keras.layers.Embedding(vocab, dim, name="embedding"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    optimizer = WRAPPED_OPTIMIZERS[name](model.get_layer("embedding"))
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.BinaryCrossentropy()

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    step()  # trace before timing
    return step


def step_times(vocab: int = 20000, dim: int = 128, batch: int = 32, maxlen: int = 80, steps: int = 50,
               repeat: int = 5) -> dict:
    """Seconds per training step of every optimizer of ``WRAPPED_OPTIMIZERS`` on one
    random batch of ``batch`` × ``maxlen`` token ids (seeded): the best of ``repeat``
    rounds of ``steps`` steps, the optimizers interleaved within each round."""
    vocab, dim = checks.positive_int(vocab, "vocab"), checks.positive_int(dim, "dim")
    batch, maxlen = checks.positive_int(batch, "batch"), checks.positive_int(maxlen, "maxlen")
    steps, repeat = checks.positive_int(steps, "steps"), checks.positive_int(repeat, "repeat")
    set_seed(0)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.integers(0, vocab, size=(batch, maxlen)), dtype=tf.int32)
    y = tf.constant(rng.integers(0, 2, size=(batch, 1)), dtype=tf.float32)
    step_fns = {name: training_step(name, x, y, vocab, dim) for name in WRAPPED_OPTIMIZERS}
    best = {name: float("inf") for name in WRAPPED_OPTIMIZERS}
    for _ in range(repeat):
        for name, step in step_fns.items():
            start = time.perf_counter()
            for _ in range(steps):
                loss = step()
            loss.numpy()   # wait for the last step
            best[name] = min(best[name], (time.perf_counter() - start) / steps)
    return best
