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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.polynomial import Chebyshev
from scipy import optimize, special
from scipy.integrate import solve_bvp, solve_ivp

from blogcode import checks

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
]

# Integration tolerances of the accurate (polished) solutions.
_RTOL = 1e-12
_ATOL = 1e-13


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


def _finite(name: str, value, *, positive=False, nonnegative=False) -> float:
    if positive:
        return checks.positive_real(value, name)
    return checks.real(value, name, minimum=0.0 if nonnegative else None)


def _point(name: str, p) -> tuple[float, float]:
    if p is None or isinstance(p, (str, bytes)):
        raise TypeError(f"{name} must be an (x, y) pair of numbers, got {type(p).__name__}")
    try:
        a = np.asarray(p)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an (x, y) pair of numbers, got {p!r}") from None
    if a.shape != (2,):
        raise ValueError(f"{name} must be an (x, y) pair, got shape {a.shape}")
    return checks.real(a[0].item(), f"{name}[0]"), checks.real(a[1].item(), f"{name}[1]")


def _check_physics(omega, g, length):
    omega = _finite("omega", omega, nonnegative=True)
    g = _finite("g", g, nonnegative=True)
    length = _finite("length", length, positive=True)
    if omega == 0 and g == 0:
        raise ValueError(
            "omega and g are both 0: with no force every shape is an equilibrium"
        )
    return omega, g, length


def _check_ends(start, end, length) -> tuple[float, float]:
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


def _phi(omega, g, x, y):
    return 0.5 * omega**2 * x**2 - g * y


def _n_points(n_points) -> int:
    return checks.integer(n_points, "n_points", minimum=3)


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
    psi = _phi(omega, g, x, y) - lam
    rx = psi * xp - psi[0] * xp[0] - omega**2 * ix
    ry = psi * yp - psi[0] * yp[0] + g * s
    unit = xp**2 + yp**2 - 1.0
    t_err = np.abs(rope.tension - (lam - _phi(omega, g, rope.x, rope.y)))
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


def _make_rope(dense, omega, g, length, lam, start, end, label, n_points) -> Rope:
    s = np.linspace(0.0, length, n_points)
    x, y = dense(s)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    tension = lam - _phi(omega, g, x, y)
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


# ------------------------------------------------------------- closed forms


def catenary(length, span, *, g: float = 1.0, n_points: int = 401) -> Rope:
    """The hanging chain (``omega = 0``) between ``(0, 0)`` and ``(span, 0)``.

    ``y = a cosh((x - span/2)/a) - a cosh(span/(2a))`` with ``a`` from
    ``length = 2 a sinh(span/(2a))``; tension ``g a cosh((x - span/2)/a)``
    (so ``lam = g a cosh(span/(2a))``, the tension at the supports). The shape
    does not depend on ``g``; the tension is proportional to it.
    """
    length = _finite("length", length, positive=True)
    span = _finite("span", span, positive=True)
    g = _finite("g", g, positive=True)
    n_points = _n_points(n_points)
    if length <= span:
        raise ValueError(
            f"length={length} must exceed span={span}: the rope cannot reach its ends"
        )
    _check_slenderness("length/span", length / span)
    half = 0.5 * span
    # length/span = sinh(u)/u with u = span/(2a); solve for u > 0.
    ratio = length / span
    hi = 1.0
    while math.sinh(hi) / hi < ratio:
        hi *= 2.0
    u = optimize.brentq(lambda u: math.sinh(u) / u - ratio, 1e-12, hi, xtol=1e-15, rtol=1e-15)
    a = half / u
    sh, ch = math.sinh(u), math.cosh(u)

    def dense(s):
        xc = a * np.arcsinh(np.asarray(s) / a - sh)
        return xc + half, a * np.cosh(xc / a) - a * ch

    return _make_rope(dense, 0.0, g, length, g * a * ch, (0.0, 0.0), (span, 0.0), "rope", n_points)


#: The largest length-to-span (or height) ratio of the closed forms: beyond it the
#: root brackets leave floating-point range (sinh overflows; k rounds to 1).
MAX_SLENDERNESS = 1e12


def _check_slenderness(name: str, ratio: float) -> None:
    if ratio > MAX_SLENDERNESS:
        raise ValueError(f"{name} = {ratio:g} exceeds {MAX_SLENDERNESS:g}: the closed form "
                         "leaves floating-point range there")


def _troposkien_params(length: float, height: float):
    """``(k, A)`` of the troposkien of given length and height (see chapter)."""
    ratio = height / length

    def h_over_l(k):
        m = k * k
        kk, ee = special.ellipk(m), special.ellipe(m)
        return (1 - m) * kk / (2 * ee - (1 - m) * kk)

    k = optimize.brentq(lambda k: h_over_l(k) - ratio, 0.0, 1.0 - 1e-15, xtol=1e-16, rtol=1e-15)
    m = k * k
    A = height / ((1 - m) * special.ellipk(m))
    return k, A


def troposkien(length, height, *, omega: float = 1.0,
               n_points: int = 401) -> Rope:
    """The spinning rope without gravity (``g = 0``), ends on the axis.

    The ends are ``(0, 0)`` and ``(0, height)``, the rope bulges to ``x > 0``.

    With ``m = k**2``, ``F`` and ``E`` the incomplete elliptic integrals of the
    first and second kind and ``u`` in ``[0, pi/2]`` on the lower half:
    ``x = k A sin u``, ``y = A (1-m)/2 F(u|m)``,
    ``s = A E(u|m) - A (1-m)/2 F(u|m)``; ``k`` and ``A`` follow from
    ``height`` and ``length``. ``lam = omega**2 A**2 (1+m)/4``. The shape does
    not depend on ``omega``; the tension is proportional to ``omega**2``.
    """
    length = _finite("length", length, positive=True)
    height = _finite("height", height, positive=True)
    omega = _finite("omega", omega, positive=True)
    n_points = _n_points(n_points)
    if length <= height:
        raise ValueError(f"length={length} must exceed height={height}: "
                         "the rope cannot reach its ends")
    _check_slenderness("length/height", length / height)
    k, A = _troposkien_params(length, height)
    m = k * k
    c = 0.5 * A * (1 - m)

    def s_of_u(u):
        return A * special.ellipeinc(u, m) - c * special.ellipkinc(u, m)

    def u_of_s(s):  # s in [0, length/2]; s(u) is increasing
        lo = np.zeros_like(s)
        hi = np.full_like(s, 0.5 * np.pi)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            below = s_of_u(mid) < s
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        u = 0.5 * (lo + hi)
        for _ in range(3):  # Newton: ds/du = A (1 + m - 2 m sin^2 u) / (2 D)
            sin2 = np.sin(u) ** 2
            dsdu = A * (1 + m - 2 * m * sin2) / (2 * np.sqrt(1 - m * sin2))
            u = u - (s_of_u(u) - s) / dsdu
        return np.clip(u, 0.0, 0.5 * np.pi)

    def dense(s):
        s = np.asarray(s, dtype=float)
        upper = s > 0.5 * length
        sl = np.where(upper, length - s, s)
        u = u_of_s(sl)
        x = k * A * np.sin(u)
        y = c * special.ellipkinc(u, m)
        return x, np.where(upper, height - y, y)

    lam = omega**2 * A * A * (1 + m) / 4
    return _make_rope(dense, omega, 0.0, length, lam, (0.0, 0.0),
                      (0.0, height), "rope", n_points)


def critical_speeds_hanging_chain(g, length, count: int = 3) -> np.ndarray:
    """Speeds at which a chain hanging from a point on the axis can leave it.

    Linearising about the vertical chain gives ``(g sigma x')' + omega^2 x = 0``
    (``sigma`` measured from the free end), solved by ``J0(2 omega sqrt(sigma/g))``;
    the support on the axis requires ``J0 = 0`` there, so
    ``omega_n = j_{0,n} sqrt(g / length) / 2``.
    """
    g = _finite("g", g, positive=True)
    length = _finite("length", length, positive=True)
    count = checks.positive_int(count, "count")
    return special.jn_zeros(0, count) * math.sqrt(g / length) / 2.0


# ------------------------------------------------------------ free end


def _free_rhs(omega, g, side):
    """Right-hand side in sigma = length - s for trial ropes whose free ends lie
    on the sides ``side`` (signs of ``x_e``) of the axis, all at once.

    State ``(x, y, P, Q)`` with ``(P, Q) = T t``; at the free end ``P = Q = 0``
    and the tangent is the limit ``f / |f|``. With gravity ``Q = -g sigma < 0``,
    so ``T = |(P, Q)| > 0`` all along. Without gravity the rope lies on the
    horizontal line through its end, ``t = (side, 0)``: where the tension
    would reach zero inside the rope it carries on as compression (an arch,
    not a taut rope) instead of folding back on itself.
    """
    w2 = omega**2
    n = side.size

    if g == 0:
        def rhs_flat(sig, Y):
            return np.concatenate([-side, np.zeros(n), w2 * Y[:n], np.zeros(n)])

        return rhs_flat

    def rhs(sig, Y):
        x, P, Q = Y[:n], Y[2 * n : 3 * n], Y[3 * n :]
        T = np.hypot(P, Q)
        fx = w2 * x
        fy = np.full_like(x, -g)
        small = T <= 1e-300
        if small.any():  # at the free end itself
            fn = np.hypot(fx, fy)
            T = np.where(small, fn, T)
            P, Q = np.where(small, fx, P), np.where(small, fy, Q)
        return np.concatenate([-P / T, -Q / T, fx, fy])

    return rhs


def _side(xe):
    """The side of the axis of each trial end; an end on the axis counts as x > 0
    (without gravity the force vanishes there, and either choice is a convention)."""
    return np.where(np.atleast_1d(xe) >= 0, 1.0, -1.0)


def _signed_tension(g, side, P, Q):
    """``T`` from the state: ``|(P, Q)|`` with gravity, ``side * P`` without."""
    return np.hypot(P, Q) if g != 0 else side * P


def _shoot_free(omega, g, length, xe, rtol, dense=False):
    """Integrate from the free end (xe, 0) back to the support; returns the solve_ivp result."""
    xe = np.atleast_1d(np.asarray(xe, dtype=float))
    n = xe.size
    y0 = np.concatenate([xe, np.zeros(n), np.zeros(n), np.zeros(n)])
    sol = solve_ivp(
        _free_rhs(omega, g, _side(xe)), (0.0, length), y0, method="DOP853",
        rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(xe))) + length), dense_output=dense,
    )
    if sol.status != 0:
        raise RopeSolveError(f"free-end integration failed: {sol.message}")
    return sol


def _may_touch_zero(x, f, k) -> bool:
    """Whether ``|f|`` has a local minimum at ``x[k]`` (of two or three samples of
    one sign) below which the parabola through the samples reaches zero or comes
    within half of ``|f[k]|``: where a double root or a close pair may hide."""
    a = np.abs(f)
    if np.any(a[k] > a) or (k > 0 and a[k] == a[k - 1]):
        return False
    if x.size < 3:  # an end of the range: the minimum may lie on the boundary itself
        return True
    c2, c1, c0 = np.polyfit(x - x[1], a, 2)
    if c2 <= 0:
        return True
    return c0 - c1 * c1 / (4 * c2) <= 0.5 * a[k]


def _free_end_roots(miss, grid, F, tol):
    """Every trial end ``x_e`` on ``[grid[0], grid[-1]]`` with ``miss(x_e) = 0``.

    ``F`` is ``miss`` on ``grid`` (a cheaper, vectorised evaluation). Roots are
    found in three ways, so none is lost to where it happens to fall:

    * at a grid point, ends of the range included (``|miss| <= tol``): a
      straight rope without gravity ends exactly at ``x0 +- length``;
    * inside a cell where ``F`` changes sign (Brent's method); a sign change
      across a jump (without gravity ``F`` jumps at ``x_e = 0``) is no root and
      is dropped;
    * near a local minimum of ``|F|`` without a sign change: a double root
      (``F`` touches zero) or two roots closer than the grid spacing. There
      ``s * miss`` (``s`` the sign of ``F``) is minimised; a minimum within
      ``tol`` of zero is a double root, one below zero brackets two roots.
    """
    n = grid.size
    roots = []

    def accept(x):
        if abs(miss(x)) <= tol:
            roots.append(float(x))

    def search_near_minimum(lo, hi, sign):
        best = optimize.minimize_scalar(lambda x: sign * miss(x), bounds=(lo, hi), method="bounded",
                                        options={"xatol": 1e-10 * max(1.0, abs(grid[-1])), "maxiter": 100})
        xm, fm = float(best.x), float(best.fun)
        if fm <= -tol:  # two roots in [lo, hi], one on each side of the minimum
            for a, b in ((lo, xm), (xm, hi)):
                if miss(a) * miss(b) < 0:
                    accept(optimize.brentq(miss, a, b, xtol=1e-15, rtol=1e-15, maxiter=200))
        elif fm <= tol:
            accept(xm)

    near = np.abs(F) <= tol
    for i in np.flatnonzero(near):
        accept(grid[i])
    for i in range(n - 1):
        if near[i] or near[i + 1] or F[i] * F[i + 1] >= 0:
            continue
        a, b = grid[i], grid[i + 1]
        fa, fb = miss(a), miss(b)
        if fa * fb < 0:
            accept(optimize.brentq(miss, a, b, xtol=1e-15, rtol=1e-15, maxiter=200))
        else:  # the accurate values disagree with the scan: search the cell
            search_near_minimum(a, b, np.sign(fa))
    for i in range(n):
        left, right = max(i - 1, 0), min(i + 1, n - 1)
        if np.any(near[left:right + 1]) or np.sign(F[left]) != np.sign(F[right]):
            continue  # found already, or bracketed by a sign change
        if _may_touch_zero(grid[left:right + 1], F[left:right + 1], i - left):
            search_near_minimum(grid[left], grid[right], np.sign(F[i]))
    roots.sort()
    distinct = []
    for r in roots:
        if not distinct or r - distinct[-1] > 1e-9 * max(1.0, abs(grid[-1])):
            distinct.append(r)
    return distinct


def _free_end_equilibria(omega, g, length, start, n_scan, n_points):
    x0, y0 = start
    reach = abs(x0) + length
    grid = np.linspace(-reach, reach, n_scan)
    sol = _shoot_free(omega, g, length, grid, 1e-10)
    F = sol.y[: grid.size, -1] - x0

    def miss(xe):
        return float(_shoot_free(omega, g, length, xe, _RTOL).y[0, -1] - x0)

    tol = 1e-9 * max(1.0, reach)
    ropes = []
    for xe in _free_end_roots(miss, grid, F, tol):
        sol = _shoot_free(omega, g, length, xe, _RTOL, dense=True)
        xs, ys = sol.y[0, -1], sol.y[1, -1]
        if abs(xs - x0) > tol:
            raise RopeSolveError(f"free-end shooting missed the support by {abs(xs - x0):.2e}")
        shift = y0 - ys
        lam = _phi(omega, g, xe, shift)  # T = 0 at the free end

        def dense(s, sol=sol, shift=shift):
            st = sol.sol(length - np.asarray(s, dtype=float))
            return st[0], st[1] + shift

        rope = _make_rope(dense, omega, g, length, lam, start, None, "auto", n_points)
        # The tension equals |P, Q| along the rope (first integral): a built-in check.
        st = sol.sol(length - rope.s)
        tension = _signed_tension(g, _side(xe), st[2], st[3])
        if np.max(np.abs(tension - rope.tension)) > 1e-8 * max(1.0, rope.max_tension):
            raise RopeSolveError("free-end solution violates T = lam - phi")
        ropes.append(rope)
    return ropes


# ------------------------------------------------------ both ends fixed


def _fixed_rhs(omega, g, lam_of):
    w2 = omega**2

    def rhs(s, Y, p=None):
        lam = lam_of(p)
        x, y, th = Y
        T = lam - 0.5 * w2 * x * x + g * y
        c, sn = np.cos(th), np.sin(th)
        return np.vstack([c, sn, (w2 * x * sn + g * c) / T]) if np.ndim(x) else np.array(
            [c, sn, (w2 * x * sn + g * c) / T]
        )

    return rhs


def _guess_curve(start, end, length, mode, side, n=201):
    """A chord plus a sine bulge of ``mode`` half waves whose length is ``length``."""
    p0, p1 = np.array(start), np.array(end)
    d = p1 - p0
    D = float(np.hypot(*d))
    nrm = np.array([-d[1], d[0]]) / D * side
    s = np.linspace(0.0, length, n)
    base = p0[:, None] + d[:, None] * (s / length)[None, :]

    def curve(A):
        return base + nrm[:, None] * (A * np.sin(mode * np.pi * s / length))[None, :]

    def clen(A):
        c = curve(A)
        return float(np.sum(np.hypot(*np.diff(c, axis=1))))

    A = optimize.brentq(lambda A: clen(A) - length, 0.0, length)
    c = curve(A)
    dc = np.gradient(c, s, axis=1)
    theta = np.unwrap(np.arctan2(dc[1], dc[0]))
    return s, c[0], c[1], theta


def _bvp(omega, g, length, start, end, s, x, y, theta, lam0):
    x0, y0 = start
    x1, y1 = end
    rhs = _fixed_rhs(omega, g, lambda p: p[0])

    def fun(s, Y, p):
        return rhs(s, Y, p)

    def bc(ya, yb, p):
        return np.array([ya[0] - x0, ya[1] - y0, yb[0] - x1, yb[1] - y1])

    with np.errstate(all="ignore"):
        res = solve_bvp(fun, bc, s, np.vstack([x, y, theta]), p=[lam0],
                        tol=1e-7, max_nodes=20000)
    if not res.success:
        return None
    T = res.p[0] - _phi(omega, g, res.sol(s)[0], res.sol(s)[1])
    if not np.all(np.isfinite(T)) or np.min(np.abs(T)) == 0:
        return None
    return res


def _polish(omega, g, length, start, end, theta0, lam0):
    """Shooting (DOP853) on (theta(0), lam) from a BVP solution; exact to ~1e-12."""
    x0, y0 = start
    x1, y1 = end
    scale = max(1.0, abs(x0), abs(y0), abs(x1), abs(y1), length)

    def shoot(v, dense=False):
        th0, lam = v
        rhs = _fixed_rhs(omega, g, lambda p: lam)

        def zero_tension(s, Y):
            return lam - 0.5 * omega**2 * Y[0] ** 2 + g * Y[1]

        zero_tension.terminal = True
        with np.errstate(all="ignore"):
            sol = solve_ivp(
                rhs, (0.0, length), [x0, y0, th0], method="DOP853", rtol=_RTOL,
                atol=_ATOL * scale, dense_output=dense, events=zero_tension,
            )
        return sol

    def miss(v):
        sol = shoot(v)
        if sol.status != 0 or not np.all(np.isfinite(sol.y[:, -1])):
            return np.array([1e3, 1e3])
        return np.array([sol.y[0, -1] - x1, sol.y[1, -1] - y1])

    r = optimize.root(miss, [theta0, lam0], method="hybr", options={"xtol": 1e-14})
    err = float(np.max(np.abs(miss(r.x))))
    if err > 1e-10 * scale:
        raise RopeSolveError(f"shooting polish did not converge (end missed by {err:.2e})")
    sol = shoot(r.x, dense=True)
    return sol, float(r.x[1])


def _fixed_from_guess(omega, g, length, start, end, s, x, y, theta, lam0, n_points):
    res = _bvp(omega, g, length, start, end, s, x, y, theta, lam0)
    if res is None:
        return None
    try:
        sol, lam = _polish(omega, g, length, start, end, float(res.sol(0.0)[2]), float(res.p[0]))
    except RopeSolveError:
        return None
    # the polish must stay on the branch the BVP found
    chk = np.linspace(0.0, length, 51)
    if np.max(np.abs(sol.sol(chk)[:2] - res.sol(chk)[:2])) > 1e-4 * length:
        return None

    def dense(s, sol=sol):
        st = sol.sol(np.asarray(s, dtype=float))
        return st[0], st[1]

    return _make_rope(dense, omega, g, length, lam, start, end, "auto", n_points)


def _lam_guess(omega, g, x, y, length, sign):
    phi = _phi(omega, g, x, y)
    force = max(g, omega**2 * float(np.max(np.abs(x))), 1e-3 * (g + omega**2))
    pad = 0.5 * force * length
    return float(np.max(phi) + pad) if sign > 0 else float(np.min(phi) - pad)


def _distinct(ropes, length):
    out = []
    for r in ropes:
        if all(
            np.max(np.hypot(r.x - q.x, r.y - q.y)) > 1e-6 * length for q in out
        ):
            out.append(r)
    return out


def _fixed_equilibria(omega, g, length, start, end, modes, n_points):
    found = []
    for mode in modes:
        for side in (1, -1):
            s, x, y, theta = _guess_curve(start, end, length, mode, side)
            for sign in (1, -1):
                lam0 = _lam_guess(omega, g, x, y, length, sign)
                r = _fixed_from_guess(omega, g, length, start, end, s, x, y, theta, lam0, n_points)
                if r is not None:
                    found.append(r)
    return _distinct(sorted(found, key=lambda r: r.energy), length)


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
    omega, g, length = _check_physics(omega, g, length)
    start = _point("start", start)
    n_points = _n_points(n_points)
    if end is None:
        n_scan = checks.integer(n_scan, "n_scan", minimum=11)
        return sorted(
            _free_end_equilibria(omega, g, length, start, n_scan | 1, n_points),
            key=lambda r: r.energy,
        )
    end = _check_ends(start, _point("end", end), length)
    modes = tuple(checks.positive_int(m, "modes[]") for m in checks.nonempty(modes, "modes"))
    return _fixed_equilibria(omega, g, length, start, end, modes, n_points)


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
    omega, g, length = _check_physics(omega, g, length)
    start = _point("start", start)
    if guess is not None:
        checks.instance_of(guess, "guess", Rope)
        if end is None:
            raise ValueError("guess continues a rope with both ends fixed; pass end as well")
    if guess is not None and end is not None:
        end = _check_ends(start, _point("end", end), length)
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
        phi = _phi(omega, g, gx, gy)
        r = None
        for lam0 in (float(np.max(phi) + ratio * np.min(gt)),
                     float(np.mean(ratio * gt + phi))):
            r = _fixed_from_guess(omega, g, length, start, end, s, gx, gy,
                                  theta, lam0, _n_points(n_points))
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
    omega = _finite("omega", omega, nonnegative=True)
    g = _finite("g", g, nonnegative=True)
    C1 = _finite("C1", C1)
    T = _finite("T", T, positive=True)
    h = _finite("h", h, positive=True)
    start = _point("start", start)
    direction = checks.one_of(direction, "direction", (-1, 1))
    corrected = checks.boolean(corrected, "corrected")
    method = checks.one_of(method, "method", ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"))
    rtol = _finite("rtol", rtol, positive=True)
    atol = _finite("atol", atol, positive=True)
    phi0 = _phi(omega, g, *start)
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
        rhs = _fixed_rhs(omega, g, lambda p: 0.0)
        sol = solve_ivp(rhs, (0.0, T), [start[0], start[1], th0],
                        method="DOP853", rtol=_RTOL, atol=_ATOL,
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
    rope = _make_rope(dense, omega, g, float(ts[-1]), 0.0, start, None, label,
                      3)
    # keep the article's own output grid
    object.__setattr__(rope, "s", ts)
    object.__setattr__(rope, "x", np.asarray(x))
    object.__setattr__(rope, "y", np.asarray(y))
    tension = -_phi(omega, g, np.asarray(x), np.asarray(y))
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
    omega = _finite("omega", omega, positive=True)
    g = _finite("g", g, nonnegative=True)
    length = _finite("length", length, positive=True)
    sep = _finite("hand_separation", hand_separation, positive=True)
    d = g / omega**2
    eff = solve_rope(omega, 0.0, length, (d, 0.0), (d, sep), guess=guess, n_points=n_points, **kwargs)
    return SkippingRope(horizontal=eff.y.copy(), height=d - eff.x, tension=eff.tension.copy(), effective=eff)
