"""DGCNN: a reading-comprehension model made of dilated gated convolutions.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, and the
2018 model of article 5409). The data side (cloze questions over People's Daily, the
word-vector reader, the character encoder) is in :mod:`blogcode.dgcnn.data`; RAdam is in
:mod:`blogcode.optimizers.radam`.

Contents, in the order the chapter uses them:

* layers: :class:`MixEmbedding`, :class:`DilatedGatedConv1D`, :class:`AttentionPooling1D`,
  :class:`BroadcastConcat`, and :func:`build_dgcnn`; :func:`receptive_field` and
  :func:`input_influence` (which inputs move one output);
* training: :func:`focal_loss` and :class:`WeightEMA` (exponential moving average of the
  weights, swapped in for evaluation and swapped back out afterwards);
* :func:`train_dgcnn`, which scores the dev set after every epoch.

The data format ``{id, question, passages: [{passage, answer}]}`` (:func:`load_qa_records`,
:func:`label_spans`) is in :mod:`blogcode.dgcnn.data`; decoding (:func:`decode_spans`,
:func:`vote`, :func:`answer_questions`) and the Sogou metric (:func:`sogou_score`) are in
:mod:`blogcode.dgcnn.metric`. Both are re-exported here.

Masks are 1/True on real characters and 0 on padding; character id 0 is padding.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from blogcode import checks
from blogcode.checks import positive_int
from blogcode.dgcnn.data import IGNORE, load_qa_records, label_spans
from blogcode.dgcnn.metric import (SOGOU_PUNCTUATION, answer_f1, answer_questions, best_answer, char_f1,
                                   decode_spans, exact_match, normalize_answer, probability_window,
                                   reference_answers, sogou_score, vote)

__all__ = [
    "load_qa_records",
    "label_spans",
    "MixEmbedding",
    "DilatedGatedConv1D",
    "AttentionPooling1D",
    "BroadcastConcat",
    "build_dgcnn",
    "receptive_field",
    "input_influence",
    "FocalLoss",
    "focal_loss",
    "WeightEMA",
    "decode_spans",
    "vote",
    "best_answer",
    "answer_questions",
    "reference_answers",
    "probability_window",
    "train_dgcnn",
    "SOGOU_PUNCTUATION",
    "normalize_answer",
    "char_f1",
    "exact_match",
    "answer_f1",
    "sogou_score",
]


# --------------------------------------------------------------------------- layers


_AVERAGES = ("batch", "passage")


def _rate(value, name: str) -> float:
    """A dropout or noise rate: a float in [0, 1)."""
    return checks.real(value, name, minimum=0.0, maximum=1.0, exclusive_maximum=True)


def _float_mask(mask, like):
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
    ``g = sigmoid(g_logits (1 + eps))``, ``eps ~ U(-gate_noise, gate_noise)`` in
    training only (the 2018 regulariser). Padding is zeroed on the way in and out,
    so it never leaks into real positions. If the input width differs from
    ``filters`` a 1x1 convolution projects the residual ``x``.

    Call as ``layer(x, mask=mask)`` with ``mask`` of shape ``(batch, length)``."""

    def __init__(self, filters: int, dilation_rate: int = 1, kernel_size: int = 3,
                 gate_noise: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters")
        self.dilation_rate = positive_int(dilation_rate, "dilation_rate")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.gate_noise = _rate(gate_noise, "gate_noise")
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
            x = x * _float_mask(mask, x)
        h, gate_logits = ops.split(self.conv(x), 2, axis=-1)
        if training and self.gate_noise > 0:
            noise = keras.random.uniform(ops.shape(gate_logits), -self.gate_noise, self.gate_noise,
                                         seed=self.noise_seed)
            gate_logits = gate_logits * (1 + noise)
        gate = ops.sigmoid(gate_logits)
        if self.projection is not None:
            x = self.projection(x)
        y = x * (1 - gate) + h * gate
        if mask is not None:
            y = y * _float_mask(mask, y)
        return y

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "dilation_rate": self.dilation_rate,
                "kernel_size": self.kernel_size, "gate_noise": self.gate_noise}


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
    dropout = _rate(dropout, "dropout")
    _rate(gate_noise, "gate_noise")
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


def receptive_field(rates, kernel_size: int = 3) -> int:
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


# --------------------------------------------------------------------------- training


@keras.saving.register_keras_serializable(package="blogcode")
class FocalLoss(keras.losses.Loss):
    """Binary focal loss on start/end probabilities,
    ``-alpha y (1-p)^gamma log p - (1-alpha)(1-y) p^gamma log(1-p)``, over the real
    positions (labels equal to ``IGNORE`` (-1) mark padding), summed over the two heads
    and multiplied by ``scale``.

    ``average="batch"`` (the released code's): each head's sum over all real positions of
    the batch divided by their number, so a long passage weighs more than a short one.
    ``average="passage"``: a mean over each passage's real positions, then a mean over the
    passages. The author's defaults are ``average="batch"``, ``scale=100``."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, average: str = "batch",
                 scale: float = 100.0, name: str = "focal_loss", **kwargs):
        alpha = checks.probability(alpha, "alpha")
        gamma = checks.real(gamma, "gamma", minimum=0.0)
        average = checks.one_of(average, "average", _AVERAGES)
        scale = checks.positive_real(scale, "scale")
        super().__init__(name=name, **kwargs)
        self.alpha, self.gamma, self.average, self.scale = alpha, gamma, average, scale

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        real = ops.cast(ops.greater_equal(y_true, 0), y_pred.dtype)
        y = y_true * real
        p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
        loss = -(self.alpha * y * (1 - p) ** self.gamma * ops.log(p)
                 + (1 - self.alpha) * (1 - y) * p ** self.gamma * ops.log(1 - p))
        per_passage = ops.sum(loss * real, axis=1)                      # (batch, heads)
        if self.average == "passage":
            per_head = per_passage / ops.maximum(ops.sum(real, axis=1), 1.0)
        else:
            # Keras averages what call() returns over the batch, so each passage carries
            # batch / (real positions of the batch): the mean is sum / real positions.
            batch = ops.cast(ops.shape(real)[0], y_pred.dtype)
            per_head = per_passage * batch / ops.maximum(ops.sum(real, axis=(0, 1)), 1.0)
        return self.scale * ops.sum(per_head, axis=-1)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma,
                "average": self.average, "scale": self.scale}


def focal_loss(alpha: float = 0.25, gamma: float = 2.0, average: str = "batch",
               scale: float = 100.0) -> FocalLoss:
    """The loss of the released code (alpha 0.25, gamma 2, mean over the batch's real
    positions, x100), as a Keras loss; ``average="passage", scale=1`` is this chapter's
    earlier per-passage mean."""
    return FocalLoss(alpha, gamma, average, scale)


class WeightEMA(keras.callbacks.Callback):
    """Exponential moving average of a model's trainable weights.

    ``shadow <- d shadow + (1 - d) weight`` after every training batch, with
    ``d = min(momentum, (1 + t) / (10 + t))`` (as ``tf.train.ExponentialMovingAverage``
    with ``num_updates``) so that a short run is not dominated by the initial weights.
    Use as a ``fit`` callback, or call :meth:`update` in a custom loop after
    :meth:`set_model`. ``with ema.averaged(): ...`` evaluates on the averaged weights
    and restores the raw weights afterwards (training continues from them)."""

    def __init__(self, momentum: float = 0.999):
        super().__init__()
        self.momentum = _rate(momentum, "momentum")
        self.updates = 0
        self.shadows = None

    def _ensure_shadows(self):
        if self.model is None:
            raise ValueError("model is not set: call set_model(model) or pass the callback to fit")
        if self.shadows is None:
            self.shadows = [tf.Variable(w.numpy(), trainable=False) for w in self.model.trainable_weights]

    def on_train_begin(self, logs=None):
        self._ensure_shadows()

    def update(self):
        self._ensure_shadows()
        self.updates += 1
        decay = min(self.momentum, (1 + self.updates) / (10 + self.updates))
        for shadow, weight in zip(self.shadows, self.model.trainable_weights):
            shadow.assign(decay * shadow + (1 - decay) * tf.convert_to_tensor(weight))

    def on_train_batch_end(self, batch, logs=None):
        self.update()

    @contextlib.contextmanager
    def averaged(self):
        self._ensure_shadows()
        raw = [w.numpy() for w in self.model.trainable_weights]
        for weight, shadow in zip(self.model.trainable_weights, self.shadows):
            weight.assign(shadow)
        try:
            yield self.model
        finally:
            for weight, value in zip(self.model.trainable_weights, raw):
                weight.assign(value)


def train_dgcnn(model, train_inputs, train_labels, dev_records, encoder, question_maxlen: int,
                passage_maxlen: int, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3,
                ema_momentum: float = 0.999, log=print):
    """Train with RAdam and the focal loss, keep an EMA of the weights, and after every
    epoch score the dev records on the *averaged* weights (the raw weights are put back
    before training goes on). Returns ``(history, ema)``; ``history`` has per-epoch
    ``loss``, ``accuracy``, ``f1``, ``final`` and ``seconds``."""
    from blogcode.optimizers.radam import RAdam  # noqa: PLC0415 (keeps this module light)

    checks.instance_of(model, "model", keras.Model)
    question_maxlen = positive_int(question_maxlen, "question_maxlen")
    passage_maxlen = positive_int(passage_maxlen, "passage_maxlen")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    learning_rate = checks.positive_real(learning_rate, "learning_rate")
    if log is not None:
        checks.instance_of(log, "log", Callable, "callable or None")
    refs = reference_answers(dev_records)
    model.compile(optimizer=RAdam(learning_rate), loss=focal_loss(), jit_compile=False)
    ema = WeightEMA(ema_momentum)
    history = {"loss": [], "accuracy": [], "f1": [], "final": [], "seconds": []}
    for epoch in range(epochs):
        began = time.perf_counter()
        fit = model.fit(train_inputs, train_labels, batch_size=batch_size, epochs=1,
                        callbacks=[ema], verbose=0)
        with ema.averaged():
            predictions, _ = answer_questions(model, dev_records, encoder, question_maxlen, passage_maxlen)
        accuracy, f1, final = sogou_score(predictions, refs)
        for key, value in zip(history, (fit.history["loss"][0], accuracy, f1, final,
                                        time.perf_counter() - began)):
            history[key].append(float(value))
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f}, dev acc {accuracy:.3f}, "
                f"F1 {f1:.3f}, final {final:.3f} ({history['seconds'][-1]:.0f} s)")
    return history, ema
