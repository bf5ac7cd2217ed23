"""Vectorised bidirectional beam search vs the per-pair loop (book/bidecoder.md).

Both searches run on the same untrained ``BidirectionalSeq2Seq`` (the cost of
one model call does not depend on training) over the same sources, side by
side in one run. The vectorised search makes one model call per step on all
k^2 (L2R path, R2L path) pairs; the reference makes k^2 calls of one pair.
The script asserts that both return the same paths and prints the speed ratio.

    BLOGCODE_FAST=1 .venv/bin/python benchmarks/beam_search.py   # quick
    .venv/bin/python benchmarks/beam_search.py                   # more repeats
"""

from __future__ import annotations

import time

import numpy as np

from blogcode import fast_or_full, set_seed
from blogcode.seq2seq import (BidirectionalSeq2Seq, CharVocabulary, bidirectional_beam_search,
                              bidirectional_beam_search_reference, encode_pairs, sorting_pairs)


def best_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    set_seed(6877)
    repeats = fast_or_full(1, 3)
    pairs = sorting_pairs(16, 6, 8, seed=0)
    vocab = CharVocabulary([t + s for t, s in pairs])
    arrays = encode_pairs(pairs, vocab, 8, 8)
    model = BidirectionalSeq2Seq(len(vocab), embed_dim=32, hidden_dim=64, num_heads=4)
    source = arrays["source"]
    step = model.pair_step_fn(source)
    max_length = 9
    print(f"batch {len(source)} sources, max_length {max_length}, best of {repeats} run(s)")
    print(f"{'k':>2} {'vectorised s':>13} {'per-pair s':>11} {'ratio':>6}  same paths")
    for k in (2, 3, 4):
        args = (len(source), k, max_length, len(vocab))
        fast_s, fast = best_time(lambda: bidirectional_beam_search(step, *args), repeats)
        slow_s, slow = best_time(lambda: bidirectional_beam_search_reference(step, *args), repeats)
        same = (np.array_equal(fast.l2r.tokens, slow.l2r.tokens) and np.array_equal(fast.r2l.tokens, slow.r2l.tokens)
                and fast.best == slow.best)
        # The model computes k^2 rows in one call or one row per call; float32
        # sums may round differently, so scores are compared with a tolerance.
        np.testing.assert_allclose(fast.l2r.scores, slow.l2r.scores, rtol=1e-4)
        np.testing.assert_allclose(fast.r2l.scores, slow.r2l.scores, rtol=1e-4)
        assert same, f"k={k}: the vectorised and per-pair searches chose different paths"
        print(f"{k:>2} {fast_s:>13.3f} {slow_s:>11.3f} {slow_s / fast_s:>5.1f}x  {same}")


if __name__ == "__main__":
    main()
