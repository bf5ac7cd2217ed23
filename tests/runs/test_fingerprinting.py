"""Tests of blogcode.runs.fingerprinting: what a recording depends on (the modules an
experiment imports, found statically, the runs machinery excepted) and its fingerprint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blogcode.runs import declaring, discovery, fingerprinting
from tests.runs.conftest import EXPERIMENTS, fingerprint_of, reimport

ROOT = Path(__file__).resolve().parents[2]


def test_fingerprint_is_stable_across_processes():
    here = fingerprinting.current_fingerprint(discovery.get("ellipse/tabulation"))[0]
    code = ("from blogcode.runs import discovery, fingerprinting; "
            "print(fingerprinting.current_fingerprint(discovery.get('ellipse/tabulation'))[0])")
    # from the repository root, so that this checkout's blogcode is the one imported
    env = dict(os.environ, PYTHONHASHSEED="123", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here


def test_ellipse_dependencies_are_found_statically():
    modules = fingerprinting.module_sources("blogcode.ellipse.experiments")
    assert {"blogcode", "blogcode.ellipse", "blogcode.ellipse.gluing", "blogcode.ellipse.experiments"} <= set(modules)
    assert "blogcode.runs" not in modules and "blogcode.rope.solver" not in modules
    assert not any(m.startswith("blogcode.optimizers") for m in modules)
    # no module of the runs package either: editing the recorder never stales a recording
    assert fingerprinting.EXCLUDED == ("blogcode.runs",)
    assert not any(m.startswith("blogcode.runs") for m in modules)
    assert all(len(h) == 64 for h in modules.values()) and list(modules) == sorted(modules)


def test_an_excluded_package_is_left_out_with_its_modules(fake):
    pkg, base = fake
    (base / "machinery").mkdir()
    (base / "machinery" / "__init__.py").write_text("from .part import X\n")
    (base / "machinery" / "part.py").write_text("X = 1\n")
    (base / "sub" / "helper.py").write_text("from ..machinery.part import X\nfrom .. import core\n")
    everything = fingerprinting.module_sources(f"{pkg}.sub.helper", package=pkg, exclude=())
    assert {f"{pkg}.machinery", f"{pkg}.machinery.part", f"{pkg}.core"} <= set(everything)
    without = fingerprinting.module_sources(f"{pkg}.sub.helper", package=pkg, exclude=(f"{pkg}.machinery",))
    assert set(without) == {pkg, f"{pkg}.sub", f"{pkg}.sub.helper", f"{pkg}.core"}
    (base / "machinery" / "part.py").write_text("X = 2  # edited\n")
    assert fingerprinting.module_sources(f"{pkg}.sub.helper", package=pkg, exclude=[f"{pkg}.machinery"]) == without
    assert fingerprinting.module_sources(f"{pkg}.sub.helper", package=pkg, exclude=()) != everything


def test_fingerprint_follows_dependencies_and_settings(fake):
    pkg, base = fake
    before = fingerprint_of(pkg)
    (base / "unrelated.py").write_text("X = 2\n")
    assert fingerprint_of(pkg) == before  # not imported by the experiment
    (base / "core.py").write_text("def f(i):\n    return i * i  # edited\n")
    edited = fingerprint_of(pkg)
    assert edited != before
    (base / "core.py").write_text("def f(i):\n    return i * i\n")
    assert fingerprint_of(pkg) == before  # the source, not the file's time, counts
    exp = discovery.get("fake/one", package=pkg)
    modules = fingerprinting.module_sources(exp.module, package=pkg)
    assert fingerprinting.fingerprint(modules, {"n": 3, "seed": 1}) == before
    assert fingerprinting.fingerprint(modules, {"n": 4, "seed": 1}) != before
    assert fingerprinting.fingerprint(modules, {"seed": 1, "n": 3}) == before  # key order is irrelevant
    assert fingerprinting.current_fingerprint(exp) == (before, modules)
    assert fingerprinting.canonical({"b": [1, 2.5], "a": "x"}) == '{"a":"x","b":[1,2.5]}'


def test_relative_and_parent_imports_are_followed(fake):
    pkg, base = fake
    (base / "sub" / "helper.py").write_text("from ..core import f\n")
    (base / "sub" / "experiments.py").write_text(
        EXPERIMENTS.format(pkg=pkg).replace(f"from {pkg} import core", "from . import helper as core"))
    reimport(pkg)
    declaring.REGISTRY.pop("fake/one", None)
    modules = fingerprinting.module_sources(f"{pkg}.sub.experiments", package=pkg)
    assert {f"{pkg}.sub.helper", f"{pkg}.core", f"{pkg}.sub", pkg} <= set(modules)


def test_bad_use():
    with pytest.raises(TypeError, match="modname"):
        fingerprinting.module_sources(3)
    with pytest.raises(ValueError, match="modname"):
        fingerprinting.module_sources("blogcode.no_such_module")
    with pytest.raises(TypeError, match="exclude"):
        fingerprinting.module_sources("blogcode.ellipse.experiments", exclude="blogcode.runs")
    with pytest.raises(TypeError, match="modules"):
        fingerprinting.fingerprint([], {})
    with pytest.raises(TypeError, match="settings"):
        fingerprinting.fingerprint({}, None)
