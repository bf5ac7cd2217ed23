"""Both ends fixed, with a given length: ``solve_bvp`` with the tension constant as
unknown parameter, then polished by shooting.

Part of the rope chapter's code (``book/rope.md``); used through
:func:`blogcode.rope.solver.solve_rope` and
:func:`blogcode.rope.solver.rope_equilibria`.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy.integrate import solve_bvp, solve_ivp

from blogcode.rope.curves import ATOL, RTOL, RopeSolveError, make_rope, potential

# ------------------------------------------------------ both ends fixed


def fixed_rhs(omega, g, lam_of):
    """``rhs(s, (x, y, theta), p)`` of ``x' = cos theta, y' = sin theta,
    theta' = (omega^2 x sin theta + g cos theta) / T`` with ``T = lam_of(p) - phi``."""
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


def fixed_bvp(omega, g, length, start, end, s, x, y, theta, lam0):
    """``solve_bvp`` from the guess ``(x, y, theta)`` on ``s`` with the tension constant
    as unknown parameter (started at ``lam0``); ``None`` unless it converges with
    finite, nowhere-zero tension."""
    x0, y0 = start
    x1, y1 = end
    rhs = fixed_rhs(omega, g, lambda p: p[0])

    def fun(s, Y, p):
        return rhs(s, Y, p)

    def bc(ya, yb, p):
        return np.array([ya[0] - x0, ya[1] - y0, yb[0] - x1, yb[1] - y1])

    with np.errstate(all="ignore"):
        res = solve_bvp(fun, bc, s, np.vstack([x, y, theta]), p=[lam0],
                        tol=1e-7, max_nodes=20000)
    if not res.success:
        return None
    T = res.p[0] - potential(omega, g, res.sol(s)[0], res.sol(s)[1])
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
        rhs = fixed_rhs(omega, g, lambda p: lam)

        def zero_tension(s, Y):
            return lam - 0.5 * omega**2 * Y[0] ** 2 + g * Y[1]

        zero_tension.terminal = True
        with np.errstate(all="ignore"):
            sol = solve_ivp(
                rhs, (0.0, length), [x0, y0, th0], method="DOP853", rtol=RTOL,
                atol=ATOL * scale, dense_output=dense, events=zero_tension,
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


def fixed_from_guess(omega, g, length, start, end, s, x, y, theta, lam0, n_points):
    """:func:`fixed_bvp` from one guess, polished by shooting: a :class:`Rope`, or ``None``."""
    res = fixed_bvp(omega, g, length, start, end, s, x, y, theta, lam0)
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

    return make_rope(dense, omega, g, length, lam, start, end, "auto", n_points)


def _lam_guess(omega, g, x, y, length, sign):
    phi = potential(omega, g, x, y)
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


def fixed_equilibria(omega, g, length, start, end, modes, n_points):
    """The distinct equilibria from sine-bulge guesses of each mode, side and tension sign,
    sorted by energy (checked arguments; see :func:`blogcode.rope.solver.rope_equilibria`)."""
    found = []
    for mode in modes:
        for side in (1, -1):
            s, x, y, theta = _guess_curve(start, end, length, mode, side)
            for sign in (1, -1):
                lam0 = _lam_guess(omega, g, x, y, length, sign)
                r = fixed_from_guess(omega, g, length, start, end, s, x, y, theta, lam0, n_points)
                if r is not None:
                    found.append(r)
    return _distinct(sorted(found, key=lambda r: r.energy), length)
