"""Dense masked attention vs the atrous, local and sparse forms, eager and compiled, side by side.

Chapter: "Born to save: from standard attention to sparse attention"
(book/attention.md). Run from the repository root:

    nice -n 10 .venv/bin/python benchmarks/attention.py [--lengths 1024 2048 4096 8192] [--k 64]
    nice -n 10 .venv/bin/python benchmarks/attention.py --quick     # CI: small n, a few seconds

For every length n it times, in this one process, ``dense_attention`` with the
sparse pattern's n x n mask (a ready-made input, which favours dense) and
``atrous_attention`` (rate k), ``local_attention`` (k neighbours) and
``sparse_attention`` (rate k), each called two ways: eagerly, as a reader
calls them in a notebook, and inside ``tf.function``. One warm-up call each,
then the median of ``--repeat`` rounds; in every round each method is called
both ways, one after the other, so a change in the machine's load hits all of
them alike, in a new (seeded) random order each round, so no call always
follows dense attention's: a call right after it runs slower, its inputs and
scratch memory pushed out of the caches by dense attention's n x n buffers
(not page faults: there are next to none per call). Rotating one fixed order
would not do: it keeps the cyclic order, so the same call would always come
right after dense's. Each ratio is printed beside two floors: the FLOP limit,
the fraction of the n x n (query, key) pairs the pattern allows
(``pattern_cost / n^2``, about (2k + 1) / n for local), and the fraction the
block computation scores (``scored_fraction``: 3k / n for local, whose blocks
of k queries each meet three key blocks, 1 / k for atrous, their sum for
sparse), the ratio a form would reach if its every score cost what one of
dense attention's does.

Peak memory: TensorFlow's CPU allocations are invisible to ``tracemalloc``,
and ``tf.config.experimental.get_memory_info`` has no statistics for the
CPU. So after the timings the script runs itself once more, as a child that
measures memory only. The child lowers glibc's mmap threshold
(``MALLOC_MMAP_THRESHOLD_``, read at process start), so large buffers go back
to the system when freed, and turns oneDNN off (``TF_ENABLE_ONEDNN_OPTS=0``),
whose CPU allocator keeps freed buffers in a pool that would hide them. After
a warm-up call it resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), calls once more and takes the rise of the peak
resident set size above the resident size before the call: the extra memory
one call needs, inputs excluded (for dense, that includes its ready-made
n x n mask, which favours dense). It does so three times per method and way
and reports the median; dense and the sparse forms go through the same code.
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

METHODS = ("dense", "atrous", "local", "sparse")
MODES = ("eager", "compiled")
MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}


def make_inputs(n: int, depth: int, batch: int, seed: int = 0):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    return [tf.constant(rng.normal(size=(batch, n, depth)).astype("float32")) for _ in range(3)]


def make_calls(n: int, k: int, q, k_, v) -> dict:
    """``{(method, mode): call}``: each call runs one attention and waits for its result."""
    import tensorflow as tf

    from blogcode.attention.efficient import atrous_attention, local_attention, sparse_attention
    from blogcode.attention.patterns import dense_attention, sparse_mask

    mask = tf.constant(sparse_mask(n, k))
    eager = {"dense": lambda: dense_attention(q, k_, v, mask),
             "atrous": lambda: atrous_attention(q, k_, v, k),
             "local": lambda: local_attention(q, k_, v, k),
             "sparse": lambda: sparse_attention(q, k_, v, k)}
    calls = {}
    for method, call in eager.items():
        compiled = tf.function(call, autograph=False)
        calls[method, "eager"] = lambda call=call: call().numpy()
        calls[method, "compiled"] = lambda compiled=compiled: compiled().numpy()
    return calls


def flop_limit(method: str, n: int, k: int) -> float:
    """The fraction of the n x n pairs the pattern allows: the ratio a form
    that computes exactly those scores and nothing else would reach."""
    from blogcode.attention.patterns import pattern_cost

    return 1.0 if method == "dense" else pattern_cost("sparse" if method == "sparse" else method, n, k) / n ** 2


def scored_fraction(method: str, n: int, k: int) -> float:
    """The fraction of the n x n pairs the block computation actually scores
    (non-causal): its own floor, above the FLOP limit. Local: each block of k
    queries against three key blocks, 3 k n; atrous: k subsequences of m =
    n / k, k m^2 = n^2 / k; sparse: both."""
    blocks = -(-n // k)
    band, strided = 3 * blocks * k * k, k * blocks * blocks
    scored = {"dense": n * n, "atrous": strided, "local": band, "sparse": band + strided}[method]
    return scored / n ** 2


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def peak_extra_mib(call) -> float | None:
    """Peak resident memory (MiB) one call adds; None where Linux's counters are missing."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset VmHWM (peak RSS) to the current RSS
        before = _status_kib("VmRSS")
        call()
        return (_status_kib("VmHWM") - before) / 1024
    except (OSError, RuntimeError):
        return None


def _warm_calls(n: int, k: int, depth: int, batch: int, methods) -> dict:
    q, k_, v = make_inputs(n, depth, batch)
    calls = {key: call for key, call in make_calls(n, k, q, k_, v).items() if key[0] in methods}
    for call in calls.values():
        call()  # trace, build the cached graphs, warm up
    return calls


def measure_times(n: int, k: int, depth: int, batch: int, repeat: int, methods) -> dict:
    """Median seconds of every (method, mode), the calls interleaved."""
    import numpy as np

    calls = _warm_calls(n, k, depth, batch, methods)
    times = {key: [] for key in calls}
    keys = list(calls)
    # The call right after dense's large one finds the caches full of dense's
    # buffers: a new order each round, so no method always pays for it.
    orders = np.random.default_rng(0)
    for _ in range(repeat):
        for key in [keys[i] for i in orders.permutation(len(keys))]:
            start = time.perf_counter()
            calls[key]()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}


def measure_memory_here(n: int, k: int, depth: int, batch: int, methods, repeat: int = 3) -> dict:
    """Median peak extra MiB of ``repeat`` calls of every (method, mode); meant
    for the child process. Every method is measured the same way in the same
    process, on inputs of the same size, after the same warm-up."""
    memory = {}
    for key, call in _warm_calls(n, k, depth, batch, methods).items():
        peaks = [peak_extra_mib(call) for _ in range(repeat)]
        memory[key] = None if None in peaks else statistics.median(peaks)
    return memory


def measure_memory(lengths, k: int, depth: int, batch: int, skip_dense_above: int) -> dict:
    """``{n: {(method, mode): MiB}}`` from one child process (see the docstring)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", "--lengths", *map(str, lengths),
           "--k", str(k), "--depth", str(depth), "--batch", str(batch),
           "--skip-dense-above", str(skip_dense_above)]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **MEMORY_ENV})
    memory = {n: {} for n in lengths}
    if result.returncode != 0:
        print(f"memory child failed: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return memory
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            memory[row["n"]] = {tuple(key.split("/")): mib for key, mib in row["mib"].items()}
    return memory


def _ratio(value, reference) -> str:
    return "  n/a" if value is None or not reference else f"{value / reference:5.3f}"


def print_rows(n: int, k: int, times: dict, memory: dict) -> None:
    dense = {mode: times.get(("dense", mode)) for mode in MODES}
    dense_mem = {mode: memory.get(("dense", mode)) for mode in MODES}
    for method in METHODS:
        if (method, "eager") not in times:
            continue
        cells = [f"{n:6d}", f"{method:>7}"]
        for mode in MODES:
            cells.append(f"{times[method, mode] * 1e3:9.1f}")
        for mode in MODES:
            cells.append(_ratio(times[method, mode], dense[mode]).rjust(8))
        cells.append(f"{flop_limit(method, n, k):8.3f}")
        cells.append(f"{scored_fraction(method, n, k):7.3f}")
        for mode in MODES:
            mem = memory.get((method, mode))
            cells.append("   n/a" if mem is None else f"{mem:7.1f}")
            cells.append(_ratio(mem, dense_mem[mode]).rjust(6))
        print(" ".join(cells), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=None, help="default 1024 2048 4096 8192")
    parser.add_argument("--k", type=int, default=64, help="rate (atrous, sparse) and neighbours (local)")
    parser.add_argument("--depth", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=None, help="default 7 (3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="n = 256, 512, k = 16, 3 repeats: a CI smoke run")
    parser.add_argument("--skip-dense-above", type=int, default=8192,
                        help="do not run dense attention for longer sequences")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        lengths, k, repeat = args.lengths or [256, 512], 16 if args.k == 64 else args.k, args.repeat or 3
    else:
        lengths, k, repeat = args.lengths or [1024, 2048, 4096, 8192], args.k, args.repeat or 7
    if min(lengths) < 1 or k < 1 or repeat < 1 or args.depth < 1 or args.batch < 1:
        parser.error("lengths, --k, --repeat, --depth and --batch must be positive")

    def methods_for(n):
        return METHODS if n <= args.skip_dense_above else METHODS[1:]

    if args.memory_child:
        for n in lengths:
            mib = measure_memory_here(n, k, args.depth, args.batch, methods_for(n))
            print(json.dumps({"n": n, "mib": {"/".join(key): value for key, value in mib.items()}}), flush=True)
        return 0

    import tensorflow as tf

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"TensorFlow {tf.__version__}, Python {platform.python_version()}")
    print(f"batch {args.batch}, depth {args.depth}, k = {k}; time: median of {repeat} calls each way, "
          "interleaved; memory: median peak-RSS rise of 3 calls")
    print("ratios: method / dense-with-mask called the same way; FLOP limit: allowed pairs / n^2; "
          "scored: pairs the blocks score / n^2")
    print(f"{'n':>6} {'method':>7} {'eager ms':>9} {'graph ms':>9} {'eager t':>8} {'graph t':>8} "
          f"{'FLOP lim':>8} {'scored':>7} {'eag MiB':>7} {'ratio':>6} {'gr MiB':>7} {'ratio':>6}")
    times = {n: measure_times(n, k, args.depth, args.batch, repeat, methods_for(n)) for n in lengths}
    memory = measure_memory(lengths, k, args.depth, args.batch, args.skip_dense_above)
    for n in lengths:
        print_rows(n, k, times[n], memory[n])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
