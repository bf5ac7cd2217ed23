"""Tests of blogcode.runs.loading: a recording loaded as a ``Run`` (its provenance
line), re-run and compared within the declared tolerance, and the committed ellipse
recording."""

from __future__ import annotations

import json

import pytest

from blogcode.runs import discovery, loading


def _write(tmp_path, **provenance):
    record = {"schema": 1, "experiment": "fake/one", "mode": "full", "settings": {"n": 3, "seed": 1},
              "results": {"values": [0, 1, 4], "calls": 99},
              "provenance": {"device": {"report": "r", "cpu": "Test CPU", "cpu_count": 2, "gpu": None},
                             "started": "2026-01-02T03:04:05Z", "wall_seconds": 150.0,
                             "commit": {"head": "0123456789abcdef", "dirty": True}, **provenance}}
    (tmp_path / "fake").mkdir(exist_ok=True)
    (tmp_path / "fake" / "one.json").write_text(json.dumps(record))
    return record


def test_load_and_provenance_line(tmp_path):
    record = _write(tmp_path)
    run = loading.load("fake", "one", results_dir=tmp_path)
    assert run.results == record["results"] and run.settings == {"n": 3, "seed": 1}
    assert run.key == "fake/one" and run.path == tmp_path / "fake" / "one.json" and run.mode == "full"
    assert run.provenance_line() == "recorded on Test CPU (2 cores), 2026-01-02, in 2.5 min, commit 0123456, dirty"
    _write(tmp_path, device={"report": "r", "cpu": "c", "cpu_count": 8, "gpu": "NVIDIA H200"},
           commit={"head": "fedcba9876543210", "dirty": False}, wall_seconds=2.0)
    line = loading.load("fake", "one", results_dir=tmp_path).provenance_line()
    assert line == "recorded on NVIDIA H200, 2026-01-02, in < 0.1 min, commit fedcba9"


def test_reproduce_compares_within_the_declared_tolerance(fake, tmp_path):
    pkg, _ = fake
    discovery.discover(pkg)
    _write(tmp_path)  # "calls" differs from any re-run, but is not in `compare`
    run = loading.load("fake", "one", results_dir=tmp_path)
    assert run.reproduce(fast=True, package=pkg) is False  # fast mode: nothing re-run
    assert run.reproduce(fast=False, package=pkg) is True
    run.results["values"][2] = 4 + 1e-9
    with pytest.raises(AssertionError, match=r"values'\]\[2\]"):
        run.reproduce(fast=False, package=pkg)
    run.results["values"][2] = 4 * (1 + 1e-13)  # within rtol=1e-12
    assert run.reproduce(fast=False, package=pkg)


def test_compare_results():
    old = {"a": {"x": [1.0, 2.0], "ok": True}, "t": 3.0}
    assert loading.compare_results({"a": {"x": [1.0, 2.0 + 1e-12], "ok": True}, "t": 9.0}, old,
                                   rtol=1e-9, keys=["a"]) == []
    diffs = loading.compare_results({"a": {"x": [1.0], "ok": False}}, old, rtol=1e-9)
    assert any("length 1" in d for d in diffs) and any("ok" in d for d in diffs)
    assert any("'t'" in d and "re-run" in d for d in diffs)
    assert loading.compare_results({"a": 1e-17}, {"a": 0.0}, rtol=1e-9, atol=1e-13) == []
    assert loading.compare_results({"a": float("nan")}, {"a": float("nan")}, rtol=0.0) == []
    assert loading.compare_results({"a": {"y": 1}}, {"a": {"x": 1}}, rtol=0.0) == [
        "results['a']: keys ['y'] != recorded ['x']"]
    assert loading.compare_results({}, {"a": 1}, rtol=0.0, keys=["a", "b"]) == [
        "results['a'] is missing from the re-run", "results['b'] is missing from the recording"]


def test_the_committed_ellipse_recording_loads_and_reproduces():
    """results/ellipse/tabulation.json: its provenance line, and a full re-run (about
    3 s) that gives the same values and errors within the declared tolerance."""
    run = loading.load("ellipse", "tabulation")
    assert run.mode == "full" and run.settings == discovery.get("ellipse/tabulation").full
    assert run.provenance_line().startswith("recorded on ") and " commit " in run.provenance_line()
    assert len(run.provenance["commit"]["head"]) == 40
    assert -2e-3 < run.results["errors"]["l"] < -1e-4 and run.results["tabulated"]["glues"]
    assert run.reproduce(fast=False) is True


def test_bad_use(tmp_path):
    with pytest.raises(TypeError, match="chapter"):
        loading.load(1, "tabulation")
    with pytest.raises(ValueError, match="name"):
        loading.load("ellipse", "no-such-run")
    with pytest.raises(ValueError, match="name"):
        loading.load("ellipse", "Bad Name")
    with pytest.raises(TypeError, match="rtol"):
        loading.compare_results({}, {}, rtol="1")
    with pytest.raises(TypeError, match="new"):
        loading.compare_results([], {}, rtol=1.0)
    with pytest.raises(TypeError, match="recorded"):
        loading.compare_results({}, None, rtol=1.0)
    with pytest.raises(ValueError, match="atol"):
        loading.compare_results({}, {}, rtol=1.0, atol=-1.0)
    _write(tmp_path)
    with pytest.raises(TypeError, match="fast"):
        loading.load("fake", "one", results_dir=tmp_path).reproduce(fast="no")
