"""Recorded full runs: declare an experiment, record it in ``results/``, load it in a chapter.

Shared layer, used by every chapter that shows a full-settings result (the first is
"Gluing two elliptical sheets", ``book/ellipse.md``). Full settings need a GPU or hours
of CPU, so a chapter runs its small settings live and *loads* the full run from
``results/<chapter>/<name>.json``, with where, when, from which commit and from which
code it came; ``check`` says when that code or those settings have changed since.

Why not DVC: it tracks files and shell stages, with its own config, cache and hooks, while
our experiments are Python functions whose dependencies are ``blogcode`` modules. Those
``ast`` finds offline in milliseconds, so a few hundred lines of standard library (tqdm
drawn when installed, never required) do the whole job. This package's modules, one per step:

- ``declaring``: ``@experiment``, ``Experiment``, the registry and where things live (``RESULTS_DIR``);
- ``discovery``: ``discover`` and ``get``, which find the experiments of the chapter packages;
- ``fingerprinting``: ``module_sources`` and ``fingerprint``, what a recording depends on;
- ``running``: ``run_experiment``, which records a run with its provenance, and ``Progress``;
- ``checking``: ``stale_runs``, what ``check`` reports;
- ``loading``: ``load``, ``Run`` (``provenance_line``, ``reproduce``) and ``compare_results``;
- ``command_line``: ``main``, the command line (``__main__`` runs it).

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

Discovery rule. This package never imports a chapter module by name. Experiments live
only in the chapter packages' ``experiments`` modules (``blogcode/<chapter>/experiments.py``,
e.g. ``blogcode/ellipse/experiments.py``): ``discover()`` lists the sub-packages of
``blogcode`` with ``pkgutil.iter_modules`` (without importing them) and imports the
``experiments`` module of each one that has it. Such a module (and a chapter package's
``__init__``) should import TensorFlow only inside its functions, so that ``check`` stays fast.

Fingerprint. SHA-256 of the settings (canonical JSON) and of the source of every
``blogcode`` module the experiment's module imports, transitively, found statically with
``ast`` (imports anywhere in a file count, parent packages' ``__init__`` too, e.g.
``blogcode/ellipse/__init__.py``; this package and all its modules excepted, so that
editing the runs machinery never stales a recording): the same code gives the same
fingerprint on any machine. Any edit of such a source, a comment included, makes the
recording stale: re-record, or see that the results are unchanged (``git diff results/``).

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

from blogcode.runs.declaring import RESULTS_DIR, Experiment, experiment
from blogcode.runs.discovery import discover, get
from blogcode.runs.fingerprinting import fingerprint, module_sources
from blogcode.runs.running import Progress, run_experiment
from blogcode.runs.checking import stale_runs
from blogcode.runs.loading import Run, compare_results, load
from blogcode.runs.command_line import main

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
