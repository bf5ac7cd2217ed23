"""Loading a recording in a chapter: :func:`load` gives a :class:`Run` (its results,
settings and provenance line), which :meth:`Run.reproduce` re-runs and compares with
:func:`compare_results`.

Part of ``blogcode.runs`` (recorded full runs; its docstring documents the design).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from blogcode import checks
from blogcode.runs.declaring import PACKAGE, REFRESH, check_name
from blogcode.runs.discovery import get
from blogcode.runs.running import Progress, result_path, to_json


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
        new = json.loads(json.dumps(exp.fn(dict(self.settings), Progress(quiet=quiet)), default=to_json))
        diffs = compare_results(new, self.results, rtol=exp.rtol, atol=exp.atol, keys=exp.compare)
        if diffs:
            raise AssertionError(f"{self.key} does not reproduce its recording "
                                 f"(rtol={exp.rtol:g}, atol={exp.atol:g}):\n  " + "\n  ".join(diffs))
        return True


def load(chapter, name, *, results_dir=None) -> Run:
    """The recording ``results/<chapter>/<name>.json`` as a :class:`Run`."""
    chapter = check_name(chapter, "chapter")
    name = check_name(name, "name")
    path = result_path(results_dir, chapter, name)
    if not path.is_file():
        raise ValueError(f"name: {chapter}/{name} has no recording at {path}; "
                         f"run: {REFRESH.format(key=f'{chapter}/{name}')}")
    record = json.loads(path.read_text())
    return Run(f"{chapter}/{name}", path, record["mode"], record["settings"], record["results"],
               record["provenance"])
