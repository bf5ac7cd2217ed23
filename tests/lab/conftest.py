"""Fixtures for the tests of the live widgets in JupyterLab, where a reader uses them.

JupyterLab is started by ``.ci/lab`` (the README's command) on a free port of
127.0.0.1, with a token and no browser; Debian's ``chromium`` (driven by
Playwright, as in tests/browser) opens each chapter of book/ that has a live
widget *as a notebook*, runs all its cells and moves every control of every
live widget (test_live_widgets.py). They use the book/*.md sources, not the
HTML build. ``.ci/test`` runs them as step 5; like tests/browser they run only
when named on the command line (`pytest tests/lab`), not as part of `pytest tests`.

Each chapter gets a fresh browser context; its kernel is shut down after it,
so one TensorFlow kernel runs at a time. What each chapter cost is written to
``_build/screenshots/lab/timings.json`` and printed at the end of the run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path, config):
    """Collect this folder's tests only when tests/lab (or a file in it) is named."""
    if collection_path.resolve().parent != _HERE:
        return None
    root = config.invocation_params.dir
    named = [(root / str(a).split("::")[0]).resolve() for a in config.args]
    return True if not any(p == _HERE or _HERE in p.parents for p in named) else None


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab from ``.ci/lab``, serving the repository (labnotebook.LabServer)."""
    from labnotebook import TIMINGS, LabServer

    server = LabServer(home=tmp_path_factory.mktemp("lab"))
    started = time.monotonic()
    server.start()
    TIMINGS["(JupyterLab start)"] = {"total_s": round(time.monotonic() - started, 1)}
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (the book tests' launcher)."""
    from labnotebook import headless_chromium

    with headless_chromium() as b:
        yield b


def pytest_terminal_summary(terminalreporter):
    import sys

    if "labnotebook" not in sys.modules or not sys.modules["labnotebook"].TIMINGS:
        return
    from labnotebook import LAB_SCREENSHOTS, TIMINGS

    LAB_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (LAB_SCREENSHOTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1))
    terminalreporter.section("live widgets in JupyterLab: seconds per chapter")
    for name, t in TIMINGS.items():
        parts = ", ".join(f"{k} {v}" for k, v in t.items() if k != "total_s")
        terminalreporter.write_line(f"{t['total_s']:7.1f} s  {name}" + (f"  ({parts})" if parts else ""))
    total = sum(t["total_s"] for t in TIMINGS.values())
    terminalreporter.write_line(f"{total:7.1f} s  total")
