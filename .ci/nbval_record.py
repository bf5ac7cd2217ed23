"""pytest plugin for .ci/test: keep what nbval executed, so that the HTML build
does not execute every chapter a second time.

nbval (``pytest --nbval-lax``) runs each chapter's cells in one kernel and fails
on any exception (the chapters' ``assert``s), but keeps the outputs only in
memory. With ``--record-executed=CACHE`` this plugin collects each cell's outputs
and, for every chapter whose code cells *all* passed, stores the executed
notebook in the jupyter-cache at CACHE, which MyST-NB reads in
``execute_notebooks: cache`` mode (``_config.yml``). The notebook stored is the
chapter as MyST-NB itself reads ``book/NAME.md`` (same reader, so the same
jupyter-cache hash), with nbval's outputs put into its code cells in order; a
chapter whose code cells differ from the ones nbval ran is not stored (the build
then executes it, as before).

So each chapter executes once: under nbval, with its checks; the strict build
renders those outputs. nbval's output capture keeps what the book shows:
display data, results and streams (streams merged per name, \\r and \\b applied,
the same as the book's ``nb_merge_streams``).

Loaded with ``-p nbval_record`` (``.ci`` on ``PYTHONPATH``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

_NBVAL_NAME = re.compile(r"^\.nbval-(?P<name>.+)\.ipynb$")


def pytest_addoption(parser):
    parser.addoption("--record-executed", metavar="CACHE", default=None,
                     help="store each fully passing notebook, with nbval's outputs, in the jupyter-cache CACHE")


class Recorder:
    def __init__(self, cache_path: str):
        self.cache_path = cache_path
        self.notebooks = {}   # notebook path -> {"nb", "cells": {cell_num: outputs}, "failed", "start"}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        cell = getattr(item, "cell", None)
        nb_file = getattr(item, "parent", None)
        if cell is None or not hasattr(nb_file, "nb") or not hasattr(item, "cell_num"):
            return   # not an nbval cell
        entry = self.notebooks.setdefault(str(nb_file.fspath), {
            "nb": nb_file.nb, "cells": {}, "failed": False, "seconds": 0.0})
        if report.when == "setup" and not report.passed:
            entry["failed"] = True
        if report.when == "call":
            entry["seconds"] += report.duration
            if report.passed and item.test_outputs is not None:
                entry["cells"][item.cell_num] = (cell, copy.deepcopy(item.test_outputs))
            else:
                entry["failed"] = True

    def pytest_sessionfinish(self, session):
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn
        from myst_nb.core.read import read_myst_markdown_notebook
        from myst_parser.config.main import MdParserConfig

        cache = get_cache(self.cache_path)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        say = reporter.write_line if reporter else print
        for path, entry in sorted(self.notebooks.items()):
            match = _NBVAL_NAME.match(Path(path).name)
            if not match:
                continue
            source = Path(path).with_name(f"{match['name']}.md")
            code = [c for c in entry["nb"].cells if c.cell_type == "code"]
            ran = [entry["cells"][k] for k in sorted(entry["cells"])]
            if entry["failed"] or len(ran) != len(code) or not source.is_file():
                say(f"nbval_record: {source.name}: not every cell passed; the build will execute it")
                continue
            nb = read_myst_markdown_notebook(source.read_text(encoding="utf-8"), config=MdParserConfig(),
                                             add_source_map=True, path=str(source))
            cells = [c for c in nb.cells if c.cell_type == "code"]
            if [c.source.strip() for c in cells] != [c.source.strip() for c, _ in ran]:
                say(f"nbval_record: {source.name}: the build reads other code cells than nbval ran; "
                      "the build will execute it")
                continue
            for count, (cell, (_, outputs)) in enumerate(zip(cells, ran), start=1):
                cell.outputs = outputs
                cell.execution_count = count
                for out in outputs:
                    if out.get("output_type") == "execute_result":
                        out["execution_count"] = count
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(source.resolve()), data={"executed_by": "nbval",
                                                               "execution_seconds": entry["seconds"]}),
                check_validity=False, overwrite=True)
            say(f"nbval_record: {source.name}: executed notebook stored in {self.cache_path}")


def pytest_configure(config):
    cache_path = config.getoption("--record-executed")
    if cache_path:
        config.pluginmanager.register(Recorder(cache_path), "nbval_record_recorder")
