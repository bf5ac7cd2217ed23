"""Recorded full runs: declare an experiment, record it in ``results/``, load it in a chapter.

Shared layer, used by every chapter that shows a full-settings result (the first is
"Gluing two elliptical sheets", ``book/ellipse.md``). Full settings need a GPU or hours
of CPU, so a chapter runs its small settings live and *loads* the full run from
``results/<chapter>/<name>.json``, with where, when, from which commit and from which
code it came; ``check`` says when that code or those settings have changed since.

Why not DVC: it tracks files and shell stages, with its own config, cache and hooks, while
our experiments are Python functions whose dependencies are ``blogcode`` modules. Those
``ast`` finds offline in milliseconds, so a few hundred lines of standard library (tqdm
drawn when installed, never required) do the whole job.

Declaring an experiment (where it lives, never here)::

    from blogcode.runs import experiment

    @experiment(chapter="ellipse", name="tabulation", full=dict(step=1e-6), fast=dict(step=1e-4),
                rtol=1e-9, atol=1e-12, compare=("errors",))
    def tabulation(settings: dict, progress) -> dict:
        for step in progress(settings["steps"], desc="steps"): ...
        return {...}            # JSON-serialisable: numbers, strings, lists, dicts

``compare`` names the result keys that are deterministic (the ones a re-run must
reproduce within ``rtol``/``atol``; times are not among them). An experiment with
randomness puts its seeds in its settings: ``settings["seed"]`` (0 if absent) is given
to ``blogcode.set_seed`` before the function runs.

Discovery rule. This module never imports a chapter module by name. ``discover()``
walks the ``blogcode`` folders with ``pkgutil.iter_modules`` (without importing the
packages it walks) and imports every module named ``experiments`` or ``*_experiments``
(``blogcode/ellipse/experiments.py``, later ``blogcode/<chapter>/experiments.py``). Such a
module (and a chapter package's ``__init__``) should import TensorFlow only inside its
functions, so that ``check`` stays fast.

Fingerprint. SHA-256 of the settings (canonical JSON) and of the source of every
``blogcode`` module the experiment's module imports, transitively, found statically with
``ast`` (imports anywhere in a file count, parent packages' ``__init__`` too, this
module excepted): the same code gives the same fingerprint on any machine. Any edit of
such a source, a comment included, makes the recording stale: re-record, or see that
the results are unchanged (``git diff results/``).

Command line (from the repository root)::

    python -m blogcode.runs list                 # experiments and the state of their recordings
    python -m blogcode.runs run ellipse/tabulation [--fast] [--results DIR]
    python -m blogcode.runs check [--results DIR] # non-zero, with the refresh commands, if stale

In a chapter::

    run = runs.load("ellipse", "tabulation")
    print(run.provenance_line())   # recorded on <device>, <date>, in <m> min, commit <short>
    run.reproduce()                # full mode only: re-run and compare within the tolerance
    assert run.results["errors"]["l"] < -1e-4
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime as _dt
import hashlib
import importlib
import json
import math
import os
import pkgutil
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from blogcode import checks

__all__ = [
    "Experiment",
    "Run",
    "experiment",
    "discover",
    "get",
    "module_sources",
    "fingerprint",
    "run_experiment",
    "stale_runs",
    "load",
    "compare_results",
    "Progress",
    "RESULTS_DIR",
    "main",
]

PACKAGE = "blogcode"
ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "results"
SCHEMA = 1
REFRESH = ".venv/bin/python -m blogcode.runs run {key}"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_REGISTRY: dict[str, "Experiment"] = {}


# --------------------------------------------------------------------------- declaring

def _check_name(value, name: str) -> str:
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
    chapter = _check_name(chapter, "chapter")
    name = _check_name(name, "name")
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
        old = _REGISTRY.get(exp.key)
        if old is not None and (old.module, old.fn.__qualname__) != (exp.module, fn.__qualname__):
            raise ValueError(f"experiment {exp.key!r} is declared twice: in {old.module} and {exp.module}")
        _REGISTRY[exp.key] = exp  # a re-import of the same module replaces its declaration
        fn.experiment = exp
        return fn

    return register


# --------------------------------------------------------------------------- discovery

def _is_experiments_module(modname: str) -> bool:
    last = modname.rsplit(".", 1)[-1]
    return last == "experiments" or last.endswith("_experiments")


def _walk(path: Path, prefix: str):
    """Module names under ``path`` (recursively), without importing any package."""
    for info in pkgutil.iter_modules([str(path)], prefix):
        yield info.name
        if info.ispkg:
            yield from _walk(path / info.name.rsplit(".", 1)[-1], info.name + ".")


def discover(package: str = PACKAGE) -> dict[str, Experiment]:
    """Import every ``experiments`` / ``*_experiments`` module of ``package`` and return
    the experiments declared in that package, by key ``chapter/name``."""
    package = checks.string(package, "package", allow_empty=False)
    root = _package_root(package)
    for modname in _walk(root, package + "."):
        if _is_experiments_module(modname):
            importlib.import_module(modname)
    return {k: e for k, e in sorted(_REGISTRY.items())
            if e.module == package or e.module.startswith(package + ".")}


def get(key, *, package: str = PACKAGE) -> Experiment:
    """The experiment ``chapter/name``; ``ValueError`` naming the known ones if unknown."""
    key = checks.string(key, "name", allow_empty=False)
    found = discover(package)
    if key not in found:
        raise ValueError(f"name {key!r} is no experiment; known: {', '.join(found) or 'none'}")
    return found[key]


# --------------------------------------------------------------------------- fingerprint

def _package_root(package: str) -> Path:
    top = importlib.import_module(package)
    return Path(top.__file__).resolve().parent


def _module_file(modname: str, root: Path, package: str) -> Path | None:
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


def module_sources(modname: str, *, package: str = PACKAGE, exclude=("blogcode.runs",)) -> dict[str, str]:
    """``{module: sha256 of its source}`` for ``modname`` and every module of ``package``
    it imports, transitively (parent packages included), found statically with ``ast``.
    ``exclude`` names modules left out (by default this recorder itself)."""
    modname = checks.string(modname, "modname", allow_empty=False)
    root = _package_root(package)
    if _module_file(modname, root, package) is None:
        raise ValueError(f"modname {modname!r} is not a module of {package!r}")
    found: dict[str, str] = {}
    todo = [modname]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) not in found)
        if name in found or name in exclude:
            continue
        path = _module_file(name, root, package)
        if path is None:
            continue  # an attribute (from blogcode import FAST) or not ours
        source = path.read_bytes().replace(b"\r\n", b"\n")
        found[name] = hashlib.sha256(source).hexdigest()
        tree = ast.parse(source, filename=str(path))
        todo.extend(n for n in _imports(tree, name, path.name == "__init__.py")
                    if n.split(".")[0] == package and n not in found)
    return dict(sorted(found.items()))


def _canonical(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), allow_nan=False)


def fingerprint(modules: dict[str, str], settings: dict) -> str:
    """SHA-256 over the module hashes (by name) and the canonical JSON of ``settings``."""
    checks.instance_of(modules, "modules", dict)
    checks.instance_of(settings, "settings", dict)
    text = _canonical({"modules": modules, "settings": settings})
    return hashlib.sha256(text.encode()).hexdigest()


def _current_fingerprint(exp: Experiment, fast: bool = False) -> tuple[str, dict[str, str]]:
    package = exp.module.split(".")[0]
    modules = module_sources(exp.module, package=package)
    return fingerprint(modules, exp.settings(fast)), modules


# --------------------------------------------------------------------------- running

class Progress:
    """What an experiment gets as ``progress``: ``for x in progress(items, desc=...)``
    draws a bar (tqdm when installed, else a plain one on stderr); ``progress.note(text)``
    prints a line. ``Progress(quiet=True)`` draws nothing (tests)."""

    def __init__(self, *, quiet: bool = False, stream=None):
        self.quiet = checks.boolean(quiet, "quiet")
        self.stream = stream if stream is not None else sys.stderr
        try:
            from tqdm import tqdm  # optional: not in requirements.txt
        except ImportError:
            tqdm = None
        self._tqdm = tqdm

    def __call__(self, iterable, total=None, desc: str = ""):
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        if self.quiet:
            yield from iterable
            return
        if self._tqdm is not None:
            yield from self._tqdm(iterable, total=total, desc=desc, file=self.stream)
            return
        start, last, i = time.monotonic(), -1.0, -1
        live = hasattr(self.stream, "isatty") and self.stream.isatty()  # else: the last line only
        for i, item in enumerate(iterable):
            now = time.monotonic()
            if live and now - last >= 0.5:
                self._draw(desc, i, total, now - start)
                last = now
            yield item
        self._draw(desc, i + 1 if total is None else total, total, time.monotonic() - start, end="\n")

    def _draw(self, desc, done, total, elapsed, end=""):
        if total:
            filled = int(30 * done / total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}"
        else:
            bar = f"{done} done"
        self.stream.write(f"\r{desc} {bar} {elapsed:.0f} s{end}")
        self.stream.flush()

    def note(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(f"{text}\n")
            self.stream.flush()


def _to_json(value):
    """``json.dumps`` default: NumPy scalars and arrays as plain Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"results must be JSON-serialisable; {type(value).__name__} is not")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.rstrip() if out.returncode == 0 else None  # keep porcelain's leading space


def _commit(modules: dict[str, str], package: str) -> dict:
    head = _git("rev-parse", "HEAD")
    # dirty: tracked files changed outside results/ (recordings are written there), or
    # any dependency of the experiment changed or untracked
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    files = [str(_module_file(m, _package_root(package), package).relative_to(ROOT))
             for m in modules if package == PACKAGE]
    changed = _git("status", "--porcelain", "--", *files) if files else ""
    dirty_dependencies = sorted(line[3:] for line in (changed or "").splitlines())
    return {"head": head, "dirty": bool(status or dirty_dependencies) if status is not None else None,
            "dirty_dependencies": dirty_dependencies}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _device(uses_tf: bool) -> dict:
    import blogcode

    gpu = None
    if uses_tf:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            gpu = tf.config.experimental.get_device_details(gpus[0]).get("device_name") or "GPU"
    return {"report": blogcode.device_report(uses_tensorflow=uses_tf), "cpu": _cpu_model(),
            "cpu_count": os.cpu_count(), "gpu": gpu}


def _versions(uses_tf: bool) -> dict:
    import numpy
    import scipy

    versions = {"python": platform.python_version(), "numpy": numpy.__version__,
                "scipy": scipy.__version__, "tensorflow": None, "keras": None}
    if uses_tf:
        import keras
        import tensorflow

        versions.update(tensorflow=tensorflow.__version__, keras=keras.__version__)
    return versions


def _path(results_dir, chapter: str, name: str) -> Path:
    base = RESULTS_DIR if results_dir is None else Path(
        checks.instance_of(results_dir, "results_dir", (str, os.PathLike)))
    return base / chapter / f"{name}.json"


def run_experiment(key, *, fast: bool = False, results_dir=None, progress: Progress | None = None,
                   package: str = PACKAGE) -> Path:
    """Run experiment ``key`` (``"chapter/name"``) with its full settings (``fast=True``:
    its small ones) and write ``<results_dir>/<chapter>/<name>.json``; return that path."""
    fast = checks.boolean(fast, "fast")
    exp = key if isinstance(key, Experiment) else get(key, package=package)
    progress = Progress() if progress is None else checks.instance_of(progress, "progress", Progress)
    path = _path(results_dir, exp.chapter, exp.name)
    settings = exp.settings(fast)
    import blogcode

    blogcode.set_seed(settings.get("seed", 0))
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    results = exp.fn(dict(settings), progress)
    wall = time.perf_counter() - t0
    checks.instance_of(results, "results", dict)
    results = json.loads(json.dumps(results, default=_to_json))
    uses_tf = "tensorflow" in sys.modules
    fp, modules = _current_fingerprint(exp, fast)
    record = {
        "schema": SCHEMA,
        "experiment": exp.key,
        "mode": "fast" if fast else "full",
        "settings": settings,
        "results": results,
        "provenance": {
            "seed": settings.get("seed", 0),
            "device": _device(uses_tf),
            "versions": _versions(uses_tf),
            "commit": _commit(modules, exp.module.split(".")[0]),
            "started": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "wall_seconds": round(wall, 3),
            "fingerprint": fp,
            "modules": modules,
            "command": REFRESH.format(key=exp.key) + (" --fast" if fast else ""),
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- checking

def _recordings(results_dir) -> dict[str, Path]:
    base = RESULTS_DIR if results_dir is None else Path(results_dir)
    return {f"{p.parent.name}/{p.stem}": p for p in sorted(base.glob("*/*.json"))}


def stale_runs(*, results_dir=None, package: str = PACKAGE) -> list[str]:
    """One message per stale recording (empty when all are current): a recording older
    than a module it depends on or than its settings, a fast-mode recording, an
    experiment without recording and a recording without experiment."""
    found = discover(package)
    recorded = _recordings(results_dir)
    problems = []
    for key, exp in found.items():
        refresh = REFRESH.format(key=key)
        path = recorded.get(key)
        if path is None:
            problems.append(f"{key}: no recording; run: {refresh}")
            continue
        try:
            record = json.loads(path.read_text())
            prov = record["provenance"]
            mode, old_fp, old_modules = record["mode"], prov["fingerprint"], prov["modules"]
            old_settings = record["settings"]
        except (ValueError, KeyError, TypeError) as err:
            problems.append(f"{key}: {path} is unreadable ({err!r}); run: {refresh}")
            continue
        if mode != "full":
            problems.append(f"{key}: recorded with its {mode} settings; run: {refresh}")
            continue
        fp, modules = _current_fingerprint(exp)
        if fp == old_fp:
            continue
        why = [f"{m} changed" for m in modules if m in old_modules and old_modules[m] != modules[m]]
        why += [f"{m} is a new dependency" for m in modules if m not in old_modules]
        why += [f"{m} is no longer a dependency" for m in old_modules if m not in modules]
        if _canonical(old_settings) != _canonical(exp.full):
            why.append("its full settings changed")
        problems.append(f"{key}: stale ({', '.join(why) or 'fingerprint differs'}); run: {refresh}")
    for key, path in recorded.items():
        if key not in found:
            problems.append(f"{key}: {path} has no experiment (none declared in an experiments "
                            f"module of {package}); restore the experiment or delete the file")
    return problems


# --------------------------------------------------------------------------- loading

def _close(new, old, rtol: float, atol: float, where: str, out: list) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) != set(new):
            out.append(f"{where}: keys {sorted(new)} != recorded {sorted(old)}")
        for k in sorted(set(old) & set(new)):
            _close(new[k], old[k], rtol, atol, f"{where}.{k}", out)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{where}: length {len(new)} != recorded {len(old)}")
        for i, (n, o) in enumerate(zip(new, old)):
            _close(n, o, rtol, atol, f"{where}[{i}]", out)
    elif (isinstance(old, (int, float)) and isinstance(new, (int, float))
          and not isinstance(old, bool) and not isinstance(new, bool)):
        if not (math.isclose(new, old, rel_tol=rtol, abs_tol=atol) or (math.isnan(new) and math.isnan(old))):
            out.append(f"{where}: {new!r} != recorded {old!r}")
    elif new != old:
        out.append(f"{where}: {new!r} != recorded {old!r}")


def compare_results(new: dict, recorded: dict, *, rtol: float, atol: float = 0.0, keys=None) -> list[str]:
    """The differences (``[]`` when none) between ``new`` and ``recorded`` results, on the
    top-level ``keys`` (all if ``None``), numbers within ``rtol``/``atol``."""
    checks.instance_of(new, "new", dict)
    checks.instance_of(recorded, "recorded", dict)
    rtol = checks.real(rtol, "rtol", minimum=0.0)
    atol = checks.real(atol, "atol", minimum=0.0)
    keys = sorted(recorded) if keys is None else list(keys)
    out: list[str] = []
    for k in keys:
        if k not in recorded or k not in new:
            out.append(f"results[{k!r}] is missing from the {'recording' if k not in recorded else 're-run'}")
            continue
        _close(new[k], recorded[k], rtol, atol, f"results[{k!r}]", out)
    return out


@dataclasses.dataclass
class Run:
    """A recorded run as loaded by :func:`load`."""

    key: str
    path: Path
    mode: str
    settings: dict
    results: dict
    provenance: dict

    def provenance_line(self) -> str:
        """``recorded on <device>, <date>, in <m> min, commit <short>[, dirty]``."""
        p = self.provenance
        dev = p.get("device", {})
        device = dev.get("gpu") or (f"{dev.get('cpu')} ({dev.get('cpu_count')} cores)"
                                    if dev.get("cpu_count") else dev.get("cpu", "unknown device"))
        date = str(p.get("started", "unknown date"))[:10]
        minutes = float(p.get("wall_seconds", 0.0)) / 60
        took = f"{minutes:.1f} min" if minutes >= 0.05 else "< 0.1 min"
        commit = p.get("commit", {})
        head = (commit.get("head") or "unknown")[:7]
        dirty = ", dirty" if commit.get("dirty") else ""
        fast = ", fast settings" if self.mode != "full" else ""
        return f"recorded on {device}, {date}, in {took}, commit {head}{dirty}{fast}"

    def reproduce(self, *, fast: bool | None = None, quiet: bool = True, package: str = PACKAGE) -> bool:
        """In full mode (``blogcode.FAST`` false), re-run the experiment with the recorded
        settings and raise ``AssertionError`` listing what differs beyond its tolerance;
        in fast mode do nothing. Returns whether it re-ran. ``quiet=False`` draws the
        progress bar."""
        import blogcode

        fast = blogcode.FAST if fast is None else checks.boolean(fast, "fast")
        if fast:
            return False
        exp = get(self.key, package=package)
        blogcode.set_seed(self.settings.get("seed", 0))
        new = json.loads(json.dumps(exp.fn(dict(self.settings), Progress(quiet=quiet)), default=_to_json))
        diffs = compare_results(new, self.results, rtol=exp.rtol, atol=exp.atol, keys=exp.compare)
        if diffs:
            raise AssertionError(f"{self.key} does not reproduce its recording "
                                 f"(rtol={exp.rtol:g}, atol={exp.atol:g}):\n  " + "\n  ".join(diffs))
        return True


def load(chapter, name, *, results_dir=None) -> Run:
    """The recording ``results/<chapter>/<name>.json`` as a :class:`Run`."""
    chapter = _check_name(chapter, "chapter")
    name = _check_name(name, "name")
    path = _path(results_dir, chapter, name)
    if not path.is_file():
        raise ValueError(f"name: {chapter}/{name} has no recording at {path}; "
                         f"run: {REFRESH.format(key=f'{chapter}/{name}')}")
    record = json.loads(path.read_text())
    return Run(f"{chapter}/{name}", path, record["mode"], record["settings"], record["results"],
               record["provenance"])


# --------------------------------------------------------------------------- command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blogcode.runs", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="experiments and their recordings")
    p_run = sub.add_parser("run", help="run experiments and record them")
    p_run.add_argument("names", nargs="+", metavar="CHAPTER/NAME")
    p_run.add_argument("--fast", action="store_true", help="the small settings (tests)")
    sub.add_parser("check", help="fail when a recording is stale or missing")
    for p in sub.choices.values():
        p.add_argument("--results", default=None, help="results folder (default: results/)")
    args = parser.parse_args(argv)
    if args.command == "list":
        recorded = _recordings(args.results)
        stale = {m.split(":", 1)[0] for m in stale_runs(results_dir=args.results)}
        for key, exp in discover().items():
            state = "missing" if key not in recorded else "stale" if key in stale else "current"
            print(f"{key:<32} {state:<8} {exp.module}.{exp.fn.__qualname__}")
        return 0
    if args.command == "run":
        found = discover()
        unknown = [n for n in args.names if n not in found]
        if unknown:
            parser.error(f"unknown experiment(s) {', '.join(unknown)}; known: {', '.join(found)}")
        for key in args.names:
            path = run_experiment(key, fast=args.fast, results_dir=args.results)
            print(f"{key}: wrote {path} ({load(*key.split('/'), results_dir=path.parent.parent).provenance_line()})")
        return 0
    problems = stale_runs(results_dir=args.results)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} recorded run(s) to refresh", file=sys.stderr)
        return 1
    print(f"{len(discover())} recorded run(s) up to date")
    return 0


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy's: the experiments modules
    # register into blogcode.runs' registry.
    from blogcode import runs as _runs

    sys.exit(_runs.main())
