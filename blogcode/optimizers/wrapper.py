"""What every optimizer wrapper of this package shares with the optimizer it wraps.

Used by ``GradientAccumulation`` (book/accumulation.md), ``Lookahead`` and
``LazyOptimizer`` (book/lookahead.md). Like Keras' own ``LossScaleOptimizer``, a
wrapper keeps the wrapped optimizer as ``inner_optimizer`` and lets it own the
learning rate and the update counter, so schedules and bias corrections count the
updates the wrapped optimizer really makes.
"""

from __future__ import annotations

import keras

__all__ = ["DelegatesToInnerOptimizer"]


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
