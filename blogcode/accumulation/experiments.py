"""The experiments of the chapter "Gradient accumulation" (``book/accumulation.md``).

* the article's MNIST experiment: the article's MLP (``article_mlp``), trained with
  ``model.fit`` at a given batch size and optimizer (``train_setting``), with its
  loss curve (``WindowedLoss``) and validation accuracy (``EpochAccuracy``);
* ``embedding_after_adam``: Adam on an embedding table from whole batches or from
  accumulated micro-batches (where a repeated word makes the two differ);
* the recorded full runs (``blogcode.runs``): ``mnist``, the article's experiment
  over several seeds, and ``batchnorm``, the five BN runs of ``batchnorm_comparison``
  over several seeds. The chapter loads them from ``results/accumulation/``.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.optimizers.accumulation import GradientAccumulation
from blogcode.runs import experiment
from blogcode.stats import seed_spread

__all__ = ["article_mlp", "WindowedLoss", "EpochAccuracy", "train_setting", "embedding_after_adam",
           "MNIST_SETTINGS", "BN_COLUMNS", "mnist", "batchnorm"]


def article_mlp(seed: int, input_dim: int = 784, hidden: int = 512, dropout: float = 0.2,
                classes: int = 10) -> keras.Model:
    """The article's MNIST model: two ReLU layers of 512 with dropout 0.2, softmax output."""
    seed = checks.integer(seed, "seed", minimum=0)
    input_dim, hidden = checks.positive_int(input_dim, "input_dim"), checks.positive_int(hidden, "hidden")
    classes = checks.integer(classes, "classes", minimum=2)
    dropout = checks.real(dropout, "dropout", minimum=0.0, maximum=1.0, exclusive_maximum=True)
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((input_dim,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(classes, activation="softmax"),
    ], name="article_mlp")


class WindowedLoss(keras.callbacks.Callback):
    """Mean training loss over consecutive windows of about ``every`` samples.

    Keras reports the running mean of the epoch at each batch end; differences of
    running sums give each window's mean, so a curve at batch 1 and one at batch
    100 are measured on the same x-axis (samples seen).
    """

    def __init__(self, batch_size: int, every: int):
        super().__init__()
        batch_size, every = checks.positive_int(batch_size, "batch_size"), checks.positive_int(every, "every")
        if every < batch_size:
            raise ValueError(f"every ({every}) must be at least batch_size ({batch_size})")
        self.batch_size, self.every = batch_size, every
        self.samples, self.losses = [], []
        self._seen = 0
        self._window_steps, self._window_sum = 0, 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_steps, self._epoch_sum = 0, 0.0

    def on_train_batch_end(self, batch, logs=None):
        steps = batch + 1                                  # steps done in this epoch
        total = float(logs["loss"]) * steps                # running mean -> running sum
        self._window_sum += total - self._epoch_sum
        self._window_steps += steps - self._epoch_steps
        self._seen += (steps - self._epoch_steps) * self.batch_size
        self._epoch_steps, self._epoch_sum = steps, total
        if self._window_steps * self.batch_size >= self.every:
            self.samples.append(self._seen)
            self.losses.append(self._window_sum / self._window_steps)
            self._window_steps, self._window_sum = 0, 0.0


class EpochAccuracy(keras.callbacks.Callback):
    """Accuracy on held-out data after each epoch, computed with one eager forward
    pass (cheaper than compiling Keras' evaluation function for a small set)."""

    def __init__(self, x, y):
        super().__init__()
        y = np.asarray(y)
        if len(x) != len(y) or len(y) == 0:
            raise ValueError(f"x and y must hold the same, non-zero number of samples, got {len(x)} and {len(y)}")
        self.x, self.y, self.accuracy = x, y, []

    def on_epoch_end(self, epoch, logs=None):
        probs = self.model(self.x, training=False)
        self.accuracy.append(float(np.mean(np.argmax(probs, axis=-1) == self.y)))
        print(f"  epoch {epoch + 1}: validation accuracy {self.accuracy[-1]:.4f}")


def train_setting(optimizer, batch_size: int, train, validation, epochs: int, seed: int,
                  log_every: int = 500, verbose: int = 2) -> dict:
    """Train ``article_mlp`` with ``model.fit`` and return its loss curve and
    per-epoch validation accuracy.

    Small batches run several steps per call of the compiled function
    (``steps_per_execution``); at batch 1 the per-step overhead would dominate.
    """
    if not isinstance(optimizer, (str, keras.optimizers.Optimizer)):
        raise TypeError(f"optimizer must be a keras.optimizers.Optimizer or its name, got {type(optimizer).__name__}")
    batch_size, epochs = checks.positive_int(batch_size, "batch_size"), checks.positive_int(epochs, "epochs")
    log_every = checks.positive_int(log_every, "log_every")
    verbose = checks.one_of(verbose, "verbose", (0, 1, 2, "auto"))
    (x, y), (x_val, y_val) = checks.samples_pair(train, "train"), checks.samples_pair(validation, "validation")
    model = article_mlp(seed, input_dim=x.shape[1])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  steps_per_execution=max(1, log_every // batch_size))
    windows, accuracy = WindowedLoss(batch_size, log_every), EpochAccuracy(x_val, y_val)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[windows, accuracy],
                        verbose=verbose)
    return {"samples": np.array(windows.samples), "loss": np.array(windows.losses),
            "epoch loss": history.history["loss"], "val accuracy": accuracy.accuracy, "model": model}


def embedding_after_adam(batches, micro_batches: int):
    """Adam(0.1) updates of an 8-row table (all ones), one per batch of word ids:
    from the whole batch (``micro_batches=1``) or from ``micro_batches`` equal
    micro-batches accumulated with ``GradientAccumulation``. The loss is the mean
    of the looked-up rows times ``[1, -2]``.

    Returns the table, the rows each update moved, and the last (sparse) gradient.
    """
    micro_batches = checks.positive_int(micro_batches, "micro_batches")
    batches = [np.asarray(b) for b in checks.nonempty(batches, "batches")]
    for i, batch in enumerate(batches):
        if batch.ndim != 1 or len(batch) % micro_batches or not np.all((0 <= batch) & (batch < 8)):
            raise ValueError(f"batches[{i}] must be word ids in [0, 8), a multiple of micro_batches long")
    table = keras.Variable(np.ones((8, 2), "float32"))
    opt = keras.optimizers.Adam(0.1)
    if micro_batches > 1:
        opt = GradientAccumulation(opt, micro_batches)
    moved = []
    for batch in batches:
        before = table.numpy()
        for words in np.split(batch, micro_batches):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.gather(table, words) * [1.0, -2.0])
            grads = tape.gradient(loss, [table])
            opt.apply(grads, [table])
        moved.append(np.flatnonzero(np.any(table.numpy() != before, axis=1)).tolist())
    return table.numpy(), moved, grads[0]


# ----------------------------------------------------------- recorded full runs
#: The article's three settings: (batch size, accumulation steps) with Adam.
MNIST_SETTINGS = {"batch 1": (1, 1), "batch 1 × 100 accumulated": (1, 100), "batch 100": (100, 1)}


@experiment(chapter="accumulation", name="mnist",
            full=dict(seeds=[6794, 1, 2], n_train=4000, epochs=20, log_every=2000),
            fast=dict(seeds=[6794], n_train=600, epochs=2, log_every=100),
            rtol=0.0, atol=0.03, compare=("summary",))
def mnist(settings: dict, progress) -> dict:
    """The article's experiment (``MNIST_SETTINGS``) on the first ``n_train`` of
    ``load_mnist_5k(seed=0)``, validated on its last 1,000 digits, once per seed.

    Returns, per setting, each seed's loss curve, epoch losses, validation
    accuracies and wall time, and a summary over the seeds (mean, std, min, max of
    the last and lowest epoch loss and of the last and best validation accuracy).
    ``compare`` holds only the summary, within 0.03: training on another machine
    differs in its rounding, not in what it shows.
    """
    from blogcode.data import load_mnist_5k

    images, labels = load_mnist_5k(seed=0)
    train = images[:settings["n_train"]], labels[:settings["n_train"]]
    validation = images[4000:], labels[4000:]
    runs = {name: [] for name in MNIST_SETTINGS}
    for seed in progress(settings["seeds"], desc="seeds"):
        for name, (batch_size, steps) in MNIST_SETTINGS.items():
            optimizer = keras.optimizers.Adam()
            if steps > 1:
                optimizer = GradientAccumulation(optimizer, steps)
            start = time.perf_counter()
            r = train_setting(optimizer, batch_size, train, validation, epochs=settings["epochs"], seed=seed,
                              log_every=settings["log_every"], verbose=0)
            runs[name].append({"seed": seed, "samples": r["samples"].tolist(), "loss": r["loss"].tolist(),
                               "epoch loss": [float(v) for v in r["epoch loss"]],
                               "val accuracy": r["val accuracy"], "seconds": time.perf_counter() - start})
    summary = {name: {
        "last epoch loss": seed_spread([r["epoch loss"][-1] for r in rs]),
        "lowest epoch loss": seed_spread([min(r["epoch loss"]) for r in rs]),
        "last val accuracy": seed_spread([r["val accuracy"][-1] for r in rs]),
        "best val accuracy": seed_spread([max(r["val accuracy"]) for r in rs]),
    } for name, rs in runs.items()}
    return {"runs": runs, "summary": summary}


#: The numeric columns of ``batchnorm_comparison``'s rows.
BN_COLUMNS = ("weights vs large batch", "weights vs accumulated", "moving mean", "moving variance",
              "validation probabilities", "validation accuracy")


@experiment(chapter="accumulation", name="batchnorm",
            full=dict(seeds=[6794, 1, 2, 3, 4], micro_batch=8, steps=8, updates=60),
            fast=dict(seeds=[6794], micro_batch=8, steps=4, updates=10),
            rtol=0.0, atol=0.02, compare=("summary",))
def batchnorm(settings: dict, progress) -> dict:
    """``batchnorm_comparison`` (the five BN runs) on ``load_mnist_5k(seed=0)``
    (first 4,000 digits to train, last 1,000 to validate), once per seed.

    Returns each seed's rows and, per run, the mean, std, min and max over the seeds
    of every column in ``BN_COLUMNS``.
    """
    from blogcode.accumulation.batchnorm import batchnorm_comparison
    from blogcode.data import load_mnist_5k

    images, labels = load_mnist_5k(seed=0)
    train, validation = (images[:4000], labels[:4000]), (images[4000:], labels[4000:])
    per_seed = []
    for seed in progress(settings["seeds"], desc="seeds"):
        rows = batchnorm_comparison(train, validation, micro_batch=settings["micro_batch"], steps=settings["steps"],
                                    updates=settings["updates"], seed=seed)
        per_seed.append({"seed": seed, "rows": [{k: (v if k == "run" else float(v)) for k, v in r.items()}
                                                for r in rows]})
    names = [r["run"] for r in per_seed[0]["rows"]]
    summary = {name: {col: seed_spread([s["rows"][i][col] for s in per_seed]) for col in BN_COLUMNS}
               for i, name in enumerate(names)}
    return {"per_seed": per_seed, "summary": summary}
