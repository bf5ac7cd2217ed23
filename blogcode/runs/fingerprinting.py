"""The fingerprint of a recording: the sources of the ``blogcode`` modules an experiment
imports, transitively (found statically with ``ast``), and its settings.

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design).
The runs machinery itself (``blogcode.runs`` and every module of it) is left out, so
that editing it never makes a recording stale.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
from pathlib import Path

from blogcode import checks
from blogcode.runs.declaring import PACKAGE, Experiment

#: The modules (with their submodules) never part of a fingerprint: this recorder.
EXCLUDED = ("blogcode.runs",)


def package_root(package: str) -> Path:
    """The folder of the (imported) top-level package ``package``."""
    top = importlib.import_module(package)
    return Path(top.__file__).resolve().parent


def module_file(modname: str, root: Path, package: str) -> Path | None:
    """The source file of module ``modname`` of ``package`` (whose folder is ``root``),
    ``None`` when there is none (an attribute, as in ``from blogcode import FAST``)."""
    parts = modname.split(".")
    if parts[0] != package:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py") if parts[1:] else None, base / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, modname: str, is_package: bool) -> set[str]:
    """Names of the modules (or attributes of modules) a file's import statements name."""
    names: set[str] = set()
    own_package = modname if is_package else modname.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = own_package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _excluded(name: str, exclude) -> bool:
    return any(name == e or name.startswith(e + ".") for e in exclude)


def module_sources(modname: str, *, package: str = PACKAGE, exclude=EXCLUDED) -> dict[str, str]:
    """``{module: sha256 of its source}`` for ``modname`` and every module of ``package``
    it imports, transitively (parent packages included), found statically with ``ast``.
    ``exclude`` names modules left out together with their submodules (by default this
    recorder itself, the whole ``blogcode.runs`` package)."""
    modname = checks.string(modname, "modname", allow_empty=False)
    exclude = tuple(checks.string(e, "exclude item", allow_empty=False)
                    for e in checks.instance_of(exclude, "exclude", (tuple, list)))
    root = package_root(package)
    if module_file(modname, root, package) is None:
        raise ValueError(f"modname {modname!r} is not a module of {package!r}")
    found: dict[str, str] = {}
    todo = [modname]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) not in found)
        if name in found or _excluded(name, exclude):
            continue
        path = module_file(name, root, package)
        if path is None:
            continue  # an attribute (from blogcode import FAST) or not ours
        source = path.read_bytes().replace(b"\r\n", b"\n")
        found[name] = hashlib.sha256(source).hexdigest()
        tree = ast.parse(source, filename=str(path))
        todo.extend(n for n in _imports(tree, name, path.name == "__init__.py")
                    if n.split(".")[0] == package and n not in found)
    return dict(sorted(found.items()))


def canonical(settings: dict) -> str:
    """Canonical JSON of ``settings`` (sorted keys, no spaces): equal settings, equal text."""
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), allow_nan=False)


def fingerprint(modules: dict[str, str], settings: dict) -> str:
    """SHA-256 over the module hashes (by name) and the canonical JSON of ``settings``."""
    checks.instance_of(modules, "modules", dict)
    checks.instance_of(settings, "settings", dict)
    text = canonical({"modules": modules, "settings": settings})
    return hashlib.sha256(text.encode()).hexdigest()


def current_fingerprint(exp: Experiment, fast: bool = False) -> tuple[str, dict[str, str]]:
    """``(fingerprint, module hashes)`` of experiment ``exp`` as its code stands now,
    with its full settings (``fast=True``: its small ones)."""
    package = exp.module.split(".")[0]
    modules = module_sources(exp.module, package=package)
    return fingerprint(modules, exp.settings(fast)), modules
