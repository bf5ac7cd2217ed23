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
import tensorflow as tf
from keras import ops

from blogcode import checks
from blogcode.optimizers.wrapper import DelegatesToInnerOptimizer, check_inner_optimizer

__all__ = [
    "GradientAccumulation",
    "mean_of_micro_batch_means",
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
            self.update_if_due(trainable_variables, lambda: self.apply_mean(trainable_variables))

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self.micro_steps

    def _accumulate(self, grads, variables):
        for grad, variable in zip(grads, variables):
            self.assign_add(self._accumulator_of(variable), grad)

    def _accumulator_of(self, variable):
        return self._accumulators[self._get_variable_index(variable)]

    def update_if_due(self, variables, update):
        """Run ``update()`` if this micro-batch completes a cycle of ``steps``,
        then count the micro-batch. A real conditional: only one branch runs,
        also inside ``tf.function``."""
        is_update_step = ops.equal((self._iterations + 1) % self.steps, 0)
        ops.cond(is_update_step, update, lambda: None)
        self._iterations.assign_add(1)

    def _update_cross_replica(self, strategy, variables):
        self.update_if_due(
            variables,
            lambda: strategy.extended.call_for_each_replica(self.apply_mean, args=(variables,)),
        )

    def apply_mean(self, variables):
        """The real update: hand the mean of the accumulated gradients to the
        wrapped optimizer, then empty the accumulators."""
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
