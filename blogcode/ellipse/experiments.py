"""Recorded full runs of the chapter "Gluing two elliptical sheets" (``book/ellipse.md``).

``tabulation``: the elliptic-integral method (``blogcode.ellipse.glue``) against our
re-creation of the article's tabulation (``tabulated_glue``) at the article's step
``1e-6``, as in the chapter's section "The article's tabulation, side by side", plus
the tabulation's errors over a range of grid steps (the convergence figure). The
values and errors are deterministic and are what a re-run must reproduce; the times
are recorded for the reader but never compared. Record it with
``python -m blogcode.runs run ellipse/tabulation`` (see ``blogcode.runs``).
"""

from __future__ import annotations

from blogcode.runs import experiment

_QUANTITIES = ("l", "length", "volume")


def _values(result) -> dict:
    out = {name: float(getattr(result, name)) for name in _QUANTITIES}
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
    from blogcode.ellipse.gluing import compare_with_tabulation, glue, tabulated_glue

    a, b, n = settings["a"], settings["b"], settings["n"]
    cmp = compare_with_tabulation(a, b, step=settings["step"], repeat=settings["repeat"], n=n)
    exact = cmp["exact"]
    convergence = {"steps": list(settings["steps"]), **{name: [] for name in _QUANTITIES}}
    for step in progress(settings["steps"], desc="grid steps"):
        tab = tabulated_glue(a, b, step=step)
        for name in _QUANTITIES:
            convergence[name].append(getattr(tab, name) / getattr(exact, name) - 1.0)
    assert glue(a, b, n=n).l == exact.l  # the exact method is deterministic
    return {
        "exact": _values(exact),
        "tabulated": {**_values(cmp["tabulated"]), "points": int(cmp["tabulated"].s.size)},
        "errors": {name: float(value) for name, value in cmp["errors"].items()},
        "convergence": convergence,
        "times": {"exact_seconds": cmp["time_exact"], "tabulated_seconds": cmp["time_tabulated"],
                  "speedup": cmp["speedup"], "repeat": settings["repeat"]},
    }
