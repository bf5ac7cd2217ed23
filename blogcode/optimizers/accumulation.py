"""Gradient accumulation as a Keras 3 optimizer wrapper.

Chapter: "Gradient accumulation" (book/accumulation.md), after Su Jianlin's
「用时间换取效果：Keras梯度累积优化器」 (kexue.fm/archives/6794).

``GradientAccumulation(optimizer, steps)`` adds the gradients of ``steps``
consecutive calls ("micro-batches") in slot variables and, on every
``steps``-th call, hands their mean to the wrapped optimizer, which then makes
one real update. With micro-batches of equal size the mean of the micro-batch
mean gradients is the mean gradient of the large batch, so the weights follow
the large-batch run exactly (up to float rounding) with the memory of a small
batch.

The wrapped optimizer only sees real updates: its ``iterations`` counts them,
so learning-rate schedules, Adam's bias correction and weight averaging
(``use_ema``) advance once per update. (Keras' own ``gradient_accumulation_steps``
argument evaluates schedules and EMA at every micro-batch instead; see the chapter.)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from blogcode import checks
from blogcode.optimizers.wrapper import DelegatesToInnerOptimizer, check_inner_optimizer

__all__ = [
    "GradientAccumulation",
    "mean_of_micro_batch_means",
    "pitfall_counts",
    "article_mlp",
    "WindowedLoss",
    "EpochAccuracy",
    "train_setting",
]


@keras.saving.register_keras_serializable(package="blogcode")
class GradientAccumulation(DelegatesToInnerOptimizer, keras.optimizers.Optimizer):
    """Update with the mean gradient of ``steps`` micro-batches.

    Args:
        optimizer: the Keras optimizer that makes the real updates (any
            ``keras.optimizers.Optimizer``, with its own learning rate or schedule,
            clipping, weight decay, EMA ...).
        steps: number of micro-batches per real update (``steps=1`` is the
            wrapped optimizer itself).

    ``iterations`` is the number of real updates (the wrapped optimizer's
    counter); ``micro_steps`` counts calls to ``apply``.
    """

    def __init__(self, optimizer, steps, name=None, **kwargs):
        check_inner_optimizer(optimizer)
        if getattr(optimizer, "gradient_accumulation_steps", None):
            raise ValueError(
                "optimizer already accumulates gradients (gradient_accumulation_steps="
                f"{optimizer.gradient_accumulation_steps}); use one mechanism, not both"
            )
        steps = checks.positive_int(steps, "steps")   # 2.0 or True: TypeError, 0: ValueError
        if name is not None:
            checks.string(name, "name", allow_empty=False)
        if kwargs:
            raise ValueError(
                f"GradientAccumulation takes no optimizer arguments {sorted(kwargs)}; "
                "set them on the wrapped optimizer"
            )
        # The wrapper never updates a weight itself, so its own learning rate is unused;
        # `learning_rate` below reads and writes the wrapped optimizer's.
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = optimizer
        self.steps = steps

    def build(self, variables):
        # Created here, not on first use: variables cannot be created inside the
        # branch of a conditional in a compiled function.
        self.inner_optimizer.build(variables)
        # "on_read" + "sum": under tf.distribute each replica adds its own gradients
        # locally; nothing is exchanged between devices until the real update.
        self._accumulators = [
            keras.Variable(
                initializer="zeros", shape=v.shape, dtype=v.dtype, trainable=False,
                aggregation="sum", synchronization="on_read",
                name=f"{v.name}_accumulator",
            )
            for v in variables
        ]
        super().build(variables)

    @property
    def micro_steps(self):
        return self._iterations

    def scale_loss(self, loss):
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # ------------------------------------------------------------------ updates

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            if not self.built:
                raise ValueError("pass trainable_variables on the first call (the optimizer is not built)")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        grads = list(grads)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"grads has {len(grads)} entries for {len(trainable_variables)} trainable_variables"
            )
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
        # Variables without a gradient (known when the function is traced) are left alone,
        # as the wrapped optimizer would leave them.
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("grads are all None: no variable has a gradient")
        grads, trainable_variables = [g for g, _ in pairs], [v for _, v in pairs]
        self._accumulate(grads, trainable_variables)
        if tf.distribute.has_strategy():
            context = tf.distribute.get_replica_context()
            if context is None:
                raise ValueError("apply() must be called in a replica context (inside strategy.run)")
            # A conditional whose branch synchronises replicas is not allowed in a
            # replica context, so the decision is taken in the cross-replica context
            # and the update runs per replica again (as Keras' LossScaleOptimizer does).
            context.merge_call(self._update_cross_replica, args=(trainable_variables,))
        else:
            self._update_if_due(trainable_variables, lambda: self._apply_mean(trainable_variables))

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self.micro_steps

    def _accumulate(self, grads, variables):
        for grad, variable in zip(grads, variables):
            self.assign_add(self._accumulator_of(variable), grad)

    def _accumulator_of(self, variable):
        return self._accumulators[self._get_variable_index(variable)]

    def _update_if_due(self, variables, update):
        # A real conditional: only one branch runs, also inside tf.function.
        is_update_step = ops.equal((self._iterations + 1) % self.steps, 0)
        ops.cond(is_update_step, update, lambda: None)
        self._iterations.assign_add(1)

    def _update_cross_replica(self, strategy, variables):
        self._update_if_due(
            variables,
            lambda: strategy.extended.call_for_each_replica(self._apply_mean, args=(variables,)),
        )

    def _apply_mean(self, variables):
        accumulators = [self._accumulator_of(v) for v in variables]
        # Each replica passes its own sum; the wrapped optimizer all-reduces (sums) them.
        mean_grads = [ops.divide(acc.value, self.steps) for acc in accumulators]
        self.inner_optimizer.apply(mean_grads, variables)
        for acc in accumulators:
            acc.assign(ops.zeros_like(acc))

    # ------------------------------------------------------------ serialisation

    def get_config(self):
        return {
            "name": self.name,
            "optimizer": keras.optimizers.serialize(self.inner_optimizer),
            "steps": self.steps,
        }


def mean_of_micro_batch_means(per_sample_grads, micro_batch_size: int):
    """The gradient that accumulation hands to the optimizer: the mean over
    consecutive micro-batches of each micro-batch's mean per-sample gradient.

    ``per_sample_grads`` has shape (samples, ...). If the last micro-batch is
    smaller (a "ragged" last batch), its samples weigh more than the others,
    and the result differs from the plain mean over all samples.
    """
    grads = tf.convert_to_tensor(per_sample_grads)
    if grads.shape.rank is None or grads.shape.rank < 1 or grads.shape[0] == 0:
        raise ValueError("per_sample_grads must have at least one sample along axis 0")
    micro_batch_size = checks.positive_int(micro_batch_size, "micro_batch_size")
    n = grads.shape[0]
    means = [tf.reduce_mean(grads[i:i + micro_batch_size], axis=0) for i in range(0, n, micro_batch_size)]
    return tf.reduce_mean(tf.stack(means), axis=0)


def pitfall_counts(condition: bool, select_with: str) -> dict:
    """Run both candidate results of a condition inside one ``tf.function`` and
    count, with a variable as side effect, how often each branch executed.

    ``select_with="where"`` computes both results and then selects one
    (``keras.ops.where``, like Keras 2's ``K.switch``); ``select_with="cond"``
    uses ``keras.ops.cond`` (``tf.cond``), which executes only the chosen branch.
    Returns ``{"update branch": k, "keep branch": m, "result": value}``.
    """
    select_with = checks.one_of(select_with, "select_with", ("where", "cond"))
    condition = checks.boolean(condition, "condition")
    update_runs = tf.Variable(0, dtype=tf.int32)
    keep_runs = tf.Variable(0, dtype=tf.int32)
    weight = tf.Variable(1.0)

    def update_branch():
        update_runs.assign_add(1)        # the side effect we count
        return weight - 0.5

    def keep_branch():
        keep_runs.assign_add(1)
        return tf.identity(weight)

    @tf.function
    def step(cond):
        if select_with == "where":
            new = update_branch()
            old = keep_branch()
            return ops.where(cond, new, old)
        return ops.cond(cond, update_branch, keep_branch)

    result = step(tf.constant(bool(condition)))
    return {"update branch": int(update_runs.numpy()), "keep branch": int(keep_runs.numpy()),
            "result": float(result.numpy())}


# ----------------------------------------------------------- the MNIST experiment

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


def _pair(data, name):
    """``(x, y)`` with as many labels as samples."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (x, y), got {type(data).__name__}")
    x, y = data
    if len(x) != len(y):
        raise ValueError(f"{name}: x has {len(x)} samples, y has {len(y)}")
    return x, y


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
    (x, y), (x_val, y_val) = _pair(train, "train"), _pair(validation, "validation")
    model = article_mlp(seed, input_dim=x.shape[1])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  steps_per_execution=max(1, log_every // batch_size))
    windows, accuracy = WindowedLoss(batch_size, log_every), EpochAccuracy(x_val, y_val)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[windows, accuracy],
                        verbose=verbose)
    return {"samples": np.array(windows.samples), "loss": np.array(windows.losses),
            "epoch loss": history.history["loss"], "val accuracy": accuracy.accuracy, "model": model}
