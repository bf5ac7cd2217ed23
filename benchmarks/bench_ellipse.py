"""Exact (elliptic integrals) vs the article's tabulation scheme, measured side by side.

Chapter: "Gluing two elliptical sheets" (book/ellipse.md). Run from the repository root:

    .venv/bin/python benchmarks/bench_ellipse.py [--a 2] [--b 1] [--step 1e-6] [--repeat 7] [--quick]

``--quick`` (what CI runs, so the script cannot rot) uses a step of 1e-4 and 3 repeats.

Prints both methods' relative errors for the quarter perimeter l, the extent x(l)
and the volume V against an mpmath reference (17 digits, computed with the
independent method of tests/ellipse/test_gluing.py; the stored values are for a = 2,
b = 1), and the speed ratio time(tabulation) / time(exact), best of --repeat runs
each, interleaved, in one process.
"""

from __future__ import annotations

import argparse
import os
import platform


from blogcode.ellipse.experiments import compare_with_tabulation  # noqa: E402

# mpmath (dps 17) for a = 2, b = 1: see tests/ellipse/test_gluing.py::mp_reference
MPMATH_2_1 = {"l": 2.422112055136919, "length": 1.5697573788407435, "volume": 3.167463591858093}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=float, default=2.0)
    parser.add_argument("--b", type=float, default=1.0)
    parser.add_argument("--step", type=float, default=1e-6, help="grid step of the tabulation (1e-6: 1e6 points)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small settings: step 1e-4, 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.step, args.repeat = 1e-4, 3

    cmp = compare_with_tabulation(args.a, args.b, step=args.step, repeat=args.repeat)
    exact, tab = cmp["exact"], cmp["tabulated"]
    if (args.a, args.b) == (2.0, 1.0):
        ref, ref_name = MPMATH_2_1, "mpmath (17 digits)"
    else:
        ref, ref_name = {k: getattr(exact, k) for k in MPMATH_2_1}, "the exact method"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"a = {args.a:g}, b = {args.b:g}; tabulation step = {args.step:g} ({int(round(args.b / args.step)):,} points)")
    print(f"relative errors against {ref_name}:")
    print(f"{'quantity':>10} {'reference':>20} {'exact method':>14} {'tabulation':>12}")
    for name, label in (("l", "l"), ("length", "x(l)"), ("volume", "V")):
        r = ref[name]
        print(f"{label:>10} {r:20.15f} {getattr(exact, name) / r - 1:14.2e} {getattr(tab, name) / r - 1:12.2e}")
    print(f"min c: exact {exact.min_criterion:.3g} (c = 0 only at s = 0 and s = l); tabulation {tab.min_criterion:.3g}")
    print(f"time (best of {args.repeat}): exact {cmp['time_exact'] * 1e3:.2f} ms, tabulation {cmp['time_tabulated'] * 1e3:.1f} ms")
    print(f"speed ratio tabulation/exact: {cmp['speedup']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
