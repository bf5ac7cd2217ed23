"""The measurements of the chapter "Gluing two elliptical sheets" (``book/ellipse.md``).

* :func:`compare_with_tabulation` -- ``glue`` against the article's tabulation
  (``blogcode.ellipse.tabulation``), timed side by side, with the tabulation's errors;
* :func:`tabulation_errors` -- the tabulation's relative errors over a range of grid
  steps (the convergence figure);
* :func:`tabulation` -- the recorded full run of both, below.

``tabulation``: the elliptic-integral method (``blogcode.ellipse.gluing.glue``) against our
re-creation of the article's tabulation (``tabulated_glue``) at the article's step
``1e-6``, as in the chapter's section "The article's tabulation, side by side", plus
the tabulation's errors over a range of grid steps (the convergence figure). The
values and errors are deterministic and are what a re-run must reproduce; the times
are recorded for the reader but never compared. Record it with
``python -m blogcode.runs run ellipse/tabulation`` (see ``blogcode.runs``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from blogcode import checks
from blogcode.ellipse.gluing import glue
from blogcode.ellipse.tabulation import tabulated_glue
from blogcode.runs import experiment

__all__ = ["QUANTITIES", "compare_with_tabulation", "tabulation_errors", "tabulation"]

#: The quantities compared: quarter perimeter, extent x(l) and volume.
QUANTITIES = ("l", "length", "volume")


def compare_with_tabulation(a=2.0, b=1.0, step: float = 1e-6, repeat: int = 5, n: int = 401) -> dict:
    """Time ``glue`` and ``tabulated_glue`` side by side (best of ``repeat`` runs each,
    interleaved) and give the tabulation's relative errors against ``glue``.

    Returns a dict with ``exact`` and ``tabulated`` (the results), ``time_exact``,
    ``time_tabulated`` (seconds), ``speedup`` and ``errors`` (relative errors of
    ``l``, ``length`` and ``volume``).
    """
    import time

    repeat = checks.positive_int(repeat, "repeat")
    times_exact, times_tab = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        exact = glue(a, b, n=n)
        times_exact.append(time.perf_counter() - start)
        start = time.perf_counter()
        tab = tabulated_glue(a, b, step=step)
        times_tab.append(time.perf_counter() - start)
    errors = {
        name: getattr(tab, name) / getattr(exact, name) - 1.0 for name in ("l", "length", "volume")
    }
    return {
        "exact": exact,
        "tabulated": tab,
        "time_exact": min(times_exact),
        "time_tabulated": min(times_tab),
        "speedup": min(times_tab) / min(times_exact),
        "errors": errors,
    }


def tabulation_errors(a, b, steps: Sequence[float], reference: dict,
                      progress: Callable | None = None) -> dict:
    """Relative errors ``tabulated / reference - 1`` of each of ``QUANTITIES``
    (``reference[name]``) for the tabulation at each grid step of ``steps``:
    ``{name: [error per step]}``. ``progress`` wraps the loop over the steps."""
    steps = [checks.positive_real(st, "steps[]") for st in checks.nonempty(steps, "steps")]
    checks.instance_of(reference, "reference", dict)
    missing = [name for name in QUANTITIES if name not in reference]
    if missing:
        raise ValueError(f"reference must give {list(QUANTITIES)}, missing {missing}")
    errors = {name: [] for name in QUANTITIES}
    for step in (progress(steps, desc="grid steps") if progress is not None else steps):
        tab = tabulated_glue(a, b, step=step)
        for name in QUANTITIES:
            errors[name].append(getattr(tab, name) / reference[name] - 1.0)
    return errors


def _values(result) -> dict:
    """The recorded numbers of a ``GlueResult``."""
    out = {name: float(getattr(result, name)) for name in QUANTITIES}
    out.update(min_criterion=float(result.min_criterion), argmin_s=float(result.argmin_s),
               glues=bool(result.glues))
    return out


@experiment(
    chapter="ellipse",
    name="tabulation",
    full=dict(a=2.0, b=1.0, n=401, step=1e-6, repeat=7, steps=[1e-2, 1e-3, 1e-4, 1e-5, 1e-6]),
    fast=dict(a=2.0, b=1.0, n=101, step=1e-4, repeat=1, steps=[1e-2, 1e-3]),
    rtol=1e-9,
    atol=1e-13,
    compare=("exact", "tabulated", "errors", "convergence"),
)
def tabulation(settings: dict, progress) -> dict:
    """Values, relative errors (tabulation / exact - 1) and best-of-``repeat`` times."""
    a, b, n = settings["a"], settings["b"], settings["n"]
    cmp = compare_with_tabulation(a, b, step=settings["step"], repeat=settings["repeat"], n=n)
    exact = cmp["exact"]
    errors = tabulation_errors(a, b, settings["steps"], {name: getattr(exact, name) for name in QUANTITIES},
                               progress=progress)
    convergence = {"steps": list(settings["steps"]), **errors}
    assert glue(a, b, n=n).l == exact.l  # the exact method is deterministic
    return {
        "exact": _values(exact),
        "tabulated": {**_values(cmp["tabulated"]), "points": int(cmp["tabulated"].s.size)},
        "errors": {name: float(value) for name, value in cmp["errors"].items()},
        "convergence": convergence,
        "times": {"exact_seconds": cmp["time_exact"], "tabulated_seconds": cmp["time_tabulated"],
                  "speedup": cmp["speedup"], "repeat": settings["repeat"]},
    }
