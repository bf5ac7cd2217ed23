"""Batch normalisation that knows about gradient accumulation.

Chapter: "Gradient accumulation" (book/accumulation.md). Gradient accumulation
reproduces a large batch exactly only for layers that treat samples
independently. Batch normalisation does not: in training it normalises with the
statistics of the batch it sees, and it updates its moving statistics once per
call. With accumulation it sees micro-batches, so

1. the forward pass normalises with each micro-batch's mean and variance instead
   of the large batch's (this changes the gradients; no layer can undo it without
   seeing all micro-batches at once), and
2. the moving statistics are updated at every micro-batch, with the noisier
   micro-batch variances, and decay ``steps`` times faster per real update.

``AccumulationBatchNormalization`` fixes (2): it pools the micro-batches'
statistics (exactly, with the parallel variance formula) and updates the moving
mean and variance once per ``accumulation_steps`` calls, with the statistics of
all the samples of the large batch. It cannot fix (1). What accumulation computes with batch normalisation is
exactly a large batch with *ghost* batch normalisation (each group of
``virtual_batch_size`` samples normalised with its own statistics; Hoffer, Hubara
and Soudry, 2017): ``GhostBatchNormalization`` makes that visible.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from blogcode import checks

__all__ = [
    "AccumulationBatchNormalization",
    "GhostBatchNormalization",
    "pool_moments",
    "bn_mlp",
    "batchnorm_comparison",
]


def pool_moments(count_a, mean_a, m2_a, count_b, mean_b, m2_b):
    """Merge two groups' (count, mean, sum of squared deviations) into those of their
    union (Chan, Golub and LeVeque's parallel formula); no large sums of squares are
    formed, so nothing cancels catastrophically."""
    count = count_a + count_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (count_b / count)
    m2 = m2_a + m2_b + ops.square(delta) * (count_a * count_b / count)
    return count, mean, m2


@keras.saving.register_keras_serializable(package="blogcode")
class AccumulationBatchNormalization(keras.layers.Layer):
    """Batch normalisation over the last axis whose moving statistics are updated
    once per ``accumulation_steps`` training calls, with the pooled mean and
    (biased) variance of those calls' samples.

    With ``accumulation_steps=1`` it computes exactly what
    ``keras.layers.BatchNormalization(momentum, epsilon)`` computes. The training
    calls must be the micro-batches of the accumulating optimizer, in step with it
    (use ``steps`` of ``GradientAccumulation``); a call with ``training=True``
    outside training would shift the count.
    """

    def __init__(self, accumulation_steps, momentum=0.99, epsilon=1e-3, **kwargs):
        accumulation_steps = checks.positive_int(accumulation_steps, "accumulation_steps")
        momentum = checks.real(momentum, "momentum", minimum=0.0, maximum=1.0, exclusive_maximum=True)
        epsilon = checks.positive_real(epsilon, "epsilon")
        super().__init__(**kwargs)
        self.accumulation_steps = accumulation_steps
        self.momentum = momentum
        self.epsilon = epsilon

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is None:
            raise ValueError("the last axis of the input (the features) must have a known size")
        self.gamma = self.add_weight(shape=(dim,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(dim,), initializer="zeros", name="beta")
        stat = dict(shape=(dim,), trainable=False)
        self.moving_mean = self.add_weight(initializer="zeros", name="moving_mean", **stat)
        self.moving_variance = self.add_weight(initializer="ones", name="moving_variance", **stat)
        # Pooled statistics of the micro-batches seen since the last update.
        self.pooled_count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="pooled_count")
        self.pooled_mean = self.add_weight(initializer="zeros", name="pooled_mean", **stat)
        self.pooled_m2 = self.add_weight(initializer="zeros", name="pooled_m2", **stat)
        self.calls = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False, name="calls")

    def call(self, inputs, training=False):
        if not training:
            return self._normalise(inputs, self.moving_mean, self.moving_variance)
        axes = list(range(len(inputs.shape) - 1))
        mean, variance = ops.moments(inputs, axes=axes)
        count = ops.cast(ops.prod(ops.shape(inputs)[:-1]), inputs.dtype)
        self.pool_statistics(count, mean, variance)
        return self._normalise(inputs, mean, variance)

    def _normalise(self, x, mean, variance):
        return (x - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta

    def pool_statistics(self, count, mean, variance):
        """Add one micro-batch's ``count``, ``mean`` and (biased) ``variance`` to
        the pooled statistics; on the last micro-batch of a cycle, update the
        moving mean and variance with the pooled ones and start a new pool."""
        new_count, new_mean, new_m2 = pool_moments(
            self.pooled_count, self.pooled_mean, self.pooled_m2, count, mean, variance * count)
        self.pooled_count.assign(new_count)
        self.pooled_mean.assign(new_mean)
        self.pooled_m2.assign(new_m2)
        last_micro_batch = ops.equal((self.calls + 1) % self.accumulation_steps, 0)
        ops.cond(last_micro_batch, self._update_moving_statistics, lambda: None)
        self.calls.assign_add(1)

    def _update_moving_statistics(self):
        m = self.momentum
        self.moving_mean.assign(self.moving_mean * m + self.pooled_mean * (1.0 - m))
        pooled_variance = self.pooled_m2 / self.pooled_count
        self.moving_variance.assign(self.moving_variance * m + pooled_variance * (1.0 - m))
        for v in (self.pooled_count, self.pooled_mean, self.pooled_m2):
            v.assign(ops.zeros_like(v))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "accumulation_steps": self.accumulation_steps,
                "momentum": self.momentum, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="blogcode")
class GhostBatchNormalization(AccumulationBatchNormalization):
    """Batch normalisation of a large batch in groups ("ghost batches") of
    ``virtual_batch_size`` consecutive samples, each normalised with its own mean
    and variance; the moving statistics are updated once per call with the whole
    batch's statistics. Inputs are (batch, features), with the batch a multiple of
    ``virtual_batch_size``.

    A large batch through this layer computes what ``AccumulationBatchNormalization``
    computes when the same samples arrive as accumulated micro-batches.
    """

    def __init__(self, virtual_batch_size, momentum=0.99, epsilon=1e-3, **kwargs):
        kwargs.pop("accumulation_steps", None)
        virtual_batch_size = checks.positive_int(virtual_batch_size, "virtual_batch_size")
        super().__init__(1, momentum=momentum, epsilon=epsilon, **kwargs)
        self.virtual_batch_size = virtual_batch_size

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"inputs must be (batch, features), got shape {tuple(input_shape)}")
        super().build(input_shape)

    def call(self, inputs, training=False):
        if not training:
            return self._normalise(inputs, self.moving_mean, self.moving_variance)
        mean, variance = ops.moments(inputs, axes=[0])
        self.pool_statistics(ops.cast(ops.shape(inputs)[0], inputs.dtype), mean, variance)
        groups = ops.reshape(inputs, (-1, self.virtual_batch_size, inputs.shape[-1]))
        group_mean, group_variance = ops.moments(groups, axes=[1], keepdims=True)
        return ops.reshape(self._normalise(groups, group_mean, group_variance), ops.shape(inputs))

    def get_config(self):
        config = super().get_config()
        config.pop("accumulation_steps")
        return {**config, "virtual_batch_size": self.virtual_batch_size}


def bn_mlp(seed: int, bn_layer, input_dim: int = 784, hidden: int = 128, classes: int = 10) -> keras.Model:
    """Dense -> batch normalisation -> ReLU -> softmax, the smallest model where the
    batch statistics matter."""
    seed = checks.integer(seed, "seed", minimum=0)
    checks.instance_of(bn_layer, "bn_layer", keras.layers.Layer, "a keras.layers.Layer")
    input_dim, hidden = checks.positive_int(input_dim, "input_dim"), checks.positive_int(hidden, "hidden")
    classes = checks.integer(classes, "classes", minimum=2)
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((input_dim,)),
        keras.layers.Dense(hidden, use_bias=False),
        bn_layer,
        keras.layers.ReLU(),
        keras.layers.Dense(classes, activation="softmax"),
    ], name="bn_mlp")


def batchnorm_comparison(train, validation, micro_batch: int, steps: int, updates: int, seed: int,
                         learning_rate: float = 0.05, momentum: float = 0.9) -> list[dict]:
    """Train ``bn_mlp`` for ``updates`` real updates with SGD (momentum 0.9) five ways
    and compare each with the large-batch run (batch ``micro_batch * steps``, Keras BN):

    - the large batch itself;
    - ``steps`` accumulated micro-batches, Keras BN;
    - ``steps`` accumulated micro-batches, ``AccumulationBatchNormalization``;
    - the large batch with ``GhostBatchNormalization`` in groups of ``micro_batch``;
    - plain micro-batches without accumulation (``steps`` times more updates).

    All BN layers use the given ``momentum``. Each row has the largest difference in
    trainable weights from the large batch and from the accumulated pooled-BN run,
    the mean absolute differences of the moving mean, moving variance and validation
    probabilities from the large batch, and the validation accuracy.
    """
    from blogcode.optimizers.accumulation import GradientAccumulation

    micro_batch, updates = checks.positive_int(micro_batch, "micro_batch"), checks.positive_int(updates, "updates")
    steps = checks.integer(steps, "steps", minimum=2)   # one micro-batch per update is no accumulation
    seed = checks.integer(seed, "seed", minimum=0)
    learning_rate = checks.positive_real(learning_rate, "learning_rate")
    momentum = checks.real(momentum, "momentum", minimum=0.0, maximum=1.0, exclusive_maximum=True)
    (x, y), (x_val, y_val) = checks.samples_pair(train, "train"), checks.samples_pair(validation, "validation")
    n = micro_batch * steps * updates
    if len(x) < n:
        raise ValueError(f"train has {len(x)} samples; micro_batch * steps * updates needs {n}")
    x, y = x[:n], y[:n]
    big = micro_batch * steps

    def sgd():
        return keras.optimizers.SGD(learning_rate, momentum=0.9)

    settings = [
        (f"batch {big}, Keras BN", keras.layers.BatchNormalization(momentum=momentum), sgd(), big),
        (f"{steps} x {micro_batch} accumulated, Keras BN", keras.layers.BatchNormalization(momentum=momentum),
         GradientAccumulation(sgd(), steps), micro_batch),
        (f"{steps} x {micro_batch} accumulated, pooled BN", AccumulationBatchNormalization(steps, momentum=momentum),
         GradientAccumulation(sgd(), steps), micro_batch),
        (f"batch {big}, ghost BN in groups of {micro_batch}", GhostBatchNormalization(micro_batch, momentum=momentum),
         sgd(), big),
        (f"batch {micro_batch}, no accumulation", keras.layers.BatchNormalization(momentum=momentum), sgd(), micro_batch),
    ]
    models = {}
    for name, bn, optimizer, batch_size in settings:
        model = bn_mlp(seed, bn, input_dim=x.shape[1])
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        models[name] = model

    def weight_difference(a, b):
        return max(float(np.abs(u.numpy() - v.numpy()).max())
                   for u, v in zip(a.trainable_weights, b.trainable_weights, strict=True))

    reference, accumulated = models[settings[0][0]], models[settings[2][0]]
    ref_bn, ref_probs = reference.layers[1], reference(x_val, training=False).numpy()
    rows = []
    for name, model in models.items():
        bn, probs = model.layers[1], model(x_val, training=False).numpy()
        rows.append({
            "run": name,
            "weights vs large batch": weight_difference(model, reference),
            "weights vs accumulated": weight_difference(model, accumulated),
            "moving mean": float(np.abs(bn.moving_mean.numpy() - ref_bn.moving_mean.numpy()).mean()),
            "moving variance": float(np.abs(bn.moving_variance.numpy() - ref_bn.moving_variance.numpy()).mean()),
            "validation probabilities": float(np.abs(probs - ref_probs).mean()),
            "validation accuracy": float(np.mean(probs.argmax(1) == y_val)),
        })
    return rows
