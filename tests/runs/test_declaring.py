"""Tests of blogcode.runs.declaring: the ``@experiment`` decorator, the registry it
fills and its checks of a declaration."""

from __future__ import annotations

import pytest

from blogcode.runs import declaring, discovery


def _decl(**overrides):
    kwargs = dict(chapter="fake", name="bad", full={}, fast={})
    kwargs.update(overrides)
    return declaring.experiment(**kwargs)


def test_experiment_registers_and_returns_the_function():
    def probe(settings, progress):
        return {"n": settings["n"]}

    try:
        assert _decl(name="probe", full={"n": 3}, fast={"n": 1}, rtol=0.5, compare=["n"])(probe) is probe
        exp = declaring.REGISTRY["fake/probe"]
        assert probe.experiment is exp and exp.key == "fake/probe" and exp.module == __name__
        assert exp.settings() == {"n": 3} and exp.settings(fast=True) == {"n": 1}
        exp.settings()["n"] = 99  # a copy: the declaration stays as it is
        assert exp.full == {"n": 3} and exp.rtol == 0.5 and exp.atol == 0.0 and exp.compare == ("n",)
        assert _decl(name="probe", full={"n": 4}, fast={})(probe) is probe  # a re-import replaces it
        assert declaring.REGISTRY["fake/probe"].full == {"n": 4}
    finally:
        declaring.REGISTRY.pop("fake/probe", None)


def test_where_things_live():
    assert (declaring.ROOT / "blogcode" / "runs" / "declaring.py").is_file()
    assert declaring.RESULTS_DIR == declaring.ROOT / "results" and declaring.PACKAGE == "blogcode"
    assert declaring.REFRESH.format(key="a/b") == ".venv/bin/python -m blogcode.runs run a/b"
    assert declaring.check_name("ellipse", "chapter") == "ellipse"


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
    discovery.discover()
    with pytest.raises(ValueError, match="declared twice"):
        declaring.experiment(chapter="ellipse", name="tabulation", full={}, fast={})(lambda s, p: {})
