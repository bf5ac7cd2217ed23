"""Discovery: the experiments of a package, found in its chapter packages'
experiments modules (``blogcode/<chapter>/experiments.py``, and ``<topic>_experiments.py``
for a chapter with experiments on more than one topic), never named here.

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design).
"""

from __future__ import annotations

import importlib
import pkgutil

from blogcode import checks
from blogcode.runs.declaring import PACKAGE, REGISTRY, Experiment
from blogcode.runs.fingerprinting import package_root

#: The name of the module, in each chapter package, that declares its experiments; a
#: chapter may add modules named ``<topic>_experiments`` (each its own fingerprint).
EXPERIMENTS_MODULE = "experiments"


def is_experiments_module(name: str) -> bool:
    return name == EXPERIMENTS_MODULE or name.endswith("_" + EXPERIMENTS_MODULE)


def experiments_modules(package: str = PACKAGE) -> list[str]:
    """The names ``<package>.<chapter>.experiments`` (and ``<package>.<chapter>.<topic>_experiments``)
    of the experiments modules of ``package``'s sub-packages, found without importing any module."""
    package = checks.string(package, "package", allow_empty=False)
    root = package_root(package)
    found = []
    for info in pkgutil.iter_modules([str(root)], package + "."):
        if not info.ispkg:
            continue
        folder = root / info.name.rsplit(".", 1)[-1]
        found.extend(f"{info.name}.{m.name}" for m in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name)
                     if is_experiments_module(m.name) and not m.ispkg)
    return found


def discover(package: str = PACKAGE) -> dict[str, Experiment]:
    """Import every ``<chapter>/experiments`` module of ``package`` and return the
    experiments declared in that package, by key ``chapter/name``."""
    for modname in experiments_modules(package):
        importlib.import_module(modname)
    return {k: e for k, e in sorted(REGISTRY.items())
            if e.module == package or e.module.startswith(package + ".")}


def get(key, *, package: str = PACKAGE) -> Experiment:
    """The experiment ``chapter/name``; ``ValueError`` naming the known ones if unknown."""
    key = checks.string(key, "name", allow_empty=False)
    found = discover(package)
    if key not in found:
        raise ValueError(f"name {key!r} is no experiment; known: {', '.join(found) or 'none'}")
    return found[key]
