"""What gradient accumulation costs in time and saves in memory, measured side by
side, for the chapter "Gradient accumulation" (``book/accumulation.md``, section
"What it costs") and ``benchmarks/accumulation.py``.

Model: the article's MNIST MLP (``article_mlp``) with Adam, on random inputs of
MNIST's shape (speed and memory do not depend on the values).

* ``training_step``: one compiled training step of the article's MLP;
* ``step_times``: one compiled training step at the micro-batch size ``b``, plain Adam
  against ``GradientAccumulation(Adam, n)``, and one plain step at batch ``n b``;
  interleaved, the best of ``repeat`` rounds, in this process.
* ``peak_memory``: the peak of TensorFlow's allocator while training one
  configuration, above what the model's weights took: the optimizer's state (Adam's
  two moments, and the accumulators of ``GradientAccumulation``) plus what a step
  needs. Measured in a fresh process so that no other allocation counts (on the CPU
  with TensorFlow's BFC allocator switched on for its statistics).
* ``accumulation_cost``: both, and the three ratios the chapter discusses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from blogcode import checks

__all__ = ["training_step", "step_times", "peak_memory", "accumulation_cost"]

_MEMORY_CHILD = """
import json, sys
import keras
import tensorflow as tf
from blogcode.accumulation.cost import training_step
from blogcode.accumulation.experiments import article_mlp
from blogcode.optimizers.accumulation import GradientAccumulation

batch, steps, calls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
gpu = bool(tf.config.list_physical_devices("GPU"))
device = "GPU:0" if gpu else "CPU:0"
model = article_mlp(seed=0)
# The baseline is the weights alone: the optimizer's state (Adam's moments, the
# accumulators) is built below and counts, since accumulation adds to it.
tf.config.experimental.reset_memory_stats(device)
base = tf.config.experimental.get_memory_info(device)["current"]
optimizer = keras.optimizers.Adam() if steps == 1 else GradientAccumulation(keras.optimizers.Adam(), steps)
step = training_step(optimizer, model)
step.get_concrete_function(tf.TensorSpec((batch, 784)), tf.TensorSpec((batch,), tf.int32))
x = tf.random.uniform((batch, 784))
y = tf.random.uniform((batch,), maxval=10, dtype=tf.int32)
for _ in range(calls):
    step(x, y).numpy()
peak = tf.config.experimental.get_memory_info(device)["peak"]
print(json.dumps({"device": "GPU" if gpu else "CPU", "increase": peak - base}))
"""


def training_step(optimizer, model=None):
    """A ``tf.function(x, y) -> loss`` that makes one training step of ``model``
    (default: a fresh ``article_mlp``, seed 0) with ``optimizer``, which is built on
    the model's weights here."""
    import keras
    import tensorflow as tf

    from blogcode.accumulation.experiments import article_mlp

    checks.instance_of(optimizer, "optimizer", keras.optimizers.Optimizer, "a keras.optimizers.Optimizer")
    if model is None:
        model = article_mlp(seed=0)
    checks.instance_of(model, "model", keras.Model, "a keras.Model")
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    return step


def peak_memory(batch: int, steps: int, calls: int) -> dict:
    """``{"device", "increase"}``: the bytes TensorFlow's allocator peaked above the
    model's weights (so the optimizer's state counts) while making ``calls`` training
    steps at ``batch``, with plain Adam (``steps = 1``) or accumulating ``steps``
    micro-batches, in a fresh process."""
    batch, steps, calls = (checks.positive_int(v, n) for v, n in ((batch, "batch"), (steps, "steps"), (calls, "calls")))
    # The BFC allocator on the CPU keeps the statistics that get_memory_info reads.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CPU_ALLOCATOR_USE_BFC": "true"}
    child = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(batch), str(steps), str(calls)],
                           capture_output=True, text=True, env=env)
    if child.returncode != 0:
        raise RuntimeError(f"memory measurement failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def step_times(micro_batch: int, steps: int, calls: int, repeat: int) -> dict:
    """Seconds per call of three compiled training steps of the article's MLP:
    ``"plain step, batch b"``, ``"accumulation step, batch b"`` (one micro-batch of
    ``GradientAccumulation(Adam, steps)``) and ``"plain step, batch n*b"``; the best
    of ``repeat`` interleaved rounds of ``calls`` calls (``calls // steps`` at n*b)."""
    micro_batch, calls, repeat = (checks.positive_int(v, n) for v, n in
                                  ((micro_batch, "micro_batch"), (calls, "calls"), (repeat, "repeat")))
    steps = checks.integer(steps, "steps", minimum=2)
    import keras
    import tensorflow as tf

    from blogcode.optimizers.accumulation import GradientAccumulation

    def data(batch):
        return tf.random.uniform((batch, 784)), tf.random.uniform((batch,), maxval=10, dtype=tf.int32)

    micro, large = data(micro_batch), data(micro_batch * steps)
    runs = {
        "plain step, batch b": (training_step(keras.optimizers.Adam()), micro, calls),
        "accumulation step, batch b": (training_step(GradientAccumulation(keras.optimizers.Adam(), steps)), micro, calls),
        "plain step, batch n*b": (training_step(keras.optimizers.Adam()), large, max(1, calls // steps)),
    }
    for step, (x, y), _ in runs.values():     # trace and warm up
        for _ in range(steps):
            step(x, y)
        step(x, y).numpy()
    best = {name: float("inf") for name in runs}
    for _ in range(repeat):
        for name, (step, (x, y), n_calls) in runs.items():
            start = time.perf_counter()
            for _ in range(n_calls):
                loss = step(x, y)
            loss.numpy()
            best[name] = min(best[name], (time.perf_counter() - start) / n_calls)
    return best


def accumulation_cost(micro_batch: int, steps: int, calls: int, repeat: int) -> dict:
    """``step_times`` and ``peak_memory`` (batch n*b plain; n × b accumulated), with
    the ratios: accumulating micro-step / plain step at b, one accumulated update
    (n micro-steps) / one step at n*b, and peak memory at n*b / accumulated."""
    times = step_times(micro_batch, steps, calls, repeat)
    n, b = steps, micro_batch
    large = peak_memory(n * b, 1, 3)
    accumulated = peak_memory(b, n, 3 * n)
    return {
        "times": times,
        "memory": {"batch n*b": large, "n x b accumulated": accumulated},
        "micro-step ratio": times["accumulation step, batch b"] / times["plain step, batch b"],
        "update ratio": n * times["accumulation step, batch b"] / times["plain step, batch n*b"],
        "memory ratio": large["increase"] / max(accumulated["increase"], 1),
    }
