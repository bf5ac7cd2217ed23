"""Unit tests of blogcode.lookahead.cost (chapter: Lookahead and LazyOptimizer): every wrapper's
training step runs and learns, the timing returns one positive time per optimizer, and bad input.
No test asserts a time or a ratio: the machine is shared."""

import numpy as np
import pytest
import tensorflow as tf

from blogcode.lookahead.cost import WRAPPED_OPTIMIZERS, step_times, training_step


@pytest.mark.parametrize("call, error, word", [
    (lambda: step_times(vocab=0), ValueError, "vocab"),
    (lambda: step_times(dim=2.0), TypeError, "dim"),
    (lambda: step_times(batch=True), TypeError, "batch"),
    (lambda: step_times(maxlen=-1), ValueError, "maxlen"),
    (lambda: step_times(steps=0), ValueError, "steps"),
    (lambda: step_times(repeat="2"), TypeError, "repeat"),
    (lambda: training_step("SGD", tf.zeros((2, 3), tf.int32), tf.zeros((2, 1)), 10, 4), ValueError, "name"),
    (lambda: training_step("Adam", tf.zeros((2, 3), tf.int32), tf.zeros((2, 1)), 0, 4), ValueError, "vocab"),
])
def test_rejects_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


@pytest.mark.parametrize("name", list(WRAPPED_OPTIMIZERS))
def test_every_wrapped_step_trains(name):
    x = tf.constant(np.random.default_rng(0).integers(0, 50, (8, 5)), tf.int32)
    y = tf.constant((np.arange(8) % 2)[:, None], tf.float32)
    step = training_step(name, x, y, vocab=50, dim=4)
    losses = [float(step()) for _ in range(30)]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_step_times_one_positive_time_per_optimizer():
    times = step_times(vocab=100, dim=4, batch=4, maxlen=5, steps=2, repeat=1)
    assert list(times) == list(WRAPPED_OPTIMIZERS) and all(t > 0 and np.isfinite(t) for t in times.values())
