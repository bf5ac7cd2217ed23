"""Keras layers for the chapter's attention forms.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). The functions they call live in
``blogcode.attention.patterns`` (dense) and ``blogcode.attention.efficient``
(atrous, local, sparse); the task they are trained on is in
``blogcode.attention.experiments``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from blogcode import checks
from blogcode.attention.efficient import atrous_attention, local_attention, sparse_attention
from blogcode.attention.patterns import dense_attention, padding_mask

__all__ = [
    "MultiHeadSelfAttention",
    "AtrousSelfAttention",
    "LocalSelfAttention",
    "SparseSelfAttention",
]

@keras.saving.register_keras_serializable(package="blogcode")
class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head self-attention over the full ``n x n`` score matrix.

    Projects the input to ``heads`` queries, keys and values of size
    ``head_size``, attends (the subclasses change only this step), and
    projects the concatenated heads back to ``output_dim`` (default: the
    input's feature size). Honours a Keras mask or an explicit ``mask``
    ``(batch, length)``; ``causal=True`` lets position ``i`` see only
    ``j <= i``. Padded positions output zeros before the output projection.
    """

    def __init__(self, heads: int, head_size: int, causal: bool = False, output_dim: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.heads = checks.positive_int(heads, "heads")
        self.head_size = checks.positive_int(head_size, "head_size")
        self.causal = checks.boolean(causal, "causal")
        self.output_dim = None if output_dim is None else checks.positive_int(output_dim, "output_dim")
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"inputs must be (batch, length, features), got shape {tuple(input_shape)}")
        inner = self.heads * self.head_size
        self.query = keras.layers.Dense(inner, use_bias=False, name="query")
        self.key = keras.layers.Dense(inner, use_bias=False, name="key")
        self.value = keras.layers.Dense(inner, use_bias=False, name="value")
        self.out = keras.layers.Dense(self.output_dim or input_shape[-1], name="output")
        for layer in (self.query, self.key, self.value):
            layer.build(input_shape)
        self.out.build((*input_shape[:-1], inner))

    def _split_heads(self, x):
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [batch, length, self.heads, self.head_size])
        return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch * self.heads, length, self.head_size])

    def _merge_heads(self, x, batch):
        length = tf.shape(x)[1]
        x = tf.transpose(tf.reshape(x, [batch, self.heads, length, self.head_size]), [0, 2, 1, 3])
        return tf.reshape(x, [batch, length, self.heads * self.head_size])

    def attend(self, q, k, v, padding):
        n = tf.shape(q)[1]
        allowed = padding[:, :, None] & padding[:, None, :]
        if self.causal:
            allowed &= tf.range(n)[:, None] >= tf.range(n)[None, :]
        return dense_attention(q, k, v, allowed)

    def call(self, inputs, mask=None):
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != 3:
            raise ValueError(f"inputs must be (batch, length, features), got shape {tuple(inputs.shape)}")
        batch = tf.shape(inputs)[0]
        padding = padding_mask(mask, inputs)
        padding = tf.repeat(padding, self.heads, axis=0)  # heads are folded into the batch, batch-major
        q, k, v = (self._split_heads(f(inputs)) for f in (self.query, self.key, self.value))
        out = self._merge_heads(self.attend(q, k, v, padding), batch)
        return self.out(out)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.output_dim or input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "heads": self.heads, "head_size": self.head_size,
                "causal": self.causal, "output_dim": self.output_dim}


@keras.saving.register_keras_serializable(package="blogcode")
class AtrousSelfAttention(MultiHeadSelfAttention):
    """Multi-head self-attention with the atrous pattern (``atrous_attention``)."""

    def __init__(self, heads: int, head_size: int, rate: int, causal: bool = False, **kwargs):
        super().__init__(heads, head_size, causal=causal, **kwargs)
        self.rate = checks.positive_int(rate, "rate")

    def attend(self, q, k, v, padding):
        return atrous_attention(q, k, v, self.rate, mask=padding, causal=self.causal)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable(package="blogcode")
class LocalSelfAttention(MultiHeadSelfAttention):
    """Multi-head self-attention with the local pattern (``local_attention``)."""

    def __init__(self, heads: int, head_size: int, neighbors: int, causal: bool = False, **kwargs):
        super().__init__(heads, head_size, causal=causal, **kwargs)
        self.neighbors = checks.positive_int(neighbors, "neighbors")

    def attend(self, q, k, v, padding):
        return local_attention(q, k, v, self.neighbors, mask=padding, causal=self.causal)

    def get_config(self):
        return {**super().get_config(), "neighbors": self.neighbors}


@keras.saving.register_keras_serializable(package="blogcode")
class SparseSelfAttention(MultiHeadSelfAttention):
    """Multi-head self-attention with the sparse pattern (``sparse_attention``)."""

    def __init__(self, heads: int, head_size: int, rate: int, causal: bool = False, **kwargs):
        super().__init__(heads, head_size, causal=causal, **kwargs)
        self.rate = checks.positive_int(rate, "rate")

    def attend(self, q, k, v, padding):
        return sparse_attention(q, k, v, self.rate, mask=padding, causal=self.causal)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
