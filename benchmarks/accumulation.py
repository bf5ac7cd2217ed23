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
import sys


from blogcode.accumulation.cost import peak_memory, step_times  # noqa: E402


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
    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}; b = {b}, n = {n}, n*b = {n * b}; Adam on the article's MLP"
          + (" (--quick)" if args.quick else ""))
    t = step_times(b, n, args.calls, args.repeat)
    for name, seconds in t.items():
        print(f"  {name:28s} {1e3 * seconds:8.3f} ms per call")
    print(f"time per micro-batch, accumulation / plain step at batch b: "
          f"{t['accumulation step, batch b'] / t['plain step, batch b']:.2f}")
    print(f"time per update, n accumulated micro-batches / one batch of n*b: "
          f"{n * t['accumulation step, batch b'] / t['plain step, batch n*b']:.2f}")
    # One fresh process after the other, after the timing, so that nothing competes with it.
    big, acc = peak_memory(n * b, 1, 3), peak_memory(b, n, 3 * n)
    mib = 2.0**20
    print(f"peak memory above the weights and slots ({big['device']}): batch n*b {big['increase'] / mib:.1f} MiB, "
          f"n x b accumulated {acc['increase'] / mib:.1f} MiB")
    print(f"peak memory, batch n*b / accumulated n x b: {big['increase'] / max(acc['increase'], 1):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
