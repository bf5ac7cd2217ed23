"""Tests of blogcode.runs.discovery: experiments are found in the chapter packages'
``experiments`` modules, and no other module is imported."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from blogcode.runs import discovery

ROOT = Path(__file__).resolve().parents[2]


def test_discovery_finds_the_ellipse_experiment():
    found = discovery.discover()
    exp = found["ellipse/tabulation"]
    assert exp.module == "blogcode.ellipse.experiments" and exp.fn.__name__ == "tabulation"
    assert exp.full["step"] == 1e-6 and exp.fast["step"] > exp.full["step"]
    assert all(e.module.startswith("blogcode.") for e in found.values())
    assert "blogcode.ellipse.experiments" in discovery.experiments_modules()
    assert all(m.count(".") == 2 and discovery.is_experiments_module(m.rsplit(".", 1)[1])
               for m in discovery.experiments_modules())
    assert discovery.get("ellipse/tabulation") is exp


def test_discovery_imports_only_experiments_modules(fake):
    pkg, _ = fake
    assert discovery.experiments_modules(pkg) == [f"{pkg}.sub.experiments"]
    found = discovery.discover(pkg)
    assert list(found) == ["fake/one"] and found["fake/one"].module == f"{pkg}.sub.experiments"
    assert f"{pkg}.never_imported" not in sys.modules and f"{pkg}.unrelated" not in sys.modules
    # the old rule (a flat ``*_experiments`` module) is gone, and only a chapter package's counts
    assert f"{pkg}.old_experiments" not in sys.modules and f"{pkg}.sub.deeper.experiments" not in sys.modules
    assert "fake/one" not in discovery.discover()  # another package's experiments are not blogcode's


def test_shared_layer_imports_no_chapter_module():
    files = sorted((ROOT / "blogcode" / "runs").glob("*.py"))
    assert {p.name for p in files} >= {"__init__.py", "__main__.py", "discovery.py"}
    ours = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("blogcode"):
                ours.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                ours.update(a.name for a in node.names if a.name.startswith("blogcode"))
    assert all(n == "blogcode" or n == "blogcode.checks" or n.startswith("blogcode.runs.") for n in ours), ours


def test_bad_use():
    with pytest.raises(ValueError, match="name"):
        discovery.get("ellipse/no-such-run")
    with pytest.raises(TypeError, match="name"):
        discovery.get(None)
    with pytest.raises(TypeError, match="package"):
        discovery.discover(3)


def test_discovery_finds_a_chapters_topic_experiments_module(fake):
    pkg, base = fake
    topic = EXPERIMENTS_TOPIC.format(pkg=pkg)
    (base / "sub" / "poems_experiments.py").write_text(topic)
    (base / "sub" / "experiments_helpers.py").write_text("raise RuntimeError('not an experiments module')\n")
    assert discovery.experiments_modules(pkg) == [f"{pkg}.sub.experiments", f"{pkg}.sub.poems_experiments"]
    found = discovery.discover(pkg)
    assert list(found) == ["fake/one", "fake/two"]
    assert found["fake/two"].module == f"{pkg}.sub.poems_experiments"
    assert f"{pkg}.sub.experiments_helpers" not in sys.modules


EXPERIMENTS_TOPIC = '''
from blogcode.runs import experiment


@experiment(chapter="fake", name="two", full=dict(n=2), fast=dict(n=1))
def two(settings, progress):
    return {{"n": settings["n"]}}
'''
