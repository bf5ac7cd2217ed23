"""Running an experiment and recording it: :class:`Progress` (what the experiment
draws its progress with), the provenance (device, versions, commit) and
:func:`run_experiment`, which writes ``results/<chapter>/<name>.json``.

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design).
"""

from __future__ import annotations

import ast
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from blogcode import checks
from blogcode.runs.declaring import PACKAGE, REFRESH, RESULTS_DIR, ROOT, SCHEMA, Experiment
from blogcode.runs.discovery import get
from blogcode.runs.fingerprinting import current_fingerprint, module_file, package_root


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


def to_json(value):
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
    files = [str(module_file(m, package_root(package), package).relative_to(ROOT))
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


def result_path(results_dir, chapter: str, name: str) -> Path:
    """``<results_dir>/<chapter>/<name>.json`` (``results_dir=None``: ``RESULTS_DIR``)."""
    base = RESULTS_DIR if results_dir is None else Path(
        checks.instance_of(results_dir, "results_dir", (str, os.PathLike)))
    return base / chapter / f"{name}.json"


def _module_level(tree: ast.Module):
    """The statements that run when the module is imported (not function bodies)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            todo.extend(ast.iter_child_nodes(node))


def import_names(source: str) -> set[str]:
    """The top-level package of every absolute import that runs when ``source`` is
    imported (function bodies, which may import lazily, are not read)."""
    names = set()
    for node in _module_level(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def uses_tensorflow(modules, package: str = PACKAGE) -> bool:
    """Whether any of these ``package`` modules (names, as in a fingerprint) imports
    TensorFlow or Keras when it is imported.

    Read from the code, not from ``sys.modules``: another experiments module that
    discovery imported may have loaded TensorFlow without this experiment using it.
    (``run_experiment`` also counts TensorFlow loaded while the experiment ran.)
    """
    root = package_root(package)
    for name in modules:
        path = module_file(name, root, package)
        if path is not None and import_names(path.read_text(encoding="utf-8")) & {"tensorflow", "keras"}:
            return True
    return False


def run_experiment(key, *, fast: bool = False, results_dir=None, progress: Progress | None = None,
                   package: str = PACKAGE) -> Path:
    """Run experiment ``key`` (``"chapter/name"``) with its full settings (``fast=True``:
    its small ones) and write ``<results_dir>/<chapter>/<name>.json``; return that path."""
    fast = checks.boolean(fast, "fast")
    exp = key if isinstance(key, Experiment) else get(key, package=package)
    progress = Progress() if progress is None else checks.instance_of(progress, "progress", Progress)
    path = result_path(results_dir, exp.chapter, exp.name)
    settings = exp.settings(fast)
    import blogcode

    blogcode.set_seed(settings.get("seed", 0))
    started = _dt.datetime.now(_dt.timezone.utc)
    tf_loaded_before = "tensorflow" in sys.modules
    t0 = time.perf_counter()
    results = exp.fn(dict(settings), progress)
    wall = time.perf_counter() - t0
    checks.instance_of(results, "results", dict)
    results = json.loads(json.dumps(results, default=to_json))
    fp, modules = current_fingerprint(exp, fast)
    uses_tf = (("tensorflow" in sys.modules and not tf_loaded_before)
               or uses_tensorflow(modules, package=exp.module.split(".")[0]))
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
