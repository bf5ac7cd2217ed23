"""The rope as a curve: the ``Rope`` result type, argument checks, the Chebyshev
interpolant, energy and the independent equilibrium check.

Part of the rope chapter's code ("The shape of a rotating rope", ``book/rope.md``);
the public names are imported from :mod:`blogcode.rope.solver`. The argument checks
(:func:`check_physics`, :func:`check_point`, :func:`check_ends`), :func:`potential`,
:func:`make_rope` and the tolerances ``RTOL``/``ATOL`` are shared by the other rope modules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.polynomial import Chebyshev

from blogcode import checks

#: Relative and absolute tolerances of the accurate (DOP853) integrations.
RTOL = 1e-12
ATOL = 1e-13


class RopeSolveError(RuntimeError):
    """A solver did not converge to an equilibrium; no curve is returned."""


@dataclass(frozen=True, eq=False)
class Rope:
    """One curve: samples ``s, x, y, tension`` plus a dense evaluator.

    ``tension = tension_constant - phi(x, y)`` with ``phi = omega**2 x**2/2 - g y``.
    ``label`` is ``"rope"`` for an equilibrium with non-negative tension,
    ``"arch"`` when the tension is negative somewhere (not a rope
    equilibrium), or a description for the article's curves.
    """

    s: np.ndarray
    x: np.ndarray
    y: np.ndarray
    tension: np.ndarray
    tension_constant: float
    omega: float
    g: float
    start: tuple[float, float]
    end: tuple[float, float] | None
    label: str
    energy: float
    dense: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] = field(repr=False)

    @property
    def length(self) -> float:
        return float(self.s[-1])

    @property
    def min_tension(self) -> float:
        return float(np.min(self.tension))

    @property
    def max_tension(self) -> float:
        return float(np.max(self.tension))

    @property
    def is_rope(self) -> bool:
        """True when the tension is non-negative everywhere (up to round-off)."""
        scale = max(1.0, float(np.max(np.abs(self.tension))))
        return self.min_tension >= -1e-9 * scale

    def at(self, s) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` at arc lengths ``s`` (dense, accurate evaluation)."""
        s = np.asarray(s, dtype=float)
        return self.dense(s)


@dataclass(frozen=True)
class SkippingRope:
    """A skipping rope at its lowest position, in the vertical plane of the hands.

    ``horizontal`` runs along the line of the hands (from one hand), ``height``
    is measured upward from that line, ``tension`` along the rope.
    ``effective`` is the equivalent ``g = 0`` :class:`Rope` in the frame whose
    axis lies ``g/omega**2`` above the hands.
    """

    horizontal: np.ndarray
    height: np.ndarray
    tension: np.ndarray
    effective: Rope


# ----------------------------------------------------------------- validation


def check_point(name: str, p) -> tuple[float, float]:
    """``p`` as an ``(x, y)`` pair of floats (TypeError/ValueError naming ``name``)."""
    if p is None or isinstance(p, (str, bytes)):
        raise TypeError(f"{name} must be an (x, y) pair of numbers, got {type(p).__name__}")
    try:
        a = np.asarray(p)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an (x, y) pair of numbers, got {p!r}") from None
    if a.shape != (2,):
        raise ValueError(f"{name} must be an (x, y) pair, got shape {a.shape}")
    return checks.real(a[0].item(), f"{name}[0]"), checks.real(a[1].item(), f"{name}[1]")


def check_physics(omega, g, length):
    """``omega, g >= 0`` (not both 0) and ``length > 0``, as floats."""
    omega = checks.real(omega, "omega", minimum=0.0)
    g = checks.real(g, "g", minimum=0.0)
    length = checks.positive_real(length, "length")
    if omega == 0 and g == 0:
        raise ValueError(
            "omega and g are both 0: with no force every shape is an equilibrium"
        )
    return omega, g, length


def check_ends(start, end, length) -> tuple[float, float]:
    """``end``, after checking it differs from ``start`` and lies within ``length`` of it."""
    dist = math.hypot(end[0] - start[0], end[1] - start[1])
    if dist == 0:
        raise ValueError(f"start and end are the same point {start}: give two distinct ends "
                         "(or end=None for a free end)")
    if length <= dist:
        raise ValueError(
            f"length={length} must exceed the distance {dist:.6g} between start and end "
            "(a rope of exactly that length would need infinite tension)"
        )
    return end


def potential(omega, g, x, y):
    return 0.5 * omega**2 * x**2 - g * y


# ------------------------------------------------------- Chebyshev utilities


class _Panels:
    """Piecewise Chebyshev interpolant of a curve ``s -> (x, y)`` on ``[0, length]``.

    Each panel carries degree-16 interpolants; a panel is halved until its
    last three coefficients are below ``1e-11`` times the curve's scale (or it
    is 1/1024 of the length). Derivatives and integrals are those of the
    interpolant, so a derivative does not depend on the solver that made the
    curve.
    """

    DEG = 16

    def __init__(self, dense, length: float, tol: float = 1e-11):
        self.length = length
        k = np.arange(self.DEG + 1)
        cheb = 0.5 * (1.0 - np.cos(np.pi * k / self.DEG))
        x_all, y_all = dense(length * cheb)
        scale = max(1.0, float(np.max(np.abs(x_all))), float(np.max(np.abs(y_all))))
        queue, done = [(0.0, length)], []
        while queue:
            a, b = queue.pop()
            s = a + (b - a) * cheb
            x, y = dense(s)
            px = Chebyshev.fit(s, x, self.DEG, domain=[a, b])
            py = Chebyshev.fit(s, y, self.DEG, domain=[a, b])
            tail = max(np.max(np.abs(px.coef[-3:])), np.max(np.abs(py.coef[-3:])))
            if tail <= tol * scale or b - a <= length / 1024:
                done.append((a, b, px, py))
            else:
                m = 0.5 * (a + b)
                queue += [(m, b), (a, m)]
        done.sort(key=lambda p: p[0])
        self.edges = np.array([p[0] for p in done] + [length])
        self.px = [p[2] for p in done]
        self.py = [p[3] for p in done]
        # cumulative integral of x at the panel edges
        self.ix0 = np.concatenate(
            [[0.0], np.cumsum([p.integ(lbnd=a)(b) for p, a, b in zip(self.px, self.edges[:-1], self.edges[1:])])]
        )

    def __len__(self):
        return len(self.px)

    def evaluate(self, s):
        """``x, y, x', y'`` and ``integral_0^s x`` at ``s``."""
        s = np.asarray(s, dtype=float)
        idx = np.clip(np.searchsorted(self.edges, s, side="right") - 1, 0, len(self.px) - 1)
        out = np.zeros((5,) + s.shape)
        for i in np.unique(idx):
            m = idx == i
            px, py, a = self.px[i], self.py[i], self.edges[i]
            si = s[m]
            out[0][m], out[1][m] = px(si), py(si)
            out[2][m], out[3][m] = px.deriv()(si), py.deriv()(si)
            out[4][m] = self.ix0[i] + px.integ(lbnd=a)(si)
        return out

    def integral(self, fn) -> float:
        """``integral_0^length fn(px, py) ds`` for a polynomial expression ``fn``."""
        return float(sum(
            fn(px, py).integ(lbnd=a)(b)
            for px, py, a, b in zip(self.px, self.py, self.edges[:-1], self.edges[1:])
        ))


def _energy(dense, omega, g, length) -> float:
    """Potential energy in the rotating frame, U = integral of (g y - omega^2 x^2 / 2) ds."""
    return _Panels(dense, length, tol=1e-9).integral(lambda px, py: g * py - 0.5 * omega**2 * px * px)


def rope_derivatives(rope: Rope, s=None):
    """``(s, x, y, x', y')`` from a piecewise Chebyshev interpolant of ``rope.at``."""
    checks.instance_of(rope, "rope", Rope)
    if s is None:
        s = np.linspace(0.0, rope.length, 1001)
    s = np.asarray(s, dtype=float)
    x, y, xp, yp, _ = _Panels(rope.at, rope.length).evaluate(s)
    return s, x, y, xp, yp


def equilibrium_residuals(rope: Rope, n_eval: int = 2001, *,
                          curves: bool = False) -> dict:
    """Check a curve against the equilibrium equations, whatever solved it.

    With ``psi = phi - lam`` (``lam = rope.tension_constant``, ``psi = -T``)
    the
    Euler--Lagrange equations of ``S = integral of psi ds`` are
    ``(psi x')' = omega^2 x`` and ``(psi y')' = -g``; integrated from 0 to s,

        R_x(s) = psi x' |_0^s - omega^2 * integral_0^s x ds',
        R_y(s) = psi y' |_0^s + g s.

    Only the positions ``rope.at(s)`` are used: they are interpolated by
    piecewise Chebyshev polynomials in ``s`` (derivatives and integrals are
    those of the interpolant). Returns the maximum absolute values of ``R_x``,
    ``R_y`` (``"euler_lagrange"`` is the larger), of ``x'^2 + y'^2 - 1``
    (``"unit_speed"``) and of the stored tension minus ``lam - phi``
    (``"tension"``), ``"relative"`` (the Euler--Lagrange residual divided by
    the largest tension, since every term scales with it) and the number of
    panels used. With ``curves=True`` the
    arrays ``"s"``, ``"R_x(s)"`` and ``"R_y(s)"`` are included too.
    """
    checks.instance_of(rope, "rope", Rope)
    n_eval = checks.integer(n_eval, "n_eval", minimum=2)
    curves = checks.boolean(curves, "curves")
    omega, g, lam = rope.omega, rope.g, rope.tension_constant
    length = rope.length
    pieces = _Panels(rope.at, length)
    s = np.linspace(0.0, length, n_eval)
    x, y, xp, yp, ix = pieces.evaluate(s)
    psi = potential(omega, g, x, y) - lam
    rx = psi * xp - psi[0] * xp[0] - omega**2 * ix
    ry = psi * yp - psi[0] * yp[0] + g * s
    unit = xp**2 + yp**2 - 1.0
    t_err = np.abs(rope.tension - (lam - potential(omega, g, rope.x, rope.y)))
    out = {
        "R_x": float(np.max(np.abs(rx))),
        "R_y": float(np.max(np.abs(ry))),
        "unit_speed": float(np.max(np.abs(unit))),
        "tension": float(np.max(t_err)),
        "panels": len(pieces),
    }
    out["euler_lagrange"] = max(out["R_x"], out["R_y"])
    t_scale = float(np.max(np.abs(rope.tension)))
    out["relative"] = out["euler_lagrange"] / (t_scale if t_scale > 0 else 1.0)
    if curves:
        out.update({"s": s, "R_x(s)": rx, "R_y(s)": ry})
    return out


def make_rope(dense, omega, g, length, lam, start, end, label, n_points) -> Rope:
    """A :class:`Rope` sampled at ``n_points`` from ``dense(s) -> (x, y)``; ``label="auto"``
    becomes ``"rope"`` or ``"arch"`` by the sign of the tension."""
    s = np.linspace(0.0, length, n_points)
    x, y = dense(s)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    tension = lam - potential(omega, g, x, y)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise RopeSolveError(f"{label}: the curve contains NaN or inf")
    energy = _energy(dense, omega, g, length)
    rope = Rope(
        s=s, x=x, y=y, tension=tension, tension_constant=float(lam), omega=omega, g=g,
        start=start, end=end, label=label, energy=energy, dense=dense,
    )
    if label == "auto":
        object.__setattr__(rope, "label", "rope" if rope.is_rope else "arch")
    return rope
