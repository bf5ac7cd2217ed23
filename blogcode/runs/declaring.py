"""Declaring an experiment: the ``@experiment`` decorator, :class:`Experiment` and the
registry it fills, and where things live (``ROOT``, ``RESULTS_DIR``, the refresh command).

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Callable

from blogcode import checks

#: The package whose experiments are discovered by default.
PACKAGE = "blogcode"
#: The repository root (the folder holding ``blogcode/`` and ``results/``).
ROOT = Path(__file__).resolve().parents[2]
#: Where recordings live: ``results/<chapter>/<name>.json``.
RESULTS_DIR = ROOT / "results"
#: Version of the recording's JSON layout.
SCHEMA = 1
#: The command that (re-)records experiment ``key``.
REFRESH = ".venv/bin/python -m blogcode.runs run {key}"
#: Every declared experiment, by key ``chapter/name`` (filled by :func:`experiment`).
REGISTRY: dict[str, "Experiment"] = {}

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def check_name(value, name: str) -> str:
    """``value`` if it is a chapter or experiment name (lower-case letters, digits,
    ``_`` or ``-``); ``TypeError``/``ValueError`` naming ``name`` otherwise."""
    value = checks.string(value, name, allow_empty=False)
    if not _NAME_RE.match(value):
        raise ValueError(f"{name} must be lower-case letters, digits, '_' or '-', got {value!r}")
    return value


def _check_settings(value, name: str) -> dict:
    checks.instance_of(value, name, dict)
    for key in value:
        checks.string(key, f"{name} key")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be JSON-serialisable (plain numbers, strings, lists, dicts): {err}") from None
    return dict(value)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One declared experiment: ``fn(settings, progress) -> dict`` and its two settings."""

    chapter: str
    name: str
    fn: Callable
    full: dict
    fast: dict
    rtol: float = 1e-7
    atol: float = 0.0
    compare: tuple | None = None

    @property
    def key(self) -> str:
        return f"{self.chapter}/{self.name}"

    @property
    def module(self) -> str:
        return self.fn.__module__

    def settings(self, fast: bool = False) -> dict:
        return dict(self.fast if fast else self.full)


def experiment(*, chapter, name, full, fast, rtol=1e-7, atol=0.0, compare=None):
    """Decorator declaring ``fn(settings: dict, progress) -> dict`` as experiment
    ``chapter/name`` with its ``full`` and ``fast`` settings (JSON-serialisable dicts).

    ``rtol``/``atol`` is the tolerance within which a re-run must reproduce the
    recorded results named by ``compare`` (a sequence of top-level result keys;
    ``None``: all of them). Returns ``fn`` unchanged.
    """
    chapter = check_name(chapter, "chapter")
    name = check_name(name, "name")
    full = _check_settings(full, "full")
    fast = _check_settings(fast, "fast")
    rtol = checks.real(rtol, "rtol", minimum=0.0)
    atol = checks.real(atol, "atol", minimum=0.0)
    if compare is not None:
        compare = tuple(checks.string(k, "compare item", allow_empty=False)
                        for k in checks.nonempty(compare, "compare"))

    def register(fn):
        if not callable(fn):
            raise TypeError(f"experiment must decorate a function, got {type(fn).__name__}")
        exp = Experiment(chapter, name, fn, full, fast, rtol, atol, compare)
        old = REGISTRY.get(exp.key)
        if old is not None and (old.module, old.fn.__qualname__) != (exp.module, fn.__qualname__):
            raise ValueError(f"experiment {exp.key!r} is declared twice: in {old.module} and {exp.module}")
        REGISTRY[exp.key] = exp  # a re-import of the same module replaces its declaration
        fn.experiment = exp
        return fn

    return register
