"""Tests of blogcode.runs.running: running an experiment and recording it (the JSON
schema, the provenance, the progress bar), here on a fake package and on the ellipse
chapter's recorded experiment with its small settings."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from blogcode.runs import declaring, fingerprinting, running
from tests.runs.conftest import EXPERIMENTS, fingerprint_of, reimport


def test_run_writes_the_documented_schema(fake, tmp_path):
    pkg, _ = fake
    path = running.run_experiment("fake/one", package=pkg, results_dir=tmp_path / "res",
                                  progress=running.Progress(quiet=True))
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
    assert prov["fingerprint"] == fingerprint_of(pkg)
    assert prov["command"] == ".venv/bin/python -m blogcode.runs run fake/one"
    fast = json.loads(running.run_experiment("fake/one", fast=True, package=pkg, results_dir=tmp_path,
                                             progress=running.Progress(quiet=True)).read_text())
    assert fast["mode"] == "fast" and fast["results"]["values"] == [0, 1]
    assert fast["provenance"]["fingerprint"] == fingerprint_of(pkg, fast=True) != prov["fingerprint"]
    assert fast["provenance"]["command"].endswith("run fake/one --fast")


def test_plain_progress_bar_draws_the_total():
    stream = io.StringIO()
    progress = running.Progress(stream=stream)
    progress._tqdm = None  # the fallback, whether or not tqdm is installed
    assert list(progress(range(4), desc="demo")) == [0, 1, 2, 3]
    assert "demo [" in stream.getvalue() and "4/4" in stream.getvalue()
    progress.note("a note")
    assert stream.getvalue().endswith("a note\n")
    quiet = io.StringIO()
    assert list(running.Progress(quiet=True, stream=quiet)(iter("ab"))) == ["a", "b"]
    running.Progress(quiet=True, stream=quiet).note("not shown")
    assert quiet.getvalue() == ""


def test_ellipse_tabulation_fast_run(tmp_path):
    path = running.run_experiment("ellipse/tabulation", fast=True, results_dir=tmp_path,
                                  progress=running.Progress(quiet=True))
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


def test_results_that_are_not_json_are_refused(fake, tmp_path):
    pkg, base = fake
    (base / "sub" / "experiments.py").write_text(
        EXPERIMENTS.format(pkg=pkg).replace('"calls": _calls[0]', '"calls": object()'))
    reimport(pkg)
    declaring.REGISTRY.pop("fake/one", None)
    with pytest.raises(TypeError, match="JSON-serialisable"):
        running.run_experiment("fake/one", package=pkg, results_dir=tmp_path,
                               progress=running.Progress(quiet=True))


def test_numpy_results_and_result_paths():
    assert running.to_json(np.float64(0.5)) == 0.5 and running.to_json(np.arange(3)) == [0, 1, 2]
    with pytest.raises(TypeError, match="JSON-serialisable"):
        running.to_json(object())
    assert running.result_path(None, "ellipse", "tabulation") == declaring.RESULTS_DIR / "ellipse" / "tabulation.json"
    assert running.result_path("elsewhere", "a", "b").as_posix() == "elsewhere/a/b.json"
    with pytest.raises(TypeError, match="results_dir"):
        running.result_path(3, "a", "b")


def test_commit_provenance_names_head():
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=declaring.ROOT,
                          capture_output=True, text=True).stdout.strip()
    commit = running._commit(fingerprinting.module_sources("blogcode.ellipse.experiments"), "blogcode")
    assert commit["head"] == head and isinstance(commit["dirty"], bool)
    assert all(path.startswith("blogcode/") for path in commit["dirty_dependencies"])


def test_bad_use():
    with pytest.raises(TypeError, match="fast"):
        running.run_experiment("ellipse/tabulation", fast="yes")
    with pytest.raises(TypeError, match="progress"):
        running.run_experiment("ellipse/tabulation", fast=True, progress=print)
    with pytest.raises(TypeError, match="quiet"):
        running.Progress(quiet=1)


def test_tensorflow_use_is_read_from_the_experiment_code():
    from blogcode.runs.running import import_names, uses_tensorflow

    assert import_names("import numpy as np\nfrom keras import ops\n") == {"numpy", "keras"}
    assert import_names("def f():\n    import tensorflow as tf\n") == set()     # lazy: read at run time
    assert import_names("try:\n    import tensorflow.math as m\nexcept ImportError:\n    pass\n") == {"tensorflow"}
    assert import_names("# import tensorflow\nx = 'import keras'\nfrom . import y\n") == set()
    assert not uses_tensorflow(["blogcode", "blogcode.checks", "blogcode.ellipse.experiments"])
    assert uses_tensorflow(["blogcode.masking"])
