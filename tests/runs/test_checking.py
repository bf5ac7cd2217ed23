"""Tests of blogcode.runs.checking: which recordings are stale, missing, fast or
orphaned, each with the command that refreshes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from blogcode.runs import checking, discovery, running

ROOT = Path(__file__).resolve().parents[2]


def test_check_names_stale_runs_and_the_refresh_command(fake, tmp_path):
    pkg, base = fake
    refresh = ".venv/bin/python -m blogcode.runs run fake/one"
    assert checking.recordings(tmp_path) == {}
    [missing] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert "no recording" in missing and refresh in missing
    quiet = running.Progress(quiet=True)
    running.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=quiet)
    assert checking.recordings(tmp_path) == {"fake/one": tmp_path / "fake" / "one.json"}
    assert checking.stale_runs(results_dir=tmp_path, package=pkg) == []
    (base / "core.py").write_text("def f(i):\n    return i ** 2\n")
    [stale] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert f"{pkg}.core changed" in stale and stale.endswith(refresh)
    running.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=quiet)
    assert checking.stale_runs(results_dir=tmp_path, package=pkg) == []
    discovery.get("fake/one", package=pkg).full["n"] = 5  # as if the declaration changed
    [stale] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert "full settings changed" in stale and refresh in stale
    running.run_experiment("fake/one", fast=True, package=pkg, results_dir=tmp_path, progress=quiet)
    [fast] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert "fast settings" in fast and refresh in fast
    running.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=quiet)
    (tmp_path / "fake" / "gone.json").write_text((tmp_path / "fake" / "one.json").read_text())
    [orphan] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert orphan.startswith("fake/gone:") and "has no experiment" in orphan
    (tmp_path / "fake" / "gone.json").unlink()
    (tmp_path / "fake" / "one.json").write_text("{not json")
    [broken] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert "unreadable" in broken and refresh in broken


def test_a_new_dependency_is_named(fake, tmp_path):
    pkg, base = fake
    running.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=running.Progress(quiet=True))
    (base / "core.py").write_text(f"from {pkg} import unrelated\n\n\ndef f(i):\n    return i * i\n")
    [stale] = checking.stale_runs(results_dir=tmp_path, package=pkg)
    assert f"{pkg}.unrelated is a new dependency" in stale and f"{pkg}.core changed" in stale


def test_committed_recordings_are_not_ignored():
    out = subprocess.run(["git", "check-ignore", "-q", "results/ellipse/tabulation.json"], cwd=ROOT)
    assert out.returncode == 1  # 0 would mean .gitignore hides it
    assert "ellipse/tabulation" in checking.recordings(None)
