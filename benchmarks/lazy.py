"""Cost of the optimizer wrappers per training step, measured side by side.

Chapter: "Lookahead and LazyOptimizer" (book/lookahead.md). Run from the repository root:

    .venv/bin/python benchmarks/lazy.py [--vocab 20000] [--dim 128] [--batch 32] [--maxlen 80] [--steps 50] [--repeat 5]
    .venv/bin/python benchmarks/lazy.py --quick     # small settings for CI, well under a minute


One embedding-bag model (Embedding -> average -> Dense) and one compiled training
step (tf.function) per optimizer: Adam, LazyOptimizer(Adam) in both modes,
Lookahead(Adam) and Lookahead(LazyOptimizer(Adam)). Each is timed for --steps steps,
--repeat times, the optimizers interleaved, in one process; the best time of each is
reported as a ratio to Adam's. The lazy wrapper copies the embedding table (and, in the
standard mode, Adam's two moment tables) once per step, so its overhead grows with the
table, not with the batch.
"""

from __future__ import annotations

import argparse
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from blogcode import device_report  # noqa: E402
from blogcode.lookahead.cost import WRAPPED_OPTIMIZERS, step_times  # noqa: E402

# The measurement's settings, and the small ones of --quick (an explicit option wins).
DEFAULTS = dict(vocab=20000, dim=128, batch=32, maxlen=80, steps=50, repeat=5)
QUICK = dict(vocab=2000, dim=32, batch=16, maxlen=20, steps=10, repeat=2)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in DEFAULTS.items():
        parser.add_argument(f"--{name}", type=int, default=None, help=f"default {default}, --quick {QUICK[name]}")
    parser.add_argument("--quick", action="store_true", help="small settings (CI): checks that it runs, "
                        "the ratios are noisier")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in DEFAULTS:
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    best = step_times(args.vocab, args.dim, args.batch, args.maxlen, args.steps, args.repeat)
    print(device_report(), "|", platform.processor() or platform.machine())
    print(f"embedding {args.vocab} x {args.dim}, batch {args.batch} x {args.maxlen} tokens, "
          f"best of {args.repeat} x {args.steps} steps, interleaved" + (" (--quick)" if args.quick else ""))
    width = max(map(len, WRAPPED_OPTIMIZERS))
    for name, seconds in best.items():
        print(f"{name:{width}s}  {seconds * 1e3:8.2f} ms/step  ratio to Adam {seconds / best['Adam']:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
