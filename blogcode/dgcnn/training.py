"""Training DGCNN: the focal loss of the release and an exponential moving average of the weights.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906,
book/dgcnn.md). The training run that uses them (RAdam, dev scores after every epoch)
is :func:`blogcode.dgcnn.experiments.train_dgcnn`.
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf
from keras import ops

from blogcode import checks
from blogcode.dgcnn.layers import check_rate

__all__ = ["FocalLoss", "focal_loss", "WeightEMA"]

_AVERAGES = ("batch", "passage")


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
        self.momentum = check_rate(momentum, "momentum")
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
