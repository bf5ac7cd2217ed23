"""Unit tests of blogcode.accumulation.cost (chapter: Gradient accumulation): the three timed steps,
the memory measured in a fresh process, the ratios, and bad input. No test asserts a time: the machine
is shared; memory is asserted only in the direction the chapter states."""

import math

import numpy as np

import pytest

import keras

from blogcode.accumulation.experiments import article_mlp
from blogcode.accumulation.cost import accumulation_cost, peak_memory, step_times, training_step


@pytest.mark.parametrize("call, error, word", [
    (lambda: step_times(0, 4, 8, 1), ValueError, "micro_batch"),
    (lambda: step_times(4, 1, 8, 1), ValueError, "steps"),
    (lambda: step_times(4, 4.0, 8, 1), TypeError, "steps"),
    (lambda: step_times(4, 4, "8", 1), TypeError, "calls"),
    (lambda: step_times(4, 4, 8, 0), ValueError, "repeat"),
    (lambda: peak_memory(0, 1, 1), ValueError, "batch"),
    (lambda: peak_memory(8, 1, 1.5), TypeError, "calls"),
    (lambda: accumulation_cost(4, 1, 8, 1), ValueError, "steps"),
    (lambda: training_step("adam"), TypeError, "optimizer"),
    (lambda: training_step(keras.optimizers.Adam(), model="mlp"), TypeError, "model"),
])
def test_rejects_bad_input(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_step_times_names_the_three_steps():
    times = step_times(4, 2, calls=4, repeat=1)
    assert list(times) == ["plain step, batch b", "accumulation step, batch b", "plain step, batch n*b"]
    assert all(t > 0 and math.isfinite(t) for t in times.values())


def test_accumulation_cost_ratios_and_memory():
    cost = accumulation_cost(64, 32, calls=32, repeat=1)
    t, m = cost["times"], cost["memory"]
    assert cost["micro-step ratio"] == pytest.approx(t["accumulation step, batch b"] / t["plain step, batch b"])
    assert cost["update ratio"] == pytest.approx(32 * t["accumulation step, batch b"] / t["plain step, batch n*b"])
    assert m["batch n*b"]["device"] in ("CPU", "GPU") and m["n x b accumulated"]["increase"] > 0
    assert cost["memory ratio"] == pytest.approx(m["batch n*b"]["increase"] / m["n x b accumulated"]["increase"])
    assert cost["memory ratio"] > 1      # a batch of 2,048 needs more than 32 accumulated batches of 64
    # ... though not 32 times more: both hold Adam's moments, and accumulation adds its accumulators
    assert cost["memory ratio"] < 32
    adam_state = 2 * 4 * sum(int(np.prod(w.shape)) for w in article_mlp(seed=0).weights)
    assert m["n x b accumulated"]["increase"] > 1.5 * adam_state     # moments + accumulators (+ the step)


def test_training_step_trains_the_article_mlp():
    import tensorflow as tf
    step = training_step(keras.optimizers.Adam(1e-3))
    x, y = tf.random.stateless_uniform((16, 784), seed=(0, 1)), tf.range(16) % 10
    losses = [float(step(x, y)) for _ in range(20)]
    assert losses[-1] < losses[0]
