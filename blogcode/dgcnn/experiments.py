"""The chapter's experiments: training DGCNN with dev scores after every epoch, and measuring receptive fields by gradient.

Chapter: "DGCNN, a convolutional reading-comprehension model" (article 6906,
book/dgcnn.md). The model is :func:`blogcode.dgcnn.model.build_dgcnn`; the loss and the
weight average are in :mod:`blogcode.dgcnn.training`; the decoding and the Sogou metric
in :mod:`blogcode.dgcnn.metric`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from blogcode import checks, set_seed
from blogcode.checks import positive_int
from blogcode.dgcnn.layers import DilatedGatedConv1D
from blogcode.dgcnn.metric import answer_questions, reference_answers, sogou_score
from blogcode.dgcnn.model import input_influence
from blogcode.dgcnn.training import WeightEMA, focal_loss
from blogcode.optimizers.radam import RAdam

__all__ = ["train_dgcnn", "influence_rows"]


def train_dgcnn(model, train_inputs, train_labels, dev_records, encoder, question_maxlen: int,
                passage_maxlen: int, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3,
                ema_momentum: float = 0.999, log=print):
    """Train with RAdam and the focal loss, keep an EMA of the weights, and after every
    epoch score the dev records on the *averaged* weights (the raw weights are put back
    before training goes on). Returns ``(history, ema)``; ``history`` has per-epoch
    ``loss``, ``accuracy``, ``f1``, ``final`` and ``seconds``."""
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


def influence_rows(rates, length: int = 101, channels: int = 8, seed: int = 0) -> np.ndarray:
    """Row l: ``|d output_centre / d input|`` (summed over channels) after the first
    l + 1 blocks of a stack of :class:`DilatedGatedConv1D` with random weights and
    the given dilation ``rates``; shape ``(len(rates), length)``."""
    rates = [positive_int(r, f"rates[{i}]") for i, r in enumerate(checks.nonempty(rates, "rates"))]
    length = positive_int(length, "length")
    channels = positive_int(channels, "channels")
    seed = checks.integer(seed, "seed", minimum=0)
    set_seed(seed)
    blocks = [DilatedGatedConv1D(channels, r) for r in rates]
    x = np.random.default_rng(seed).normal(size=(length, channels)).astype("float32")
    rows = []
    for depth in range(1, len(rates) + 1):
        stack = keras.Sequential([keras.Input((None, channels))] + blocks[:depth])
        rows.append(input_influence(stack, x, position=length // 2))
    return np.array(rows)
