"""The measurements of the chapter "The shape of a rotating rope" (``book/rope.md``).

* :func:`article_residuals` -- how far the article's published curves (and the
  corrected ones) are from solving its own equations;
* :func:`bifurcation_scan` -- every equilibrium of a rope tied on the axis, over
  a range of speeds (the bifurcation diagram);
* :func:`speed_family` -- one rope with both ends fixed, continued in ``omega``
  from the hanging chain, and its distance to the ``g = 0`` limit;
* :func:`skipping_scan` -- a skipping rope at several speeds, by continuation.

The chapter prints and asserts on what these return; the figures of
:mod:`blogcode.rope.figures` draw it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blogcode import checks
from blogcode.rope.solver import (Rope, SkippingRope, equilibrium_residuals, published_rope, rope_derivatives,
                                  rope_equilibria, skipping_rope, solve_rope)

__all__ = ["article_residuals", "bifurcation_scan", "SpeedFamily", "speed_family", "skipping_scan"]


def article_residuals(published: Rope, corrected: Rope, C1, *, omega: float = 2.0, g: float = 3.0) -> dict:
    """The article's computation measured against its own equations, for one ``C1``.

    Returns the Euler--Lagrange residuals of the published curve (``"published"``),
    of the same right-hand side integrated with ``DOP853`` at ``1e-12``
    (``"tight"``) and of the corrected curve (``"corrected"``), and
    ``"wrong_slot"``: the largest ``|phi x' - (C1 - g s)|`` on the tight curve,
    the first integral in the slot the code puts it.
    """
    checks.instance_of(published, "published", Rope)
    checks.instance_of(corrected, "corrected", Rope)
    C1 = checks.real(C1, "C1")
    tight = published_rope(omega, g, C1, method="DOP853", rtol=1e-12, atol=1e-14)
    s, x, y, xp, yp = rope_derivatives(tight)
    phi = 0.5 * omega**2 * x**2 - g * y
    return {
        "published": equilibrium_residuals(published)["euler_lagrange"],
        "tight": equilibrium_residuals(tight)["euler_lagrange"],
        "corrected": equilibrium_residuals(corrected)["euler_lagrange"],
        "wrong_slot": float(np.max(np.abs(phi * xp - (C1 - g * s)))),
    }


def bifurcation_scan(g, length, omegas, *, n_scan: int = 161) -> list[tuple[float, list[Rope]]]:
    """``[(omega, every equilibrium)]`` of a rope tied on the axis at (0, 0), free end."""
    omegas = [checks.real(w, "omegas[]", minimum=0.0) for w in checks.nonempty(omegas, "omegas")]
    return [(w, rope_equilibria(w, g, length, (0.0, 0.0), n_scan=n_scan)) for w in omegas]


@dataclass(frozen=True)
class SpeedFamily:
    """One rope spun at ``omegas``: its shapes, the ``g = 0`` limit and the distances to it."""

    omegas: np.ndarray
    ropes: list
    limit: Rope
    distances: np.ndarray

    def tail_slope(self, points: int = 4) -> float:
        """The log-log slope of the distance over the last ``points`` speeds."""
        points = checks.integer(points, "points", minimum=2)
        return float(np.polyfit(np.log(self.omegas[-points:]), np.log(self.distances[-points:]), 1)[0])


def speed_family(omegas, g, length, start, end) -> SpeedFamily:
    """The rope from ``start`` to ``end`` at ``omega = 0`` (the hanging chain), then
    continued in ``omega`` over ``omegas`` (each > 0), with the ``g = 0`` shape
    (``omega -> infinity``) and the largest distance of each shape to it."""
    omegas = [checks.positive_real(w, "omegas[]") for w in checks.nonempty(omegas, "omegas")]
    family = [solve_rope(0.0, g, length, start, end)]  # the hanging chain
    for w in omegas:  # continuation in omega
        family.append(solve_rope(w, g, length, start, end, guess=family[-1]))
    limit = solve_rope(1.0, 0.0, length, start, end)  # g = 0: omega -> infinity
    dist = np.array([np.max(np.hypot(r.x - limit.x, r.y - limit.y)) for r in family])
    return SpeedFamily(np.concatenate([[0.0], omegas]), family, limit, dist)


def skipping_scan(omegas, g, length, span, **kwargs) -> list[SkippingRope]:
    """A skipping rope at each of ``omegas``, each continued from the previous one."""
    omegas = [checks.positive_real(w, "omegas[]") for w in checks.nonempty(omegas, "omegas")]
    skips, prev = [], None
    for w in omegas:
        sk = skipping_rope(w, g, length, span, guess=prev, **kwargs)
        prev = sk.effective
        skips.append(sk)
    return skips
