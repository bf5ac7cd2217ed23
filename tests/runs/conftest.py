"""What the tests of blogcode.runs share: a throw-away package of fake experiments.

Fake experiments live in a package written to a temporary folder, so no real module
is edited; recordings go to temporary folders, never to results/.
"""

from __future__ import annotations

import sys
import uuid

import pytest

from blogcode.runs import declaring, discovery, fingerprinting

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

_RAISES = "raise RuntimeError('discovery imported me')\n"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A package ``fakepkg_<id>``: core (a dependency), unrelated, sub/experiments (an
    experiment "fake/one"), and modules that raise if discovery imports them:
    never_imported, old_experiments (the old ``*_experiments`` rule) and
    sub/deeper/experiments (not a chapter package's)."""
    pkg = f"fakepkg_{uuid.uuid4().hex[:8]}"
    base = tmp_path / "src" / pkg
    (base / "sub" / "deeper").mkdir(parents=True)
    (base / "__init__.py").write_text('"""fake"""\n')
    (base / "core.py").write_text("def f(i):\n    return i * i\n")
    (base / "unrelated.py").write_text("X = 1\n")
    (base / "never_imported.py").write_text(_RAISES)
    (base / "old_experiments.py").write_text(_RAISES)
    (base / "sub" / "__init__.py").write_text("")
    (base / "sub" / "experiments.py").write_text(EXPERIMENTS.format(pkg=pkg))
    (base / "sub" / "deeper" / "__init__.py").write_text("")
    (base / "sub" / "deeper" / "experiments.py").write_text(_RAISES)
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    yield pkg, base
    for key in [k for k, e in declaring.REGISTRY.items() if e.module.startswith(pkg)]:
        del declaring.REGISTRY[key]
    for name in [m for m in sys.modules if m == pkg or m.startswith(pkg + ".")]:
        del sys.modules[name]


def fingerprint_of(pkg, fast=False):
    """The current fingerprint of the fake experiment "fake/one" of ``pkg``."""
    return fingerprinting.current_fingerprint(discovery.get("fake/one", package=pkg), fast)[0]


def reimport(pkg):
    """Forget ``pkg``'s submodules, so that the next discovery imports them afresh."""
    for name in [m for m in sys.modules if m.startswith(pkg + ".")]:
        del sys.modules[name]
