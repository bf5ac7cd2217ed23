"""Equilibrium shapes of a uniform rope that spins about a vertical axis under gravity.

Used by the chapter "The shape of a rotating rope" (``book/rope.md``), after
Su Jianlin's article 6784 on kexue.fm.

Frame and units. The rope lies in a vertical plane that rotates with angular
velocity ``omega`` about the vertical axis ``x = 0``; ``x`` is the signed
horizontal distance from that axis, ``y`` the height, ``g`` the gravitational
acceleration and the line density is 1. In the rotating frame every element
feels the force per unit length ``f = (omega**2 * x, -g)``. With ``s`` the arc
length and ``t = (x', y')`` the unit tangent, a rope in equilibrium satisfies

    d/ds (T t) + f = 0,    T = lam + g*y - omega**2 * x**2 / 2,

so the tension ``T`` is minus the article's ``phi = omega**2 x**2/2 - g y`` up
to a constant ``lam`` (``Rope.tension_constant``), fixed by a free end
(``T = 0`` there) or by the rope's length. A rope cannot push: a solution with
``T < 0`` somewhere is an *arch* and is labelled as such, never returned by
:func:`solve_rope` as the answer.

Public functions

* :func:`catenary` and :func:`troposkien` -- the two closed forms
  (``omega = 0`` and ``g = 0``), as :class:`Rope` objects.
* :func:`solve_rope` -- one end fixed and the other free (shooting back from
  the free end over every possible end position), or both ends fixed with a
  given length (``scipy.integrate.solve_bvp`` with ``lam`` as the unknown
  parameter, then polished by shooting with an 8th-order integrator). Returns
  the equilibrium of lowest potential energy among those found.
* :func:`rope_equilibria` -- every equilibrium found, arches included and
  labelled, sorted by potential energy.
* :func:`published_rope` -- the article's ``solve_ivp`` computation as
  published (and, with ``corrected=True``, with the two derivatives in the
  order its own equation gives them).
* :func:`equilibrium_residuals` -- an independent check of any curve: the
  Euler--Lagrange equations (with the multiplier ``lam``) in integrated form,
  evaluated on a Chebyshev interpolant of the curve.
* :func:`skipping_rope` -- a skipping rope at its lowest position, mapped to
  the ``g = 0`` problem with shifted axis.
* :func:`shown_equilibria` -- the equilibrium the explorers show and the others
  found.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from blogcode import checks
from blogcode.rope.closed_forms import catenary, critical_speeds_hanging_chain, troposkien
from blogcode.rope.curves import (ATOL, RTOL, Rope, RopeSolveError, SkippingRope, check_ends,
                                  check_physics, make_rope, potential, check_point,
                                  equilibrium_residuals, rope_derivatives)
from blogcode.rope.fixed_ends import fixed_equilibria, fixed_from_guess, fixed_rhs
from blogcode.rope.free_end import free_end_equilibria

__all__ = [
    "Rope",
    "RopeSolveError",
    "SkippingRope",
    "catenary",
    "troposkien",
    "solve_rope",
    "rope_equilibria",
    "published_rope",
    "equilibrium_residuals",
    "rope_derivatives",
    "skipping_rope",
    "critical_speeds_hanging_chain",
    "shown_equilibria",
]


# --------------------------------------------------------------- public API


def rope_equilibria(
    omega, g, length, start, end=None, *, modes=(1, 2, 3), n_scan: int = 161, n_points: int = 401
) -> list[Rope]:
    """Every equilibrium found, sorted by potential energy; arches are labelled ``"arch"``.

    Free end (``end=None``): the free end must hang along the local effective
    gravity ``f`` and carries no tension, so integrating from a trial end
    position ``(x_e, .)`` back over the rope's length gives the support's
    ``x``; the trial positions scanned are ``n_scan`` points covering every
    reachable ``x_e`` and each sign change is refined with Brent's method.
    Roots closer together than the scan spacing can be missed.

    Both ends fixed: ``solve_bvp`` on ``(x, y, theta)`` with the tension
    constant as unknown parameter, started from a sine bulge of each number of
    half waves in ``modes``, on each side of the chord, with positive and with
    negative tension; every converged solution is polished by shooting.
    """
    omega, g, length = check_physics(omega, g, length)
    start = check_point("start", start)
    n_points = checks.integer(n_points, "n_points", minimum=3)
    if end is None:
        n_scan = checks.integer(n_scan, "n_scan", minimum=11)
        return sorted(
            free_end_equilibria(omega, g, length, start, n_scan | 1, n_points),
            key=lambda r: r.energy,
        )
    end = check_ends(start, check_point("end", end), length)
    modes = tuple(checks.positive_int(m, "modes[]") for m in checks.nonempty(modes, "modes"))
    return fixed_equilibria(omega, g, length, start, end, modes, n_points)


def solve_rope(omega, g, length, start, end=None, *, guess: Rope | None = None,
               n_points: int = 401, **kwargs) -> Rope:
    """The equilibrium of a rope spinning at ``omega`` under gravity ``g``.

    ``start`` (and ``end``) are ``(x, y)`` points; ``end=None`` leaves that end
    free. Returns the rope equilibrium (tension >= 0 everywhere) of lowest
    potential energy among those :func:`rope_equilibria` finds, or, with
    ``guess`` (a :class:`Rope`, e.g. the solution at a nearby ``omega``), the
    one equilibrium continued from it. Raises :class:`RopeSolveError` when no
    rope equilibrium is found, and ``ValueError`` for impossible inputs.
    """
    omega, g, length = check_physics(omega, g, length)
    start = check_point("start", start)
    if guess is not None:
        checks.instance_of(guess, "guess", Rope)
        if end is None:
            raise ValueError("guess continues a rope with both ends fixed; pass end as well")
    if guess is not None and end is not None:
        end = check_ends(start, check_point("end", end), length)
        s = np.linspace(0.0, length, 201)
        gx, gy = guess.at(s * guess.length / length)
        # rigid shift/scale of the guess onto the new ends
        frac = s / length
        gx += (start[0] - gx[0]) + (end[0] - start[0] - gx[-1] + gx[0]) * frac
        gy += (start[1] - gy[0]) + (end[1] - start[1] - gy[-1] + gy[0]) * frac
        theta = np.unwrap(np.arctan2(np.gradient(gy, s), np.gradient(gx, s)))
        gt = np.interp(s * guess.length / length, guess.s, guess.tension)
        # forces (hence tensions) scale like max(g, omega^2 |x|)
        ratio = max(g, omega**2 * float(np.max(np.abs(gx))), 1e-12) / max(
            guess.g, guess.omega**2 * float(np.max(np.abs(guess.x))), 1e-12
        )
        phi = potential(omega, g, gx, gy)
        r = None
        for lam0 in (float(np.max(phi) + ratio * np.min(gt)),
                     float(np.mean(ratio * gt + phi))):
            r = fixed_from_guess(omega, g, length, start, end, s, gx, gy,
                                  theta, lam0, checks.integer(n_points, "n_points", minimum=3))
            if r is not None and r.is_rope:
                break
        if r is None:
            raise RopeSolveError(
                "continuation from the guess did not converge")
        if not r.is_rope:
            raise RopeSolveError(
                "continuation from the guess converged to an arch "
                f"(min tension {r.min_tension:.3g} < 0)")
        return r
    found = rope_equilibria(omega, g, length, start, end, n_points=n_points,
                            **kwargs)
    ropes = [r for r in found if r.is_rope]
    if not ropes:
        raise RopeSolveError("no equilibrium with non-negative tension found "
                             f"({len(found)} arch(es) found)")
    best = min(r.energy for r in ropes)
    tied = [r for r in ropes if r.energy - best <= 1e-9 * max(1.0, abs(best))]
    # mirror images have the same energy: prefer the one at x >= 0
    return max(tied, key=lambda r: float(np.mean(r.x)))


def shown_equilibria(omega, g, length, start, end, *, guess: Rope | None = None, n_scan: int = 101,
                     modes=(1,)) -> tuple[Rope, list[Rope]]:
    """The equilibrium the explorers show and the others found: ``(main, others)``.

    ``main`` is the lowest-energy rope (of mirror images, the one at ``x >= 0``);
    with ``guess`` (both ends fixed) it is the rope continued from ``guess`` and
    ``others`` is empty. Raises :class:`RopeSolveError` when no rope is found.
    """
    if end is None:
        found = rope_equilibria(omega, g, length, start, None, n_scan=n_scan)
    elif guess is not None:
        return solve_rope(omega, g, length, start, end, guess=guess), []
    else:
        found = rope_equilibria(omega, g, length, start, end, modes=modes)
    ropes = [r for r in found if r.is_rope]
    if not ropes:
        raise RopeSolveError("no rope equilibrium found")
    best = min(r.energy for r in ropes)
    tied = [r for r in ropes if r.energy - best <= 1e-9 * max(1.0, abs(best))]
    main = max(tied, key=lambda r: float(np.mean(r.x)))
    return main, [r for r in found if r is not main]


# --------------------------------------------------------- the article's code


def published_rope(
    omega, g, C1, T=0.5, *, corrected: bool = False, method: str = "RK23",
    rtol: float = 1e-3, atol: float = 1e-6, h: float = 1e-4,
    start=(1.0, 0.0), direction: int = -1,
) -> Rope:
    """The article's ``solve_ivp`` computation (re-implemented, same set-up).

    Published: arc length from 0 to ``T`` on the grid ``arange(0, T, h)``,
    ``RK23`` with SciPy's default tolerances, start ``(1, 0)``, and
    ``(dx/ds, dy/ds) = (G, -sqrt(1 - G^2))`` with ``G = (C1 - g s)/phi``.
    The article's own first integral says ``phi dy/ds = C1 - g s``, i.e. ``G``
    is ``dy/ds``, not ``dx/ds``.

    ``corrected=True`` integrates the article's Euler--Lagrange equations
    (without a length multiplier, ``lam = 0``) in angle form, with
    ``dy/ds = G`` at the start and ``dx/ds = direction * sqrt(1 - G^2)``.

    The returned :class:`Rope` has ``tension = -phi`` (``lam = 0``), the
    tension this set-up implies, and ``end=None``.
    """
    omega = checks.real(omega, "omega", minimum=0.0)
    g = checks.real(g, "g", minimum=0.0)
    C1 = checks.real(C1, "C1")
    T = checks.positive_real(T, "T")
    h = checks.positive_real(h, "h")
    start = check_point("start", start)
    direction = checks.one_of(direction, "direction", (-1, 1))
    corrected = checks.boolean(corrected, "corrected")
    method = checks.one_of(method, "method", ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"))
    rtol = checks.positive_real(rtol, "rtol")
    atol = checks.positive_real(atol, "atol")
    phi0 = potential(omega, g, *start)
    if phi0 == 0:
        raise ValueError(
            "phi vanishes at start: G = (C1 - g s)/phi is undefined there")
    G0 = C1 / phi0
    if abs(G0) > 1:
        raise ValueError(f"|C1/phi(start)| = {abs(G0):.3g} > 1: "
                         "no unit tangent has that component")
    ts = np.arange(0.0, T, h)
    if corrected:
        th0 = math.atan2(G0, direction * math.sqrt(1 - G0 * G0))
        rhs = fixed_rhs(omega, g, lambda p: 0.0)
        sol = solve_ivp(rhs, (0.0, T), [start[0], start[1], th0],
                        method="DOP853", rtol=RTOL, atol=ATOL,
                        dense_output=True)
        label = "corrected (lam = 0)"
    else:
        def fun(s, xy):
            x, y = xy
            G = (C1 - g * s) / (0.5 * omega**2 * x**2 - g * y)
            return [G, -np.sqrt(1 - G**2)]

        with np.errstate(invalid="ignore"):
            sol = solve_ivp(fun, (0.0, T), list(start), t_eval=ts,
                            method=method, rtol=rtol, atol=atol,
                            dense_output=True)
        label = "published"
    if sol.status != 0:
        raise RopeSolveError(f"{label} integration failed: {sol.message}")

    def dense(s, sol=sol):
        st = sol.sol(np.asarray(s, dtype=float))
        return st[0], st[1]

    if corrected:
        x, y = dense(ts)
    else:
        x, y = sol.y
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise RopeSolveError(
            f"{label} curve left the domain |G| <= 1 (NaN in the solution)")
    rope = make_rope(dense, omega, g, float(ts[-1]), 0.0, start, None, label,
                      3)
    # keep the article's own output grid
    object.__setattr__(rope, "s", ts)
    object.__setattr__(rope, "x", np.asarray(x))
    object.__setattr__(rope, "y", np.asarray(y))
    tension = -potential(omega, g, np.asarray(x), np.asarray(y))
    object.__setattr__(rope, "tension", tension)
    return rope


# ------------------------------------------------------------ skipping rope


def skipping_rope(omega, g, length, hand_separation, *, guess: Rope | None = None,
                  n_points: int = 401, **kwargs) -> SkippingRope:
    """A skipping rope at the bottom of its turn, treated as momentarily static.

    The rope turns at ``omega`` about the line through the hands. At the
    bottom, gravity and the centrifugal force both point down, and
    ``omega^2 r + g = omega^2 (r + g/omega^2)`` with ``r`` the depth below the
    hands: the ``g = 0`` problem about an axis ``g/omega^2`` above the hands,
    whose ends sit at ``x = g/omega^2`` in that frame (the effective
    potential differs by a constant times the length, which the tension
    constant absorbs).
    """
    omega = checks.positive_real(omega, "omega")
    g = checks.real(g, "g", minimum=0.0)
    length = checks.positive_real(length, "length")
    sep = checks.positive_real(hand_separation, "hand_separation")
    d = g / omega**2
    eff = solve_rope(omega, 0.0, length, (d, 0.0), (d, sep), guess=guess, n_points=n_points, **kwargs)
    return SkippingRope(horizontal=eff.y.copy(), height=d - eff.x, tension=eff.tension.copy(), effective=eff)
