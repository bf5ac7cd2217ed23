"""The command line, from the repository root::

    python -m blogcode.runs list                 # experiments and the state of their recordings
    python -m blogcode.runs run ellipse/tabulation [--fast] [--results DIR]
    python -m blogcode.runs check [--results DIR] # non-zero, with the refresh commands, if stale

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design);
``blogcode/runs/__main__.py`` calls :func:`main`.
"""

from __future__ import annotations

import argparse
import sys

from blogcode.runs.checking import recordings, stale_runs
from blogcode.runs.discovery import discover
from blogcode.runs.loading import load
from blogcode.runs.running import run_experiment

#: What ``--help`` says the command is (the first line of ``blogcode.runs``' docstring).
DESCRIPTION = "Recorded full runs: declare an experiment, record it in ``results/``, load it in a chapter."


def main(argv=None) -> int:
    """Run the command ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m blogcode.runs", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="experiments and their recordings")
    p_run = sub.add_parser("run", help="run experiments and record them")
    p_run.add_argument("names", nargs="+", metavar="CHAPTER/NAME")
    p_run.add_argument("--fast", action="store_true", help="the small settings (tests)")
    sub.add_parser("check", help="fail when a recording is stale or missing")
    for p in sub.choices.values():
        p.add_argument("--results", default=None, help="results folder (default: results/)")
    args = parser.parse_args(argv)
    if args.command == "list":
        recorded = recordings(args.results)
        stale = {m.split(":", 1)[0] for m in stale_runs(results_dir=args.results)}
        total, devices = 0.0, set()
        for key, exp in discover().items():
            state = "missing" if key not in recorded else "stale" if key in stale else "current"
            took = ""
            if key in recorded:
                run = load(*key.split("/"), results_dir=recorded[key].parent.parent)
                total += run.provenance["wall_seconds"]
                device = run.provenance["device"]
                devices.add(device.get("gpu") or f"{device['cpu']} ({device['cpu_count']} cores)")
                took = f"{run.provenance['wall_seconds'] / 60:6.1f} min"
            print(f"{key:<32} {state:<8} {took:>10}  {exp.module}.{exp.fn.__qualname__}")
        # What BLOGCODE_FULL=1 spends re-running the recordings, on the devices they were made on.
        print(f"all recordings together: {total / 60:.0f} min on {'; '.join(sorted(devices)) or 'no device'}")
        return 0
    if args.command == "run":
        found = discover()
        unknown = [n for n in args.names if n not in found]
        if unknown:
            parser.error(f"unknown experiment(s) {', '.join(unknown)}; known: {', '.join(found)}")
        for key in args.names:
            path = run_experiment(key, fast=args.fast, results_dir=args.results)
            print(f"{key}: wrote {path} ({load(*key.split('/'), results_dir=path.parent.parent).provenance_line()})")
        return 0
    problems = stale_runs(results_dir=args.results)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} recorded run(s) to refresh", file=sys.stderr)
        return 1
    print(f"{len(discover())} recorded run(s) up to date")
    return 0
