"""Dense masked attention vs the atrous, local and sparse forms, side by side.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md). Run from the repository root:

    nice -n 10 .venv/bin/python benchmarks/attention.py [--lengths 512 1024 2048 4096 8192] [--k 64]

For every length n it times, in this one process, ``dense_attention`` with the
sparse pattern's n x n mask (the mask is a ready-made input, which favours
dense) and ``atrous_attention``, ``local_attention`` and ``sparse_attention``
with rate / neighbours k, all compiled with ``tf.function``: one warm-up call,
then the median of ``--repeat`` calls, the methods interleaved in each round.

Peak memory is measured in a fresh subprocess per (method, n), because
TensorFlow's CPU allocations are invisible to ``tracemalloc`` and
``tf.config.experimental.get_memory_info`` has no statistics for the CPU.
The subprocess fixes glibc's mmap threshold (``MALLOC_MMAP_THRESHOLD_``) so
large buffers go back to the system when freed, makes one warm-up call, resets
the kernel's peak-RSS counter (``/proc/self/clear_refs``), calls again and
reports the rise of the peak resident set size above the resident size before
the call: the extra memory one call needs, inputs excluded. The table also
gives the analytic ratio of the number of attention scores each form holds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

METHODS = ("dense", "atrous", "local", "sparse")


def make_inputs(n: int, depth: int, batch: int, seed: int = 0):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    return [tf.constant(rng.normal(size=(batch, n, depth)).astype("float32")) for _ in range(3)]


def make_function(method: str, n: int, k: int):
    """A compiled call of one method, and the extra arguments it takes."""
    import tensorflow as tf

    from blogcode.attention import atrous_attention, dense_attention, local_attention, sparse_attention, sparse_mask

    if method == "dense":
        mask = tf.constant(sparse_mask(n, k))
        return tf.function(lambda q, k_, v, m: dense_attention(q, k_, v, m), autograph=False), (mask,)
    forms = {"atrous": atrous_attention, "local": local_attention, "sparse": sparse_attention}
    form = forms[method]
    return tf.function(lambda q, k_, v: form(q, k_, v, k), autograph=False), ()


def score_count(method: str, n: int, k: int) -> int:
    """How many attention scores (per batch element) each form holds at once."""
    padded = -(-n // k) * k
    m = padded // k
    return {"dense": n * n, "atrous": padded * m, "local": padded * 3 * k, "sparse": padded * (3 * k + m)}[method]


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def measure_memory_here(method: str, n: int, k: int, depth: int, batch: int) -> float:
    """Peak extra resident memory (MiB) of one call; run in a fresh process."""
    q, k_, v = make_inputs(n, depth, batch)
    fn, extra = make_function(method, n, k)
    fn(q, k_, v, *extra).numpy()  # trace and warm up
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset VmHWM (peak RSS) to the current RSS
    before = _rss_kib("VmRSS")
    out = fn(q, k_, v, *extra)
    out.numpy()
    peak = _rss_kib("VmHWM")
    return (peak - before) / 1024


def measure_memory(method: str, n: int, k: int, depth: int, batch: int) -> float | None:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-of", method, "--lengths", str(n),
           "--k", str(k), "--depth", str(depth), "--batch", str(batch)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["mib"]


def measure_times(n: int, k: int, depth: int, batch: int, repeat: int, methods) -> dict:
    q, k_, v = make_inputs(n, depth, batch)
    calls = {}
    for method in methods:
        fn, extra = make_function(method, n, k)
        calls[method] = (lambda fn=fn, extra=extra: fn(q, k_, v, *extra).numpy())
        calls[method]()  # trace and warm up
    times = {method: [] for method in methods}
    for _ in range(repeat):
        for method in methods:
            start = time.perf_counter()
            calls[method]()
            times[method].append(time.perf_counter() - start)
    return {method: statistics.median(t) for method, t in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 1024, 2048, 4096, 8192])
    parser.add_argument("--k", type=int, default=64, help="rate (atrous, sparse) and neighbours (local)")
    parser.add_argument("--depth", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-dense-above", type=int, default=8192,
                        help="do not run dense attention for longer sequences")
    parser.add_argument("--memory-of", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_of:
        mib = measure_memory_here(args.memory_of, args.lengths[0], args.k, args.depth, args.batch)
        print(json.dumps({"mib": mib}))
        return 0

    import tensorflow as tf

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"TensorFlow {tf.__version__}, Python {platform.python_version()}")
    print(f"batch {args.batch}, depth {args.depth}, k = {args.k}; time: median of {args.repeat} "
          "tf.function calls; memory: peak-RSS rise of one call in a fresh process")
    print("ratios are method / dense-with-mask (time t, measured memory mem, analytic score count sc)")
    header = f"{'n':>5} {'dense ms':>9} {'dense MiB':>9}"
    for method in METHODS[1:]:
        header += f" | {method + ' t':>9} {'mem':>5} {'sc':>5}"
    print(header)
    for n in args.lengths:
        methods = list(METHODS) if n <= args.skip_dense_above else list(METHODS[1:])
        times = measure_times(n, args.k, args.depth, args.batch, args.repeat, methods)
        memory = {m: measure_memory(m, n, args.k, args.depth, args.batch) for m in methods}
        if "dense" in times and memory.get("dense"):
            row = f"{n:5d} {times['dense'] * 1e3:9.1f} {memory['dense']:9.1f}"
            for method in METHODS[1:]:
                mem = memory[method]
                mem_ratio = f"{mem / memory['dense']:5.3f}" if mem is not None else "  n/a"
                sc = score_count(method, n, args.k) / score_count("dense", n, args.k)
                row += f" | {times[method] / times['dense']:9.3f} {mem_ratio} {sc:5.3f}"
        else:
            row = f"{n:5d} {'skipped':>9} {'':>9}"
            for method in METHODS[1:]:
                mem = memory[method]
                row += f" | {times[method] * 1e3:7.1f}ms {mem if mem is not None else float('nan'):5.0f}M"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
