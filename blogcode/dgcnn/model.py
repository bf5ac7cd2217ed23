"""The DGCNN model: the released architecture, its receptive field and which inputs move an output.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, and the
2018 model of article 5409; book/dgcnn.md). The layers are in
:mod:`blogcode.dgcnn.layers`, the loss and the weight average in
:mod:`blogcode.dgcnn.training`, the training run in :mod:`blogcode.dgcnn.experiments`.

Masks are 1/True on real characters and 0 on padding; character id 0 is padding.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from blogcode import checks
from blogcode.checks import positive_int
from blogcode.dgcnn.layers import AttentionPooling1D, BroadcastConcat, DilatedGatedConv1D, MixEmbedding, check_rate

__all__ = ["build_dgcnn", "receptive_field_width", "input_influence"]


def _rates(rates, name: str) -> tuple[int, ...]:
    """A non-empty sequence of dilation rates, each an int >= 1."""
    return tuple(positive_int(r, f"{name}[{i}]") for i, r in enumerate(checks.nonempty(rates, name)))


def build_dgcnn(vocab_size: int, word_dim: int = 100, hidden: int = 128,
                question_rates=(1, 2, 1), passage_rates=(1, 2, 4, 8, 16, 1),
                gate_noise: float = 0.1, dropout: float = 0.1, kernel_size: int = 3,
                name: str = "dgcnn") -> keras.Model:
    """The released model. Inputs: question char ids ``(batch, Lq)``, question word
    vectors ``(batch, Lq, word_dim)``, passage char ids ``(batch, Lp)``, passage word
    vectors ``(batch, Lp, word_dim)``. Output ``(batch, Lp, 2)``: start and end
    probabilities, each already multiplied by the passage's "has answer" score, zero
    on padding."""
    vocab_size = positive_int(vocab_size, "vocab_size")
    word_dim = positive_int(word_dim, "word_dim")
    hidden = positive_int(hidden, "hidden")
    question_rates = _rates(question_rates, "question_rates")
    passage_rates = _rates(passage_rates, "passage_rates")
    dropout = check_rate(dropout, "dropout")
    check_rate(gate_noise, "gate_noise")
    positive_int(kernel_size, "kernel_size")
    checks.string(name, "name", allow_empty=False)

    q_chars = keras.Input((None,), dtype="int32", name="question_chars")
    q_words = keras.Input((None, word_dim), name="question_words")
    p_chars = keras.Input((None,), dtype="int32", name="passage_chars")
    p_words = keras.Input((None, word_dim), name="passage_words")
    q_mask = ops.greater(q_chars, 0)
    p_mask = ops.greater(p_chars, 0)

    embed = MixEmbedding(vocab_size, hidden, name="mix_embedding")  # shared by both sides
    drop = keras.layers.Dropout(dropout)
    q = drop(embed([q_chars, q_words]))
    for i, rate in enumerate(question_rates):
        q = DilatedGatedConv1D(hidden, rate, kernel_size, gate_noise, name=f"question_dgc{i}_r{rate}")(q, mask=q_mask)
    q_vector = AttentionPooling1D(hidden, name="question_pooling")(q, mask=q_mask)

    p = drop(embed([p_chars, p_words]))
    p = keras.layers.Dense(hidden, use_bias=False, name="fuse_question")(BroadcastConcat()([p, q_vector]))
    for i, rate in enumerate(passage_rates):
        p = DilatedGatedConv1D(hidden, rate, kernel_size, gate_noise, name=f"passage_dgc{i}_r{rate}")(p, mask=p_mask)
    p = BroadcastConcat()([p, q_vector])

    has_answer = keras.layers.Dense(1, activation="sigmoid", name="has_answer")(
        AttentionPooling1D(hidden, name="passage_pooling")(p, mask=p_mask))
    start = keras.layers.Dense(1, activation="sigmoid", name="start")(p)
    end = keras.layers.Dense(1, activation="sigmoid", name="end")(p)
    probs = ops.concatenate([start, end], axis=-1) * ops.expand_dims(has_answer, 1)
    probs = probs * ops.expand_dims(ops.cast(p_mask, probs.dtype), -1)
    return keras.Model([q_chars, q_words, p_chars, p_words], probs, name=name)


def receptive_field_width(rates, kernel_size: int = 3) -> int:
    """How many input positions one output of a stack of stride-1 convolutions sees:
    ``1 + (kernel_size - 1) * sum(rates)``."""
    rates = _rates(rates, "rates")
    kernel_size = positive_int(kernel_size, "kernel_size")
    return 1 + (kernel_size - 1) * sum(rates)


def input_influence(layer_stack, x, position: int) -> np.ndarray:
    """``|d output[position] / d x|`` summed over channels, for one example ``x`` of
    shape ``(length, channels)``: which input positions move the output at
    ``position``. ``layer_stack`` is a callable on ``(1, length, channels)``."""
    checks.instance_of(layer_stack, "layer_stack", Callable, "callable")
    position = checks.integer(position, "position")
    x = np.asarray(x, dtype="float32")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (length, channels), got {x.shape}")
    if not 0 <= position < x.shape[0]:
        raise ValueError(f"position must be in [0, {x.shape[0]}), got {position}")
    xt = tf.constant(x[None])
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = ops.sum(layer_stack(xt)[0, position])
    grad = tape.gradient(out, xt)
    return np.abs(grad.numpy()[0]).sum(-1)
