"""Layers that own other layers ("layers within layers", 层中层).

Chapter: "Layers within layers, and masks" (book/masks.md, article 6810). In 2019 a custom
Keras layer had to register a sub-layer's weights by hand (the article's
``reuse`` helper); Keras >= 2.3 and Keras 3 track any layer stored as an
attribute, so a composite layer just creates its parts in ``__init__`` (or
``build``) and calls them in ``call``.
"""

from __future__ import annotations

import keras

from blogcode import checks

__all__ = ["TwoLayerDense"]


def _activation(value, name: str):
    """A Keras activation from its name or a callable; ``None`` means linear."""
    if value is not None and not isinstance(value, (str, dict)) and not callable(value):
        raise TypeError(f"{name} must be an activation name or a callable, got {type(value).__name__}")
    try:
        return keras.activations.get(value)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None


@keras.saving.register_keras_serializable(package="blogcode")
class TwoLayerDense(keras.layers.Layer):
    """``y = g(f(x W1 + b1) W2 + b2)``: two ``Dense`` layers inside one layer.

    The article's example (``OurDense``), written the modern way: the
    sub-layers are attributes, so their weights appear in
    ``trainable_weights``, in ``model.save`` and in the optimizer without any
    bookkeeping. The layer passes a mask through unchanged (it acts on each
    position separately).
    """

    def __init__(self, hidden_dim: int, output_dim: int, hidden_activation="linear",
                 output_activation="linear", **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = checks.positive_int(hidden_dim, "hidden_dim")
        self.output_dim = checks.positive_int(output_dim, "output_dim")
        self.hidden_activation = _activation(hidden_activation, "hidden_activation")
        self.output_activation = _activation(output_activation, "output_activation")
        self.hidden = keras.layers.Dense(hidden_dim, activation=self.hidden_activation, name="hidden")
        self.out = keras.layers.Dense(output_dim, activation=self.output_activation, name="out")
        self.supports_masking = True

    def build(self, input_shape):
        # Building the parts here gives the layer its weights before the first
        # call, so summaries and weight counts are right straight away.
        self.hidden.build(input_shape)
        self.out.build(tuple(input_shape[:-1]) + (self.hidden_dim,))

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_dim": self.hidden_dim,
            "output_dim": self.output_dim,
            "hidden_activation": keras.activations.serialize(self.hidden_activation),
            "output_activation": keras.activations.serialize(self.output_activation),
        }
