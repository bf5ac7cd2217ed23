"""DGCNN's layers: the mixed character/word embedding, the dilated gated convolution, attention pooling, broadcast concatenation, the 2018 model's position embedding.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906,
book/dgcnn.md). The model built from them is in :mod:`blogcode.dgcnn.model`.

Masks are 1/True on real characters and 0 on padding; character id 0 is padding.
"""

from __future__ import annotations

import keras
from keras import ops

from blogcode import checks
from blogcode.checks import positive_int

__all__ = ["MixEmbedding", "DilatedGatedConv1D", "AttentionPooling1D", "BroadcastConcat", "PositionEmbedding",
           "check_rate", "float_mask"]


def check_rate(value, name: str) -> float:
    """A dropout, noise or decay rate: a float in [0, 1)."""
    return checks.real(value, name, minimum=0.0, maximum=1.0, exclusive_maximum=True)


def float_mask(mask, like):
    """(batch, length) mask -> (batch, length, 1) in ``like``'s dtype."""
    return ops.expand_dims(ops.cast(mask, like.dtype), -1)


@keras.saving.register_keras_serializable(package="blogcode")
class MixEmbedding(keras.layers.Layer):
    """Mixed character/word embedding: a trainable character embedding plus a
    bias-free linear map of a (frozen) word vector given for every character
    (the vector of the word the character belongs to). Inputs ``[char_ids,
    word_vectors]`` of shapes ``(batch, length)`` and ``(batch, length, word_dim)``."""

    def __init__(self, vocab_size: int, output_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = positive_int(vocab_size, "vocab_size")
        self.output_dim = positive_int(output_dim, "output_dim")
        self.chars = keras.layers.Embedding(self.vocab_size, self.output_dim, name="chars")
        self.words = keras.layers.Dense(self.output_dim, use_bias=False, name="words")

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError("inputs must be [char_ids, word_vectors]")
        char_shape, word_shape = input_shape
        if len(word_shape) != 3 or len(char_shape) != 2:
            raise ValueError(
                f"inputs must have shapes (batch, length) and (batch, length, word_dim), got {char_shape} and {word_shape}"
            )
        self.chars.build(char_shape)
        self.words.build(word_shape)

    def call(self, inputs):
        char_ids, word_vectors = inputs
        return self.chars(char_ids) + self.words(word_vectors)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0]) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "output_dim": self.output_dim}


@keras.saving.register_keras_serializable(package="blogcode")
class DilatedGatedConv1D(keras.layers.Layer):
    """Dilated gated convolution with a gated residual:
    ``y = x (1 - g) + h g`` with ``[h, g_logits] = Conv1D_{2 filters}(x)`` and
    ``g = sigmoid(g_logits)``. Two regularisers of the gate, in training only:
    ``gate_dropout`` (the 2019 release's: dropout on ``g_logits``, default 0.1) and
    ``gate_noise`` (the 2018 model's: ``g_logits (1 + eps)``, ``eps ~ U(-gate_noise,
    gate_noise)``, default off). Padding is zeroed on the way in and out, so it never
    leaks into real positions. If the input width differs from ``filters`` a 1x1
    convolution projects the residual ``x``.

    Call as ``layer(x, mask=mask)`` with ``mask`` of shape ``(batch, length)``."""

    def __init__(self, filters: int, dilation_rate: int = 1, kernel_size: int = 3,
                 gate_noise: float = 0.0, gate_dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters")
        self.dilation_rate = positive_int(dilation_rate, "dilation_rate")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.gate_noise = check_rate(gate_noise, "gate_noise")
        self.gate_dropout = check_rate(gate_dropout, "gate_dropout")
        self.conv = keras.layers.Conv1D(2 * self.filters, self.kernel_size, padding="same",
                                        dilation_rate=self.dilation_rate, name="conv")
        self.projection = None
        self.noise_seed = keras.random.SeedGenerator()
        self.supports_masking = True  # the output keeps the input's mask

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"inputs must have shape (batch, length, channels), got {input_shape}")
        self.conv.build(input_shape)
        if input_shape[-1] != self.filters:
            self.projection = keras.layers.Conv1D(self.filters, 1, use_bias=False, name="projection")
            self.projection.build(input_shape)

    def call(self, inputs, mask=None, training=None):
        x = inputs
        if mask is not None:
            x = x * float_mask(mask, x)
        h, gate_logits = ops.split(self.conv(x), 2, axis=-1)
        if training and self.gate_noise > 0:
            noise = keras.random.uniform(ops.shape(gate_logits), -self.gate_noise, self.gate_noise,
                                         seed=self.noise_seed)
            gate_logits = gate_logits * (1 + noise)
        if training and self.gate_dropout > 0:
            gate_logits = keras.random.dropout(gate_logits, self.gate_dropout, seed=self.noise_seed)
        gate = ops.sigmoid(gate_logits)
        if self.projection is not None:
            x = self.projection(x)
        y = x * (1 - gate) + h * gate
        if mask is not None:
            y = y * float_mask(mask, y)
        return y

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "dilation_rate": self.dilation_rate,
                "kernel_size": self.kernel_size, "gate_noise": self.gate_noise,
                "gate_dropout": self.gate_dropout}


@keras.saving.register_keras_serializable(package="blogcode")
class AttentionPooling1D(keras.layers.Layer):
    """Additive attention pooling: ``lambda = masked_softmax(alpha^T tanh(W x_i))``,
    output ``sum_i lambda_i x_i``. Padding gets exactly zero weight; an all-padding
    row pools to zeros. Call as ``layer(x, mask=mask)``."""

    def __init__(self, units: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units")
        self.hidden = keras.layers.Dense(self.units, activation="tanh", use_bias=False, name="hidden")
        self.score = keras.layers.Dense(1, use_bias=False, name="score")
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"inputs must have shape (batch, length, channels), got {input_shape}")
        if not self.hidden.built:
            self.hidden.build(input_shape)
            self.score.build(tuple(input_shape[:-1]) + (self.units,))

    def attention_weights(self, x, mask=None):
        logits = self.score(self.hidden(x))[..., 0]
        if mask is None:
            return ops.softmax(logits, axis=-1)
        mask = ops.cast(mask, "bool")
        logits = ops.where(mask, logits, ops.full_like(logits, -1e9))
        weights = ops.softmax(logits, axis=-1)
        return ops.where(mask, weights, ops.zeros_like(weights))

    def call(self, inputs, mask=None):
        weights = self.attention_weights(inputs, mask)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per example: nothing left to mask

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="blogcode")
class BroadcastConcat(keras.layers.Layer):
    """Concatenate one vector per example, ``(batch, d2)``, to every position of a
    sequence ``(batch, length, d1)``: how the question vector reaches the passage."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else mask

    def call(self, inputs):
        sequence, vector = inputs
        tiled = ops.zeros_like(sequence[..., :1]) + ops.expand_dims(vector, 1)
        return ops.concatenate([sequence, ops.cast(tiled, sequence.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        seq, vec = input_shape
        return tuple(seq[:-1]) + (seq[-1] + vec[-1],)


@keras.saving.register_keras_serializable(package="blogcode")
class PositionEmbedding(keras.layers.Layer):
    """A learned embedding of each position ``0 .. max_length - 1``, *concatenated* to
    the input ``(batch, length, channels)`` (the 2018 model's way; Keras-Hub's
    ``PositionEmbedding`` adds instead). Positions past ``max_length - 1`` share the
    last row. The input's mask passes through."""

    def __init__(self, max_length: int, output_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.max_length = positive_int(max_length, "max_length")
        self.output_dim = positive_int(output_dim, "output_dim")
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"inputs must have shape (batch, length, channels), got {input_shape}")
        self.table = self.add_weight(shape=(self.max_length, self.output_dim), initializer="uniform", name="table")

    def call(self, inputs):
        positions = ops.minimum(ops.arange(ops.shape(inputs)[1]), self.max_length - 1)
        rows = ops.take(ops.cast(self.table, inputs.dtype), positions, axis=0)
        tiled = ops.zeros_like(inputs[..., :1]) + ops.expand_dims(rows, 0)
        return ops.concatenate([inputs, tiled], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length, "output_dim": self.output_dim}
