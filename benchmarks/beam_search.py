"""Vectorised bidirectional beam search vs the per-pair loop (book/bidecoder.md).

Both searches run on the same untrained ``BidirectionalSeq2Seq`` (the cost of
one model call does not depend on training) over the same sources, for beam
sizes k = 1..4, side by side in one run. The vectorised search makes one model
call per step, on all k^2 (L2R path, R2L path) pairs, in which each decoder
runs once per path; the reference makes k^2 calls of one pair each. The runs
of the two are interleaved, so a load that comes and goes slows both; the
script prints the median time of each and their ratio, and asserts that both
searches return the same paths. The measurement is the chapter's recorded
experiment ``bidecoder/search_speed`` (``blogcode.bidecoder.experiments``).

    .venv/bin/python benchmarks/beam_search.py --quick   # CI: 3 repeats, about 30 s
    .venv/bin/python benchmarks/beam_search.py           # 7 repeats
"""

from __future__ import annotations

import argparse

from blogcode import set_seed
from blogcode.bidecoder.experiments import search_speed
from blogcode.runs import Progress, get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per search and beam size")
    args = parser.parse_args()
    settings = dict(get("bidecoder/search_speed").settings(), repeats=args.repeats or (3 if args.quick else 7))
    set_seed(settings["seed"])
    result = search_speed(settings, Progress(quiet=True))
    print(f"batch {settings['inputs']} sources, max_length {settings['max_length']}, "
          f"median of {settings['repeats']} interleaved runs")
    print(f"{'k':>2} {'vectorised s':>13} {'per-pair s':>11} {'ratio':>7} {'CPU ratio':>10}  same paths")
    for row in result["rows"]:
        assert row["same_paths"], f"k={row['k']}: the vectorised and per-pair searches chose different paths"
        fast_s, slow_s = row["vectorised_seconds"], row["per_pair_seconds"]
        print(f"{row['k']:>2} {fast_s:>13.3f} {slow_s:>11.3f} {slow_s / fast_s:>6.1f}x "
              f"{row['per_pair_cpu_seconds'] / row['vectorised_cpu_seconds']:>9.1f}x  {row['same_paths']}")


if __name__ == "__main__":
    main()
