"""DGCNN: a reading-comprehension model made of dilated gated convolutions.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906, and the
2018 model of article 5409). The data side (cloze questions over People's Daily, the
word-vector reader, the character encoder) is in :mod:`blogcode.dgcnn_data`; RAdam is in
:mod:`blogcode.optimizers.radam`.

Contents, in the order the chapter uses them:

* the data format ``{id, question, passages: [{passage, answer}]}``:
  :func:`load_qa_records` (validates, names the malformed record) and
  :func:`label_spans` (every occurrence of the answer is a start/end label);
* layers: :class:`MixEmbedding`, :class:`DilatedGatedConv1D`, :class:`AttentionPooling1D`,
  :class:`BroadcastConcat`, and :func:`build_dgcnn`; :func:`receptive_field` and
  :func:`input_influence` (which inputs move one output);
* training: :func:`focal_loss` and :class:`WeightEMA` (exponential moving average of the
  weights, swapped in for evaluation and swapped back out afterwards);
* decoding: :func:`decode_spans` (start x end inside one passage), :func:`vote` (across
  passages), :func:`answer_questions`;
* the Sogou metric: :func:`normalize_answer`, :func:`char_f1`, :func:`sogou_score`.

Masks are 1/True on real characters and 0 on padding; character id 0 is padding.
"""

from __future__ import annotations

import contextlib
import json
import math
import unicodedata
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from blogcode.checks import positive_int

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
    "normalize_answer",
    "char_f1",
    "sogou_score",
]

IGNORE = -1.0  # label value of padding positions: the loss skips them


# --------------------------------------------------------------------------- data format


def _record_name(index: int, record) -> str:
    rid = record.get("id") if isinstance(record, dict) else None
    return f"record {index}" + (f" (id {rid!r})" if rid is not None else "")


def _check_record(index: int, record) -> dict:
    name = _record_name(index, record)
    if not isinstance(record, dict):
        raise ValueError(f"{name}: must be an object, got {type(record).__name__}")
    missing = {"id", "question", "passages"} - set(record)
    if missing:
        raise ValueError(f"{name}: missing field(s) {sorted(missing)}")
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
        raise ValueError(f"{name}: 'id' must be a string or an int")
    if not isinstance(record["question"], str) or not record["question"].strip():
        raise ValueError(f"{name}: 'question' must be a non-empty string")
    passages = record["passages"]
    if not isinstance(passages, list) or not passages:
        raise ValueError(f"{name}: 'passages' must be a non-empty list")
    clean = []
    for j, item in enumerate(passages):
        where = f"{name}: passages[{j}]"
        if not isinstance(item, dict) or set(item) < {"passage", "answer"}:
            raise ValueError(f"{where} must be an object with 'passage' and 'answer'")
        passage, answer = item["passage"], item["answer"]
        if not isinstance(passage, str) or not passage:
            raise ValueError(f"{where}: 'passage' must be a non-empty string")
        if not isinstance(answer, str):
            raise ValueError(f"{where}: 'answer' must be a string ('' when the passage has none)")
        if answer and answer not in passage:
            raise ValueError(f"{where}: answer {answer!r} does not occur in its passage")
        clean.append({"passage": passage, "answer": answer})
    return {"id": record["id"], "question": record["question"], "passages": clean}


def load_qa_records(source) -> list[dict]:
    """Read and validate data in the article's JSON format: a list of
    ``{"id", "question", "passages": [{"passage", "answer"}]}``, ``answer`` being ``""``
    for a passage without the answer. ``source`` is a path, a JSON string or an
    already parsed list. A malformed record raises ``ValueError`` naming it."""
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("[")):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"source: no such file {str(path)!r} (and not a JSON list)")
        source = path.read_text(encoding="utf-8")
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as err:
            raise ValueError(f"source is not valid JSON: {err}") from None
    if not isinstance(source, list):
        raise TypeError(f"source must be a list of records, a JSON string or a path, got {type(source).__name__}")
    if not source:
        raise ValueError("source holds no records")
    records, seen = [], {}
    for i, record in enumerate(source):
        record = _check_record(i, record)
        if record["id"] in seen:
            raise ValueError(f"{_record_name(i, record)}: duplicate id (first used by record {seen[record['id']]})")
        seen[record["id"]] = i
        records.append(record)
    return records


def label_spans(passage: str, answer: str, maxlen: int) -> np.ndarray:
    """Start/end labels of shape ``(maxlen, 2)``: 1 at the first (column 0) and last
    (column 1) character of *every* occurrence of ``answer`` in the first ``maxlen``
    characters of ``passage``; 0 elsewhere; ``IGNORE`` (-1) on padding."""
    if not isinstance(passage, str) or not isinstance(answer, str):
        raise TypeError("passage and answer must be strings")
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise ValueError(f"maxlen must be a positive int, got {maxlen!r}")
    text = passage[:maxlen]
    labels = np.zeros((maxlen, 2), dtype="float32")
    labels[len(text):] = IGNORE
    if answer:
        start = text.find(answer)
        while start >= 0:
            labels[start, 0] = 1.0
            labels[start + len(answer) - 1, 1] = 1.0
            start = text.find(answer, start + 1)
    return labels


# --------------------------------------------------------------------------- layers


def _rate(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float, got {type(value).__name__}")
    if not 0.0 <= value < 1.0 or math.isnan(value):
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


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
    if not isinstance(rates, (list, tuple)) or not rates:
        raise ValueError(f"{name} must be a non-empty list of dilation rates")
    return tuple(positive_int(r, name) for r in rates)


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
    """Binary focal loss on start/end probabilities, averaged over real positions
    (labels equal to ``IGNORE`` (-1) mark padding) and summed over the two heads:
    ``-alpha y (1-p)^gamma log p - (1-alpha)(1-y) p^gamma log(1-p)``."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, name: str = "focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or gamma < 0:
            raise ValueError(f"gamma must be a number >= 0, got {gamma!r}")
        self.alpha, self.gamma = float(alpha), float(gamma)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        real = ops.cast(ops.greater_equal(y_true, 0), y_pred.dtype)
        y = y_true * real
        p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
        loss = -(self.alpha * y * (1 - p) ** self.gamma * ops.log(p)
                 + (1 - self.alpha) * (1 - y) * p ** self.gamma * ops.log(1 - p))
        per_head = ops.sum(loss * real, axis=1) / ops.maximum(ops.sum(real, axis=1), 1.0)
        return ops.sum(per_head, axis=-1)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma}


def focal_loss(alpha: float = 0.25, gamma: float = 2.0) -> FocalLoss:
    """The loss of the released code (alpha 0.25, gamma 2), as a Keras loss."""
    return FocalLoss(alpha, gamma)


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
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
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


# --------------------------------------------------------------------------- decoding


def _probabilities(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype="float64")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one probability per character), got shape {arr.shape}")
    if np.isnan(arr).any() or (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must hold probabilities in [0, 1] without NaN")
    return arr


def decode_spans(start_probs, end_probs, passage: str, max_span: int = 12,
                 threshold: float = 0.1) -> dict[str, float]:
    """Candidate answers of one passage: every span ``i..j`` with ``j - i < max_span``
    and both probabilities above ``threshold`` scores ``start[i] * end[j]``; a string
    that occurs several times keeps its best score. Returns ``{answer: score}``, best
    first."""
    start = _probabilities(start_probs, "start_probs")
    end = _probabilities(end_probs, "end_probs")
    if start.shape != end.shape:
        raise ValueError(f"start_probs and end_probs differ in length: {start.shape} vs {end.shape}")
    if not isinstance(passage, str):
        raise TypeError(f"passage must be a string, got {type(passage).__name__}")
    max_span = positive_int(max_span, "max_span")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    n = min(len(passage), len(start))
    scores: dict[str, float] = {}
    for i in np.flatnonzero(start[:n] > threshold):
        for j in range(i, min(i + max_span, n)):
            if end[j] > threshold:
                text, score = passage[i:j + 1], float(start[i] * end[j])
                scores[text] = max(score, scores.get(text, 0.0))
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def vote(passage_scores, squared: bool = True) -> dict[str, float]:
    """Combine the candidates of several passages: ``s_a = sum_i s_{a,i}^2 / (1 + sum_i
    s_{a,i})`` (``squared=False``: plain ``sum_i s_{a,i}``). Returns ``{answer: score}``,
    best first."""
    if not isinstance(passage_scores, (list, tuple)):
        raise TypeError(f"passage_scores must be a list of dicts, got {type(passage_scores).__name__}")
    sums, squares = Counter(), Counter()
    for k, scores in enumerate(passage_scores):
        if not isinstance(scores, dict):
            raise TypeError(f"passage_scores[{k}] must be a dict, got {type(scores).__name__}")
        for answer, s in scores.items():
            if not 0 <= s <= 1:
                raise ValueError(f"passage_scores[{k}][{answer!r}] = {s} is not a score in [0, 1]")
            sums[answer] += s
            squares[answer] += s * s
    combined = {a: (squares[a] / (1 + sums[a]) if squared else sums[a]) for a in sums}
    return dict(sorted(combined.items(), key=lambda kv: -kv[1]))


def best_answer(scores: dict[str, float]) -> str:
    """The top answer of :func:`vote`, or ``""`` when no span passed the threshold."""
    return next(iter(scores), "")


def answer_questions(model, records, encoder, question_maxlen: int, passage_maxlen: int,
                     max_span: int = 12, threshold: float = 0.1, batch_size: int = 256):
    """Run ``model`` on every (question, passage) pair of ``records`` and decode.
    ``encoder.encode(texts, maxlen)`` returns ``(char_ids, word_vectors)``. Returns
    ``(predictions, details)``: ``{id: answer}`` and, per id, the passages'
    probabilities and candidates (for error analysis)."""
    questions, passages, owners = [], [], []
    for r in records:
        for item in r["passages"]:
            questions.append(r["question"])
            passages.append(item["passage"])
            owners.append(r["id"])
    qc, qw = encoder.encode(questions, question_maxlen)
    pc, pw = encoder.encode(passages, passage_maxlen)
    probs = model.predict([qc, qw, pc, pw], batch_size=batch_size, verbose=0)
    per_id: dict = {}
    for k, (rid, text) in enumerate(zip(owners, passages)):
        text = text[:passage_maxlen]
        cands = decode_spans(probs[k, :len(text), 0], probs[k, :len(text), 1], text, max_span, threshold)
        per_id.setdefault(rid, []).append({"passage": text, "probs": probs[k, :len(text)], "candidates": cands})
    predictions, details = {}, {}
    for rid, items in per_id.items():
        scores = vote([it["candidates"] for it in items])
        predictions[rid] = best_answer(scores)
        details[rid] = {"passages": items, "votes": scores}
    return predictions, details


def reference_answers(records) -> dict:
    """``{id: [answers]}``: the distinct non-empty answers labelled in each record."""
    refs = {}
    for r in records:
        answers = sorted({p["answer"] for p in r["passages"] if p["answer"]})
        if answers:
            refs[r["id"]] = answers
    if not refs:
        raise ValueError("records: no record has a labelled answer")
    return refs


def probability_window(passage: str, probs, answer: str = "", width: int = 60) -> dict:
    """A window of ``width`` characters of ``passage`` for plotting ``probs`` (shape
    ``(length, 2)``: start, end), centred on the strongest start/end probability (or on
    the answer when the model marks nothing). Returns ``positions``, ``chars``,
    ``start``, ``end`` and ``in_answer`` (True on every occurrence of ``answer``)."""
    probs = np.asarray(probs, dtype="float64")
    if probs.ndim != 2 or probs.shape[1] != 2:
        raise ValueError(f"probs must have shape (length, 2), got {probs.shape}")
    if not isinstance(passage, str):
        raise TypeError(f"passage must be a string, got {type(passage).__name__}")
    width = positive_int(width, "width")
    n = min(len(passage), len(probs))
    if n == 0:
        raise ValueError("passage is empty")
    centre = int(np.argmax(probs[:n].sum(1))) if probs[:n].max() > 0 else max(passage.find(answer), 0) if answer else 0
    lo = max(0, min(centre - width // 2, n - width))
    hi = min(n, lo + width)
    in_answer = np.zeros(n, dtype=bool)
    k = passage.find(answer) if answer else -1
    while 0 <= k < n:
        in_answer[k:k + len(answer)] = True
        k = passage.find(answer, k + 1)
    return {"positions": np.arange(lo, hi), "chars": list(passage[lo:hi]), "start": probs[lo:hi, 0],
            "end": probs[lo:hi, 1], "in_answer": in_answer[lo:hi]}


def train_dgcnn(model, train_inputs, train_labels, dev_records, encoder, question_maxlen: int,
                passage_maxlen: int, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3,
                ema_momentum: float = 0.999, log=print):
    """Train with RAdam and the focal loss, keep an EMA of the weights, and after every
    epoch score the dev records on the *averaged* weights (the raw weights are put back
    before training goes on). Returns ``(history, ema)``; ``history`` has per-epoch
    ``loss``, ``accuracy``, ``f1``, ``final`` and ``seconds``."""
    from blogcode.optimizers.radam import RAdam  # noqa: PLC0415 (keeps this module light)
    import time  # noqa: PLC0415

    epochs = positive_int(epochs, "epochs")
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


# --------------------------------------------------------------------------- metric


def normalize_answer(text: str) -> str:
    """Sogou-style normalisation: full-width -> half-width, lower case, and no
    punctuation or whitespace."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            ch = " "
        elif 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        ch = ch.lower()
        if ch.isspace() or unicodedata.category(ch).startswith("P"):
            continue
        out.append(ch)
    return "".join(out)


def char_f1(prediction: str, reference: str) -> float:
    """Character-level F1 of two normalised strings (characters counted with multiplicity)."""
    common = sum((Counter(prediction) & Counter(reference)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(prediction), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def sogou_score(predictions: dict, references: dict) -> tuple[float, float, float]:
    """Sogou's factoid-QA metric: ``(accuracy, f1, final)`` with ``final = (accuracy +
    f1) / 2``. ``references`` maps an id to a list of acceptable answers (aliases); a
    prediction is correct when its normalised form equals any normalised alias, and its
    F1 is the best char-F1 over the aliases. A missing prediction counts as ``""``."""
    if not isinstance(predictions, dict):
        raise TypeError(f"predictions must be a dict id -> answer, got {type(predictions).__name__}")
    if not isinstance(references, dict):
        raise TypeError(f"references must be a dict id -> list of answers, got {type(references).__name__}")
    if not references:
        raise ValueError("references is empty: nothing to score")
    unknown = set(predictions) - set(references)
    if unknown:
        raise ValueError(f"predictions has ids that references lacks, e.g. {sorted(map(str, unknown))[:3]}")
    correct = f1_total = 0.0
    for rid, aliases in references.items():
        if isinstance(aliases, str) or not isinstance(aliases, (list, tuple)) or not aliases:
            raise ValueError(f"references[{rid!r}] must be a non-empty list of answers")
        if not all(isinstance(a, str) for a in aliases):
            raise ValueError(f"references[{rid!r}] must hold strings")
        prediction = predictions.get(rid, "")
        if not isinstance(prediction, str):
            raise ValueError(f"predictions[{rid!r}] must be a string")
        pred = normalize_answer(prediction)
        golds = [normalize_answer(a) for a in aliases]
        correct += float(any(pred == g for g in golds))
        f1_total += max(char_f1(pred, g) for g in golds)
    accuracy, f1 = correct / len(references), f1_total / len(references)
    return accuracy, f1, (accuracy + f1) / 2
