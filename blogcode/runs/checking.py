"""Checking the recordings: :func:`stale_runs` says which recording is stale, missing,
fast or orphaned, with the command that refreshes it (``python -m blogcode.runs check``).

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design).
"""

from __future__ import annotations

import json
from pathlib import Path

from blogcode.runs.declaring import PACKAGE, REFRESH, RESULTS_DIR
from blogcode.runs.discovery import discover
from blogcode.runs.fingerprinting import canonical, current_fingerprint


def recordings(results_dir) -> dict[str, Path]:
    """The recordings in ``results_dir`` (``None``: ``RESULTS_DIR``), by key ``chapter/name``."""
    base = RESULTS_DIR if results_dir is None else Path(results_dir)
    return {f"{p.parent.name}/{p.stem}": p for p in sorted(base.glob("*/*.json"))}


def stale_runs(*, results_dir=None, package: str = PACKAGE) -> list[str]:
    """One message per stale recording (empty when all are current): a recording older
    than a module it depends on or than its settings, a fast-mode recording, an
    experiment without recording and a recording without experiment."""
    found = discover(package)
    recorded = recordings(results_dir)
    problems = []
    for key, exp in found.items():
        refresh = REFRESH.format(key=key)
        path = recorded.get(key)
        if path is None:
            problems.append(f"{key}: no recording; run: {refresh}")
            continue
        try:
            record = json.loads(path.read_text())
            prov = record["provenance"]
            mode, old_fp, old_modules = record["mode"], prov["fingerprint"], prov["modules"]
            old_settings = record["settings"]
        except (ValueError, KeyError, TypeError) as err:
            problems.append(f"{key}: {path} is unreadable ({err!r}); run: {refresh}")
            continue
        if mode != "full":
            problems.append(f"{key}: recorded with its {mode} settings; run: {refresh}")
            continue
        fp, modules = current_fingerprint(exp)
        if fp == old_fp:
            continue
        why = [f"{m} changed" for m in modules if m in old_modules and old_modules[m] != modules[m]]
        why += [f"{m} is a new dependency" for m in modules if m not in old_modules]
        why += [f"{m} is no longer a dependency" for m in old_modules if m not in modules]
        if canonical(old_settings) != canonical(exp.full):
            why.append("its full settings changed")
        problems.append(f"{key}: stale ({', '.join(why) or 'fingerprint differs'}); run: {refresh}")
    for key, path in recorded.items():
        if key not in found:
            problems.append(f"{key}: {path} has no experiment (none declared in an experiments "
                            f"module of {package}); restore the experiment or delete the file")
    return problems
