"""Tests of blogcode.runs.command_line (``main``) and of ``python -m blogcode.runs``
(``blogcode/runs/__main__.py``), and that the package keeps its public API."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import blogcode.runs as runs
from blogcode.runs import (checking, command_line, declaring, discovery, fingerprinting, loading,
                           running)

ROOT = Path(__file__).resolve().parents[2]


def test_check_command_fails_with_the_refresh_command(tmp_path, capsys):
    """The real command line (``python -m``, a subprocess) on an empty results folder,
    then on a fast recording: both fail; ``list`` reports the state."""
    cmd = [sys.executable, "-m", "blogcode.runs"]
    out = subprocess.run(cmd + ["check", "--results", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "ellipse/tabulation: no recording; run: .venv/bin/python -m blogcode.runs run ellipse/tabulation" in out.stderr
    out = subprocess.run(cmd + ["run", "ellipse/tabulation", "--fast", "--results", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "ellipse" / "tabulation.json").is_file() and "recorded on" in out.stdout
    out = subprocess.run(cmd + ["check", "--results", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 1 and "recorded with its fast settings" in out.stderr
    # `list` on that folder, in-process (a fourth interpreter would only repeat the start-up)
    capsys.readouterr()
    assert command_line.main(["list", "--results", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "ellipse/tabulation" in listed and "stale" in listed


def test_main_lists_and_checks(tmp_path, capsys):
    assert command_line.main(["list", "--results", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "ellipse/tabulation" in listed and "missing" in listed
    assert "blogcode.ellipse.experiments.tabulation" in listed
    assert "all recordings together: 0 min on no device" in listed
    assert command_line.main(["check", "--results", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "ellipse/tabulation: no recording" in err and "recorded run(s) to refresh" in err


def test_list_gives_each_recording_its_wall_time_and_the_total(capsys):
    from blogcode.runs import RESULTS_DIR, load
    assert command_line.main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    tabulation = load("ellipse", "tabulation")
    line = next(row for row in listed if row.startswith("ellipse/tabulation"))
    assert f"{tabulation.provenance['wall_seconds'] / 60:6.1f} min" in line
    total = sum(load(*p.relative_to(RESULTS_DIR).with_suffix("").parts).provenance["wall_seconds"]
                for p in RESULTS_DIR.glob("*/*.json"))
    assert listed[-1].startswith(f"all recordings together: {total / 60:.0f} min on ")


def test_python_dash_m_runs_main(tmp_path, monkeypatch, capsys):
    """``blogcode/runs/__main__.py`` run as ``__main__`` exits with ``main``'s status."""
    monkeypatch.setattr(sys, "argv", ["python -m blogcode.runs", "check", "--results", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("blogcode.runs", run_name="__main__", alter_sys=False)
    assert exit_.value.code == 1 and "no recording" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        command_line.main(["--help"])
    assert exit_.value.code == 0 and command_line.DESCRIPTION in capsys.readouterr().out.replace("\n", " ")


def test_the_package_keeps_its_public_api():
    assert runs.__all__ == ["Experiment", "Run", "experiment", "discover", "get", "module_sources",
                            "fingerprint", "run_experiment", "stale_runs", "load", "compare_results",
                            "Progress", "RESULTS_DIR", "main"]
    homes = {"Experiment": declaring, "experiment": declaring, "RESULTS_DIR": declaring,
             "discover": discovery, "get": discovery, "module_sources": fingerprinting,
             "fingerprint": fingerprinting, "run_experiment": running, "Progress": running,
             "stale_runs": checking, "load": loading, "Run": loading, "compare_results": loading,
             "main": command_line}
    assert set(homes) == set(runs.__all__)
    for name, module in homes.items():
        assert getattr(runs, name) is getattr(module, name), name
    assert callable(runs.fingerprint)  # the function, not a module of that name
    assert command_line.DESCRIPTION == runs.__doc__.split("\n")[0]


def test_bad_use():
    with pytest.raises(SystemExit):
        command_line.main(["run", "ellipse/no-such-run"])
    with pytest.raises(SystemExit):
        command_line.main(["no-such-command"])
