"""Gradient accumulation: time per micro-batch and peak memory, measured side by side.

Chapter: "Gradient accumulation" (book/accumulation.md). Run from the repository root:

    .venv/bin/python benchmarks/accumulation.py [--micro-batch 64] [--steps 32] [--repeat 5]
    .venv/bin/python benchmarks/accumulation.py --quick    # small settings for CI, well under a minute

Model: the article's MNIST MLP (784 -> 512 -> 512 -> 10, dropout 0.2) with Adam, on
random inputs of MNIST's shape (speed and memory do not depend on the values).

1. Time: one compiled training step (forward, backward, optimizer) at the micro-batch
   size b, plain Adam vs GradientAccumulation(Adam, n); and one update of batch n*b
   vs n accumulated micro-batches of b. Interleaved, best of --repeat, one process.
2. Memory: each configuration runs in its own fresh process (batch n*b plain, and
   n x b accumulated); the peak of TensorFlow's allocator during training, above what
   was allocated before the first step (the weights and optimizer slots), is reported
   (on the CPU with TensorFlow's BFC allocator switched on for its statistics). The
   ratio is what accumulation saves.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


MEMORY_CHILD = """
import json, sys
import numpy as np
import tensorflow as tf
import keras
from blogcode.accumulation.experiments import article_mlp
from blogcode.optimizers.accumulation import GradientAccumulation

batch, steps, calls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
gpu = bool(tf.config.list_physical_devices("GPU"))
model = article_mlp(seed=0)
optimizer = keras.optimizers.Adam() if steps == 1 else GradientAccumulation(keras.optimizers.Adam(), steps)
optimizer.build(model.trainable_variables)
loss_fn = keras.losses.SparseCategoricalCrossentropy()

@tf.function
def step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss

# Trace before measuring; the batch itself is created inside the measurement.
step.get_concrete_function(tf.TensorSpec((batch, 784)), tf.TensorSpec((batch,), tf.int32))
device = "GPU:0" if gpu else "CPU:0"      # CPU stats need TF_CPU_ALLOCATOR_USE_BFC=true (set by the parent)
tf.config.experimental.reset_memory_stats(device)
base = tf.config.experimental.get_memory_info(device)["current"]
x = tf.random.uniform((batch, 784))
y = tf.random.uniform((batch,), maxval=10, dtype=tf.int32)
for _ in range(calls):
    step(x, y).numpy()
peak = tf.config.experimental.get_memory_info(device)["peak"]
print(json.dumps({"device": "GPU" if gpu else "CPU", "increase": peak - base}))
"""


def start_memory_measurement(batch: int, steps: int, calls: int) -> subprocess.Popen:
    """A fresh process per configuration, so that neither sees the other's allocations."""
    # The BFC allocator on the CPU keeps the statistics that get_memory_info reads.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CPU_ALLOCATOR_USE_BFC": "true"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-c", MEMORY_CHILD, str(batch), str(steps), str(calls)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)


def memory_result(child: subprocess.Popen) -> dict:
    out, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"memory measurement failed:\n{err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def time_steps(micro_batch: int, steps: int, calls: int, repeat: int) -> dict:
    import keras
    import tensorflow as tf

    from blogcode.accumulation.experiments import article_mlp
    from blogcode.optimizers.accumulation import GradientAccumulation

    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def make_step(optimizer):
        model = article_mlp(seed=0)
        optimizer.build(model.trainable_variables)

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        return step

    def data(batch):
        return tf.random.uniform((batch, 784)), tf.random.uniform((batch,), maxval=10, dtype=tf.int32)

    micro, large = data(micro_batch), data(micro_batch * steps)
    runs = {
        "plain step, batch b": (make_step(keras.optimizers.Adam()), micro, calls),
        "accumulation step, batch b": (make_step(GradientAccumulation(keras.optimizers.Adam(), steps)), micro, calls),
        "plain step, batch n*b": (make_step(keras.optimizers.Adam()), large, max(1, calls // steps)),
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


# The measurement's settings, and the small ones of --quick (an explicit option wins).
DEFAULTS = dict(micro_batch=64, steps=32, calls=128, repeat=5)
QUICK = dict(micro_batch=16, steps=4, calls=16, repeat=2)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    helps = dict(micro_batch="b, the micro-batch size", steps="n, micro-batches per update",
                 calls="micro-batches per timing", repeat="timings per configuration (the best counts)")
    for name, default in DEFAULTS.items():
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=None,
                            help=f"{helps[name]} (default {default}, --quick {QUICK[name]})")
    parser.add_argument("--quick", action="store_true", help="small settings (CI): checks that it runs, "
                        "the ratios are noisier")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.micro_batch < 1 or args.steps < 2 or args.calls < args.steps or args.repeat < 1:
        parser.error("need --micro-batch >= 1, --steps >= 2, --calls >= --steps, --repeat >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    b, n = args.micro_batch, args.steps

    if args.quick:
        # Both memory children start now and run beside the timing; on a busy CPU that
        # makes the times noisier, which --quick accepts in exchange for its speed.
        children = [start_memory_measurement(n * b, 1, 3), start_memory_measurement(b, n, 3 * n)]

    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}; b = {b}, n = {n}, n*b = {n * b}; Adam on the article's MLP"
          + (" (--quick)" if args.quick else ""))
    t = time_steps(b, n, args.calls, args.repeat)
    for name, seconds in t.items():
        print(f"  {name:28s} {1e3 * seconds:8.3f} ms per call")
    print(f"time per micro-batch, accumulation / plain step at batch b: "
          f"{t['accumulation step, batch b'] / t['plain step, batch b']:.2f}")
    print(f"time per update, n accumulated micro-batches / one batch of n*b: "
          f"{n * t['accumulation step, batch b'] / t['plain step, batch n*b']:.2f}")

    if not args.quick:
        # One after the other, after the timing, so that nothing else competes with it.
        children = [start_memory_measurement(n * b, 1, 3)]
        big = memory_result(children[0])
        children = [start_memory_measurement(b, n, 3 * n)]
        acc = memory_result(children[0])
    else:
        big, acc = (memory_result(child) for child in children)
    mib = 2.0**20
    print(f"peak memory above the weights and slots ({big['device']}): batch n*b {big['increase'] / mib:.1f} MiB, "
          f"n x b accumulated {acc['increase'] / mib:.1f} MiB")
    print(f"peak memory, batch n*b / accumulated n x b: {big['increase'] / max(acc['increase'], 1):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
