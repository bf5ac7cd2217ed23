"""What every optimizer wrapper of this package shares with the optimizer it wraps.

Used by ``GradientAccumulation`` (book/accumulation.md), ``Lookahead`` and
``LazyOptimizer`` (book/lookahead.md). Like Keras' own ``LossScaleOptimizer``, a
wrapper keeps the wrapped optimizer as ``inner_optimizer`` and lets it own the
learning rate and the update counter, so schedules and bias corrections count the
updates the wrapped optimizer really makes.

The helpers below the mixin serve the wrappers: a holder that keeps variables out
of Keras' attribute tracking (``Untracked``), the argument checks they share, reading a variable of either kind Keras 3 optimizers accept
(``keras.Variable`` or a plain ``tf.Variable``), and merging the repeated slices of a
sparse gradient.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from blogcode import checks

__all__ = [
    "DelegatesToInnerOptimizer",
    "Untracked",
    "check_inner_optimizer",
    "reject_base_arguments",
    "read_value",
    "variable_path",
    "sum_repeated_slices",
]


class DelegatesToInnerOptimizer:
    """Mixin, listed before ``keras.optimizers.Optimizer`` in the bases, for a
    wrapper whose wrapped optimizer is ``self.inner_optimizer``."""

    @property
    def variables(self):
        # The wrapper's own variables and the wrapped optimizer's, so that
        # model.save stores both.
        return self._variables + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def _variables_to_update(self, trainable_variables):
        """The variables an ``apply`` call updates; builds the wrapper on first use."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError("call build(variables) or pass trainable_variables on the first apply")
            return self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
        return trainable_variables

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # get_config stores the wrapped optimizer, serialised, under "optimizer".
        config = dict(config)
        optimizer = keras.optimizers.deserialize(config.pop("optimizer"), custom_objects=custom_objects)
        return cls(optimizer, **config)


class Untracked:
    """Holds variables without Keras' attribute tracking adding them to the
    optimizer's own state (they belong to the model, or to another optimizer).

    A wrapper that stores a list of the model's variables, or of its inner
    optimizer's slots, as ``self.attr = Untracked(items)`` reads them back as
    ``self.attr.items``; Keras would otherwise save them twice.
    """

    def __init__(self, items):
        self.items = items


def check_inner_optimizer(optimizer):
    """``optimizer`` if it is a Keras 3 optimizer (``TypeError`` otherwise)."""
    return checks.instance_of(optimizer, "optimizer", keras.optimizers.Optimizer,
                              "a keras.optimizers.Optimizer")


def reject_base_arguments(wrapper: str, kwargs: dict) -> None:
    """A wrapper's own learning rate, clipping, EMA ... would never be used: they
    belong on the wrapped optimizer, so passing them is a mistake to report."""
    if kwargs:
        raise ValueError(f"{wrapper} takes no base optimizer arguments; set them on optimizer: {sorted(kwargs)}")


def read_value(variable) -> tf.Tensor:
    """The current value of a ``keras.Variable`` or a ``tf.Variable`` as a tensor
    (``.value`` is a property of the first and a method of the second)."""
    return tf.convert_to_tensor(variable)


def variable_path(variable) -> str:
    """The name Keras 3 files a variable under: ``path`` for a ``keras.Variable``,
    the TensorFlow name (``"table:0"``) for a plain ``tf.Variable``, which has no path."""
    path = getattr(variable, "path", None)
    return path if isinstance(path, str) else variable.name


def sum_repeated_slices(gradient):
    """``gradient`` with the slices of repeated indices added up, if it is a
    ``tf.IndexedSlices``; anything else is returned unchanged.

    An ``Embedding`` lookup of a batch in which a token occurs twice yields two
    slices with the same index. Keras 3's Adam squares each slice before they are
    added into the second moment (Σg², not (Σg)²); after this merge every index
    occurs once, and a sparse step equals the dense step on the summed gradient.
    """
    if not isinstance(gradient, tf.IndexedSlices):
        return gradient
    indices, position = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(indices)[0])
    return tf.IndexedSlices(values, indices, gradient.dense_shape)
