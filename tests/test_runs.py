"""Tests of blogcode.runs (recorded full runs) and of the ellipse chapter's recorded experiment.

Fake experiments live in a throw-away package written to a temporary folder, so no
real module is edited; recordings go to temporary folders, never to results/.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from blogcode import runs

ROOT = Path(__file__).resolve().parent.parent

EXPERIMENTS = """
from blogcode.runs import experiment
from {pkg} import core

_calls = [0]


@experiment(chapter="fake", name="one", full=dict(n=3, seed=1), fast=dict(n=2),
            rtol=1e-12, compare=("values",))
def one(settings, progress):
    _calls[0] += 1
    return {{"values": [core.f(i) for i in progress(range(settings["n"]), desc="i")],
            "calls": _calls[0]}}
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A package ``fakepkg_<id>``: core (a dependency), unrelated, sub/experiments (an
    experiment "fake/one"), never_imported (raises if discovery imports it)."""
    pkg = f"fakepkg_{uuid.uuid4().hex[:8]}"
    base = tmp_path / "src" / pkg
    (base / "sub").mkdir(parents=True)
    (base / "__init__.py").write_text('"""fake"""\n')
    (base / "core.py").write_text("def f(i):\n    return i * i\n")
    (base / "unrelated.py").write_text("X = 1\n")
    (base / "never_imported.py").write_text("raise RuntimeError('discovery imported me')\n")
    (base / "sub" / "__init__.py").write_text("")
    (base / "sub" / "experiments.py").write_text(EXPERIMENTS.format(pkg=pkg))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    yield pkg, base
    for key in [k for k, e in runs._REGISTRY.items() if e.module.startswith(pkg)]:
        del runs._REGISTRY[key]
    for name in [m for m in sys.modules if m == pkg or m.startswith(pkg + ".")]:
        del sys.modules[name]


def _fp(pkg, fast=False):
    return runs._current_fingerprint(runs.get("fake/one", package=pkg), fast)[0]


def _reimport(pkg):
    for name in [m for m in sys.modules if m.startswith(pkg + ".")]:
        del sys.modules[name]


# --------------------------------------------------------------------------- discovery

def test_discovery_finds_the_ellipse_experiment():
    found = runs.discover()
    exp = found["ellipse/tabulation"]
    assert exp.module == "blogcode.ellipse.experiments" and exp.fn.__name__ == "tabulation"
    assert exp.full["step"] == 1e-6 and exp.fast["step"] > exp.full["step"]
    assert all(e.module.startswith("blogcode.") for e in found.values())


def test_discovery_imports_only_experiments_modules(fake):
    pkg, _ = fake
    found = runs.discover(pkg)
    assert list(found) == ["fake/one"] and found["fake/one"].module == f"{pkg}.sub.experiments"
    assert f"{pkg}.never_imported" not in sys.modules and f"{pkg}.unrelated" not in sys.modules
    assert "fake/one" not in runs.discover()  # another package's experiments are not blogcode's


def test_shared_layer_imports_no_chapter_module():
    tree = ast.parse((ROOT / "blogcode" / "runs.py").read_text())
    ours = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("blogcode"):
            ours.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            ours.update(a.name for a in node.names if a.name.startswith("blogcode"))
    assert ours <= {"blogcode.checks", "blogcode.runs"} | {"blogcode"}, ours


# --------------------------------------------------------------------------- run -> json

def test_run_writes_the_documented_schema(fake, tmp_path):
    pkg, _ = fake
    path = runs.run_experiment("fake/one", package=pkg, results_dir=tmp_path / "res",
                               progress=runs.Progress(quiet=True))
    assert path == tmp_path / "res" / "fake" / "one.json"
    record = json.loads(path.read_text())
    assert record["schema"] == 1 and record["experiment"] == "fake/one" and record["mode"] == "full"
    assert record["settings"] == {"n": 3, "seed": 1}
    assert record["results"]["values"] == [0, 1, 4]
    prov = record["provenance"]
    assert set(prov) >= {"seed", "device", "versions", "commit", "started", "wall_seconds",
                         "fingerprint", "modules", "command"}
    assert prov["seed"] == 1
    assert "on CPU" in prov["device"]["report"] or "on GPU" in prov["device"]["report"]
    assert isinstance(prov["device"]["cpu"], str) and prov["device"]["cpu"]
    assert set(prov["versions"]) == {"python", "numpy", "scipy", "tensorflow", "keras"}
    assert prov["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert set(prov["commit"]) == {"head", "dirty", "dirty_dependencies"}
    started = dt.datetime.fromisoformat(prov["started"].replace("Z", "+00:00"))
    assert started.utcoffset() == dt.timedelta(0) and prov["started"].endswith("Z")
    assert isinstance(prov["wall_seconds"], float) and prov["wall_seconds"] >= 0
    assert len(prov["fingerprint"]) == 64 and int(prov["fingerprint"], 16) >= 0
    assert set(prov["modules"]) == {pkg, f"{pkg}.core", f"{pkg}.sub", f"{pkg}.sub.experiments"}
    assert prov["fingerprint"] == _fp(pkg)
    fast = json.loads(runs.run_experiment("fake/one", fast=True, package=pkg, results_dir=tmp_path,
                                          progress=runs.Progress(quiet=True)).read_text())
    assert fast["mode"] == "fast" and fast["results"]["values"] == [0, 1]
    assert fast["provenance"]["fingerprint"] == _fp(pkg, fast=True) != prov["fingerprint"]


def test_plain_progress_bar_draws_the_total():
    stream = io.StringIO()
    progress = runs.Progress(stream=stream)
    progress._tqdm = None  # the fallback, whether or not tqdm is installed
    assert list(progress(range(4), desc="demo")) == [0, 1, 2, 3]
    assert "demo [" in stream.getvalue() and "4/4" in stream.getvalue()
    quiet = io.StringIO()
    assert list(runs.Progress(quiet=True, stream=quiet)(iter("ab"))) == ["a", "b"]
    assert quiet.getvalue() == ""


def test_ellipse_tabulation_fast_run(tmp_path):
    path = runs.run_experiment("ellipse/tabulation", fast=True, results_dir=tmp_path,
                               progress=runs.Progress(quiet=True))
    record = json.loads(path.read_text())
    res, settings = record["results"], record["settings"]
    assert record["provenance"]["versions"]["tensorflow"] is None or "tensorflow" in sys.modules
    assert res["exact"]["glues"] and res["tabulated"]["glues"]
    assert res["tabulated"]["points"] == round(settings["b"] / settings["step"])
    assert all(-0.1 < res["errors"][k] < 0 for k in ("l", "length", "volume"))
    assert res["tabulated"]["min_criterion"] > -10 * settings["step"]
    errs = [abs(e) for e in res["convergence"]["l"]]
    assert errs == sorted(errs, reverse=True) and len(errs) == len(settings["steps"])
    assert res["times"]["exact_seconds"] > 0 and res["times"]["tabulated_seconds"] > 0


# --------------------------------------------------------------------------- fingerprint

def test_fingerprint_is_stable_across_processes():
    here = runs._current_fingerprint(runs.get("ellipse/tabulation"))[0]
    code = ("from blogcode import runs; "
            "print(runs._current_fingerprint(runs.get('ellipse/tabulation'))[0])")
    # from the repository root, so that this checkout's blogcode is the one imported
    env = dict(os.environ, PYTHONHASHSEED="123", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here


def test_ellipse_dependencies_are_found_statically():
    modules = runs.module_sources("blogcode.ellipse.experiments")
    assert {"blogcode", "blogcode.ellipse.gluing", "blogcode.ellipse.experiments"} <= set(modules)
    assert "blogcode.runs" not in modules and "blogcode.rope.solver" not in modules
    assert not any(m.startswith("blogcode.optimizers") for m in modules)


def test_fingerprint_follows_dependencies_and_settings(fake):
    pkg, base = fake
    before = _fp(pkg)
    (base / "unrelated.py").write_text("X = 2\n")
    assert _fp(pkg) == before  # not imported by the experiment
    (base / "core.py").write_text("def f(i):\n    return i * i  # edited\n")
    edited = _fp(pkg)
    assert edited != before
    (base / "core.py").write_text("def f(i):\n    return i * i\n")
    assert _fp(pkg) == before  # the source, not the file's time, counts
    exp = runs.get("fake/one", package=pkg)
    modules = runs.module_sources(exp.module, package=pkg)
    assert runs.fingerprint(modules, {"n": 3, "seed": 1}) == before
    assert runs.fingerprint(modules, {"n": 4, "seed": 1}) != before
    assert runs.fingerprint(modules, {"seed": 1, "n": 3}) == before  # key order is irrelevant


def test_relative_and_parent_imports_are_followed(fake):
    pkg, base = fake
    (base / "sub" / "helper.py").write_text("from ..core import f\n")
    (base / "sub" / "experiments.py").write_text(
        EXPERIMENTS.format(pkg=pkg).replace(f"from {pkg} import core", "from . import helper as core"))
    _reimport(pkg)
    runs._REGISTRY.pop("fake/one", None)
    modules = runs.module_sources(f"{pkg}.sub.experiments", package=pkg)
    assert {f"{pkg}.sub.helper", f"{pkg}.core", f"{pkg}.sub", pkg} <= set(modules)


# --------------------------------------------------------------------------- check

def test_check_names_stale_runs_and_the_refresh_command(fake, tmp_path):
    pkg, base = fake
    refresh = ".venv/bin/python -m blogcode.runs run fake/one"
    [missing] = runs.stale_runs(results_dir=tmp_path, package=pkg)
    assert "no recording" in missing and refresh in missing
    quiet = runs.Progress(quiet=True)
    runs.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=quiet)
    assert runs.stale_runs(results_dir=tmp_path, package=pkg) == []
    (base / "core.py").write_text("def f(i):\n    return i ** 2\n")
    [stale] = runs.stale_runs(results_dir=tmp_path, package=pkg)
    assert f"{pkg}.core changed" in stale and stale.endswith(refresh)
    runs.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=quiet)
    assert runs.stale_runs(results_dir=tmp_path, package=pkg) == []
    runs.get("fake/one", package=pkg).full["n"] = 5  # as if the declaration changed
    [stale] = runs.stale_runs(results_dir=tmp_path, package=pkg)
    assert "full settings changed" in stale and refresh in stale
    runs.run_experiment("fake/one", fast=True, package=pkg, results_dir=tmp_path, progress=quiet)
    [fast] = runs.stale_runs(results_dir=tmp_path, package=pkg)
    assert "fast settings" in fast and refresh in fast
    runs.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=quiet)
    (tmp_path / "fake" / "gone.json").write_text((tmp_path / "fake" / "one.json").read_text())
    [orphan] = runs.stale_runs(results_dir=tmp_path, package=pkg)
    assert orphan.startswith("fake/gone:") and "has no experiment" in orphan
    (tmp_path / "fake" / "gone.json").unlink()
    (tmp_path / "fake" / "one.json").write_text("{not json")
    [broken] = runs.stale_runs(results_dir=tmp_path, package=pkg)
    assert "unreadable" in broken and refresh in broken


def test_check_command_fails_with_the_refresh_command(tmp_path):
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
    out = subprocess.run(cmd + ["list", "--results", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "ellipse/tabulation" in out.stdout and "stale" in out.stdout


def test_committed_recordings_are_not_ignored():
    out = subprocess.run(["git", "check-ignore", "-q", "results/ellipse/tabulation.json"], cwd=ROOT)
    assert out.returncode == 1  # 0 would mean .gitignore hides it


# --------------------------------------------------------------------------- loading

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
    run = runs.load("fake", "one", results_dir=tmp_path)
    assert run.results == record["results"] and run.settings == {"n": 3, "seed": 1}
    assert run.provenance_line() == "recorded on Test CPU (2 cores), 2026-01-02, in 2.5 min, commit 0123456, dirty"
    _write(tmp_path, device={"report": "r", "cpu": "c", "cpu_count": 8, "gpu": "NVIDIA H200"},
           commit={"head": "fedcba9876543210", "dirty": False}, wall_seconds=2.0)
    line = runs.load("fake", "one", results_dir=tmp_path).provenance_line()
    assert line == "recorded on NVIDIA H200, 2026-01-02, in < 0.1 min, commit fedcba9"


def test_reproduce_compares_within_the_declared_tolerance(fake, tmp_path):
    pkg, _ = fake
    runs.discover(pkg)
    _write(tmp_path)  # "calls" differs from any re-run, but is not in `compare`
    run = runs.load("fake", "one", results_dir=tmp_path)
    assert run.reproduce(fast=True, package=pkg) is False  # fast mode: nothing re-run
    assert run.reproduce(fast=False, package=pkg) is True
    run.results["values"][2] = 4 + 1e-9
    with pytest.raises(AssertionError, match=r"values'\]\[2\]"):
        run.reproduce(fast=False, package=pkg)
    run.results["values"][2] = 4 * (1 + 1e-13)  # within rtol=1e-12
    assert run.reproduce(fast=False, package=pkg)


def test_compare_results():
    old = {"a": {"x": [1.0, 2.0], "ok": True}, "t": 3.0}
    assert runs.compare_results({"a": {"x": [1.0, 2.0 + 1e-12], "ok": True}, "t": 9.0}, old,
                                rtol=1e-9, keys=["a"]) == []
    diffs = runs.compare_results({"a": {"x": [1.0], "ok": False}}, old, rtol=1e-9)
    assert any("length 1" in d for d in diffs) and any("ok" in d for d in diffs)
    assert any("'t'" in d and "re-run" in d for d in diffs)
    assert runs.compare_results({"a": 1e-17}, {"a": 0.0}, rtol=1e-9, atol=1e-13) == []


# --------------------------------------------------------------------------- bad input

def _decl(**overrides):
    kwargs = dict(chapter="fake", name="bad", full={}, fast={})
    kwargs.update(overrides)
    return runs.experiment(**kwargs)


@pytest.mark.parametrize("overrides, error, word", [
    (dict(chapter=3), TypeError, "chapter"),
    (dict(chapter=""), ValueError, "chapter"),
    (dict(chapter="Bad Name"), ValueError, "chapter"),
    (dict(name=None), TypeError, "name"),
    (dict(name="a/b"), ValueError, "name"),
    (dict(full=[1]), TypeError, "full"),
    (dict(fast={"x": object()}), TypeError, "fast"),
    (dict(full={1: 2}), TypeError, "full key"),
    (dict(rtol=-1.0), ValueError, "rtol"),
    (dict(atol="0"), TypeError, "atol"),
    (dict(compare="errors"), TypeError, "compare"),
    (dict(compare=[]), ValueError, "compare"),
])
def test_bad_declarations(overrides, error, word):
    with pytest.raises(error, match=word):
        _decl(**overrides)


def test_bad_use():
    with pytest.raises(TypeError, match="experiment must decorate a function"):
        _decl()(42)
    runs.discover()
    with pytest.raises(ValueError, match="declared twice"):
        runs.experiment(chapter="ellipse", name="tabulation", full={}, fast={})(lambda s, p: {})
    with pytest.raises(TypeError, match="chapter"):
        runs.load(1, "tabulation")
    with pytest.raises(ValueError, match="name"):
        runs.load("ellipse", "no-such-run")
    with pytest.raises(ValueError, match="name"):
        runs.get("ellipse/no-such-run")
    with pytest.raises(TypeError, match="name"):
        runs.get(None)
    with pytest.raises(TypeError, match="fast"):
        runs.run_experiment("ellipse/tabulation", fast="yes")
    with pytest.raises(TypeError, match="progress"):
        runs.run_experiment("ellipse/tabulation", fast=True, progress=print)
    with pytest.raises(TypeError, match="modname"):
        runs.module_sources(3)
    with pytest.raises(ValueError, match="modname"):
        runs.module_sources("blogcode.no_such_module")
    with pytest.raises(TypeError, match="rtol"):
        runs.compare_results({}, {}, rtol="1")
    with pytest.raises(TypeError, match="new"):
        runs.compare_results([], {}, rtol=1.0)
    with pytest.raises(TypeError, match="quiet"):
        runs.Progress(quiet=1)
    with pytest.raises(SystemExit):
        runs.main(["run", "ellipse/no-such-run"])


def test_results_that_are_not_json_are_refused(fake, tmp_path):
    pkg, base = fake
    (base / "sub" / "experiments.py").write_text(
        EXPERIMENTS.format(pkg=pkg).replace('"calls": _calls[0]', '"calls": object()'))
    _reimport(pkg)
    runs._REGISTRY.pop("fake/one", None)
    with pytest.raises(TypeError, match="JSON-serialisable"):
        runs.run_experiment("fake/one", package=pkg, results_dir=tmp_path, progress=runs.Progress(quiet=True))


def test_the_committed_ellipse_recording_loads_and_reproduces():
    """results/ellipse/tabulation.json: its provenance line, and a full re-run (about
    3 s) that gives the same values and errors within the declared tolerance."""
    run = runs.load("ellipse", "tabulation")
    assert run.mode == "full" and run.settings == runs.get("ellipse/tabulation").full
    assert run.provenance_line().startswith("recorded on ") and " commit " in run.provenance_line()
    assert len(run.provenance["commit"]["head"]) == 40
    assert -2e-3 < run.results["errors"]["l"] < -1e-4 and run.results["tabulated"]["glues"]
    assert run.reproduce(fast=False) is True


def test_commit_provenance_names_head():
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=runs.ROOT, capture_output=True, text=True).stdout.strip()
    commit = runs._commit(runs.module_sources("blogcode.ellipse.experiments"), "blogcode")
    assert commit["head"] == head and isinstance(commit["dirty"], bool)
    assert all(path.startswith("blogcode/") for path in commit["dirty_dependencies"])
