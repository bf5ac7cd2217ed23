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
from blogcode.dgcnn.layers import (AttentionPooling1D, BroadcastConcat, DilatedGatedConv1D, MixEmbedding,
                                   PositionEmbedding, check_rate)

__all__ = ["build_dgcnn", "uses_features", "receptive_field_width", "input_influence"]


def _rates(rates, name: str) -> tuple[int, ...]:
    """A non-empty sequence of dilation rates, each an int >= 1."""
    return tuple(positive_int(r, f"{name}[{i}]") for i, r in enumerate(checks.nonempty(rates, name)))


def build_dgcnn(vocab_size: int, word_dim: int = 100, hidden: int = 128,
                question_rates=(1, 2, 1), passage_rates=(1, 2, 4, 8, 16, 1),
                gate_dropout: float = 0.1, gate_noise: float = 0.0, dropout: float = 0.1,
                kernel_size: int = 3, features: int = 0, position_dim: int = 0, max_length: int = 512,
                name: str = "dgcnn") -> keras.Model:
    """The released model, with the 2018 model's extras as options. Inputs: question
    char ids ``(batch, Lq)``, question word vectors ``(batch, Lq, word_dim)``, passage
    char ids ``(batch, Lp)``, passage word vectors ``(batch, Lp, word_dim)`` and, when
    ``features > 0``, the hand-crafted passage features ``(batch, Lp, features)``
    (:func:`blogcode.dgcnn.features.passage_features`), concatenated to the passage's
    embedding. ``position_dim > 0`` concatenates a learned position embedding of that
    width to both embeddings (:class:`PositionEmbedding`, ``max_length`` rows). The
    gate regularisers are :class:`DilatedGatedConv1D`'s. Output ``(batch, Lp, 2)``:
    start and end probabilities, each already multiplied by the passage's "has answer"
    score, zero on padding."""
    vocab_size = positive_int(vocab_size, "vocab_size")
    word_dim = positive_int(word_dim, "word_dim")
    hidden = positive_int(hidden, "hidden")
    question_rates = _rates(question_rates, "question_rates")
    passage_rates = _rates(passage_rates, "passage_rates")
    dropout = check_rate(dropout, "dropout")
    gate = {"gate_dropout": check_rate(gate_dropout, "gate_dropout"), "gate_noise": check_rate(gate_noise, "gate_noise")}
    positive_int(kernel_size, "kernel_size")
    features = checks.integer(features, "features", minimum=0)
    position_dim = checks.integer(position_dim, "position_dim", minimum=0)
    max_length = positive_int(max_length, "max_length")
    checks.string(name, "name", allow_empty=False)

    q_chars = keras.Input((None,), dtype="int32", name="question_chars")
    q_words = keras.Input((None, word_dim), name="question_words")
    p_chars = keras.Input((None,), dtype="int32", name="passage_chars")
    p_words = keras.Input((None, word_dim), name="passage_words")
    inputs = [q_chars, q_words, p_chars, p_words]
    q_mask = ops.greater(q_chars, 0)
    p_mask = ops.greater(p_chars, 0)

    embed = MixEmbedding(vocab_size, hidden, name="mix_embedding")  # shared by both sides
    drop = keras.layers.Dropout(dropout)
    q, p = drop(embed([q_chars, q_words])), drop(embed([p_chars, p_words]))
    if position_dim:
        position = PositionEmbedding(max_length, position_dim, name="position_embedding")  # shared too
        q, p = position(q), position(p)
    if features:
        p_features = keras.Input((None, features), name="passage_features")
        inputs.append(p_features)
        p = keras.layers.Concatenate(name="with_features")([p, p_features])
    if position_dim:  # back to the blocks' width, as the passage side's fuse_question does
        q = keras.layers.Dense(hidden, use_bias=False, name="question_in")(q)
    for i, rate in enumerate(question_rates):
        q = DilatedGatedConv1D(hidden, rate, kernel_size, **gate, name=f"question_dgc{i}_r{rate}")(q, mask=q_mask)
    q_vector = AttentionPooling1D(hidden, name="question_pooling")(q, mask=q_mask)

    p = keras.layers.Dense(hidden, use_bias=False, name="fuse_question")(BroadcastConcat()([p, q_vector]))
    for i, rate in enumerate(passage_rates):
        p = DilatedGatedConv1D(hidden, rate, kernel_size, **gate, name=f"passage_dgc{i}_r{rate}")(p, mask=p_mask)
    p = BroadcastConcat()([p, q_vector])

    has_answer = keras.layers.Dense(1, activation="sigmoid", name="has_answer")(
        AttentionPooling1D(hidden, name="passage_pooling")(p, mask=p_mask))
    start = keras.layers.Dense(1, activation="sigmoid", name="start")(p)
    end = keras.layers.Dense(1, activation="sigmoid", name="end")(p)
    probs = ops.concatenate([start, end], axis=-1) * ops.expand_dims(has_answer, 1)
    probs = probs * ops.expand_dims(ops.cast(p_mask, probs.dtype), -1)
    return keras.Model(inputs, probs, name=name)


def uses_features(model) -> bool:
    """Whether ``model`` (from :func:`build_dgcnn`) takes the hand-crafted passage features."""
    checks.instance_of(model, "model", keras.Model)
    return any(t.name.startswith("passage_features") for t in model.inputs)


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
