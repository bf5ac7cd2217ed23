"""Vectorised bidirectional beam search vs the per-pair loop (book/bidecoder.md).

Both searches run on the same untrained ``BidirectionalSeq2Seq`` (the cost of
one model call does not depend on training) over the same sources, for beam
sizes k = 1..4, side by side in one run. The vectorised search makes one model
call per step, on all k^2 (L2R path, R2L path) pairs, in which each decoder
runs once per path; the reference makes k^2 calls of one pair each. The runs
of the two are interleaved, so a load that comes and goes slows both; the
script prints the median time of each and their ratio, and asserts that both
searches return the same paths.

    .venv/bin/python benchmarks/beam_search.py --quick   # CI: 3 repeats, about 30 s
    .venv/bin/python benchmarks/beam_search.py           # 7 repeats
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from blogcode import set_seed
from blogcode.bidecoder.bidirectional import bidirectional_beam_search, bidirectional_beam_search_reference
from blogcode.bidecoder.model import BidirectionalSeq2Seq
from blogcode.bidecoder.tasks import CharVocabulary, encode_pairs, sorting_pairs

BEAM_SIZES = (1, 2, 3, 4)
MAX_LENGTH = 9


def timed(fn):
    """Wall-clock and CPU seconds of ``fn()`` (CPU time: this process, all threads),
    and its result. Other jobs on a loaded machine stretch the first, not the second."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def same_paths(fast, slow) -> bool:
    # One call on k^2 rows and k^2 calls on one row may round float32 sums
    # differently, so scores are compared with a tolerance; the paths exactly.
    np.testing.assert_allclose(fast.l2r.scores, slow.l2r.scores, rtol=1e-4)
    np.testing.assert_allclose(fast.r2l.scores, slow.r2l.scores, rtol=1e-4)
    return (np.array_equal(fast.l2r.tokens, slow.l2r.tokens) and np.array_equal(fast.r2l.tokens, slow.r2l.tokens)
            and fast.best == slow.best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per search and beam size")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)

    set_seed(6877)
    pairs = sorting_pairs(16, 6, 8, seed=0)
    vocab = CharVocabulary([t + s for t, s in pairs])
    arrays = encode_pairs(pairs, vocab, 8, 8)
    model = BidirectionalSeq2Seq(len(vocab), embed_dim=32, hidden_dim=64, num_heads=4)
    source = arrays["source"]
    step = model.pair_step_fn(source)
    # trace the model's step graph once, outside the timings
    bidirectional_beam_search(step, len(source), 2, 2, len(vocab))

    print(f"batch {len(source)} sources, max_length {MAX_LENGTH}, median of {repeats} interleaved runs")
    print(f"{'k':>2} {'vectorised s':>13} {'per-pair s':>11} {'ratio':>7} {'CPU ratio':>10}  same paths")
    for k in BEAM_SIZES:
        search_args = (len(source), k, MAX_LENGTH, len(vocab))
        fast_times, slow_times = [], []
        for _ in range(repeats):
            fast_s, fast = timed(lambda: bidirectional_beam_search(step, *search_args))
            slow_s, slow = timed(lambda: bidirectional_beam_search_reference(step, *search_args))
            fast_times.append(fast_s)
            slow_times.append(slow_s)
        same = same_paths(fast, slow)
        assert same, f"k={k}: the vectorised and per-pair searches chose different paths"
        (fast_s, fast_cpu), (slow_s, slow_cpu) = (tuple(map(statistics.median, zip(*times)))
                                                  for times in (fast_times, slow_times))
        print(f"{k:>2} {fast_s:>13.3f} {slow_s:>11.3f} {slow_s / fast_s:>6.1f}x {slow_cpu / fast_cpu:>9.1f}x  {same}")


if __name__ == "__main__":
    main()
