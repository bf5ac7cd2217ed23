"""Keras layers for the chapter's attention forms, and a long-range task to train them on.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md, article 6853). The functions they call live in
``blogcode.attention.patterns``, which re-exports every name here, so
``from blogcode.attention.patterns import SparseSelfAttention`` keeps working.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from blogcode import checks
from blogcode.attention.patterns import (_padding_mask, atrous_attention, dense_attention, local_attention,
                                sparse_attention)

__all__ = [
    "MultiHeadSelfAttention",
    "AtrousSelfAttention",
    "LocalSelfAttention",
    "SparseSelfAttention",
    "marker_task",
    "marker_model",
]

# --------------------------------------------------------------------------- layers


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
        padding = _padding_mask(mask, inputs)
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


# --------------------------------------------------------------------------- a long-range task


def marker_task(n: int, size: int, classes: int = 4, seed: int = 0):
    """A seeded synthetic task that needs long-range links.

    Each sequence holds random filler tokens and ONE marker token (ids
    ``1..classes``) at a random position; every position must output the
    marker's class. Returns ``(tokens (size, n) int32, labels (size, n))``.
    A position can only answer if information can flow from the marker to it.
    """
    n, size = checks.positive_int(n, "n"), checks.positive_int(size, "size")
    classes = checks.positive_int(classes, "classes")
    seed = checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    fillers = 16
    tokens = rng.integers(classes + 1, classes + 1 + fillers, size=(size, n))
    labels = rng.integers(0, classes, size=size)
    where = rng.integers(0, n, size=size)
    tokens[np.arange(size), where] = labels + 1
    return tokens.astype("int32"), np.repeat(labels[:, None], n, axis=1).astype("int32")


def marker_model(kind: str, n: int, k: int, classes: int = 4, heads: int = 2, head_size: int = 8,
                 depth: int = 2) -> keras.Model:
    """``depth`` residual self-attention layers of one pattern (``"local"``
    with ``neighbors=k`` or ``"sparse"`` with ``rate=k``) between an
    embedding and a per-position classifier."""
    layers = {"local": lambda: LocalSelfAttention(heads, head_size, neighbors=k),
              "sparse": lambda: SparseSelfAttention(heads, head_size, rate=k),
              "atrous": lambda: AtrousSelfAttention(heads, head_size, rate=k),
              "dense": lambda: MultiHeadSelfAttention(heads, head_size)}
    kind = checks.one_of(kind, "kind", tuple(layers))
    n, k, classes = checks.positive_int(n, "n"), checks.positive_int(k, "k"), checks.positive_int(classes, "classes")
    heads, head_size = checks.positive_int(heads, "heads"), checks.positive_int(head_size, "head_size")
    depth = checks.positive_int(depth, "depth")
    width = heads * head_size
    inputs = keras.Input((n,), dtype="int32")
    h = keras.layers.Embedding(classes + 17, width)(inputs)
    for _ in range(depth):
        h = keras.layers.LayerNormalization()(h + layers[kind]()(h))
    outputs = keras.layers.Dense(classes, activation="softmax")(h)
    return keras.Model(inputs, outputs, name=f"{kind}_marker_model")
