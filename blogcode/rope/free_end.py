"""One end fixed, the other free: shooting back from every trial end position.

Part of the rope chapter's code (``book/rope.md``); the search is used through
:func:`blogcode.rope.solver.solve_rope` and
:func:`blogcode.rope.solver.rope_equilibria`.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy.integrate import solve_ivp

from blogcode.rope.curves import RTOL, RopeSolveError, make_rope, potential

# ------------------------------------------------------------ free end


def free_end_rhs(omega, g, side):
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
        free_end_rhs(omega, g, _side(xe)), (0.0, length), y0, method="DOP853",
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


def free_end_equilibria(omega, g, length, start, n_scan, n_points):
    """Every equilibrium with the end at ``start`` tied and the other free (checked
    arguments; see :func:`blogcode.rope.solver.rope_equilibria`)."""
    x0, y0 = start
    reach = abs(x0) + length
    grid = np.linspace(-reach, reach, n_scan)
    sol = _shoot_free(omega, g, length, grid, 1e-10)
    F = sol.y[: grid.size, -1] - x0

    def miss(xe):
        return float(_shoot_free(omega, g, length, xe, RTOL).y[0, -1] - x0)

    tol = 1e-9 * max(1.0, reach)
    ropes = []
    for xe in _free_end_roots(miss, grid, F, tol):
        sol = _shoot_free(omega, g, length, xe, RTOL, dense=True)
        xs, ys = sol.y[0, -1], sol.y[1, -1]
        if abs(xs - x0) > tol:
            raise RopeSolveError(f"free-end shooting missed the support by {abs(xs - x0):.2e}")
        shift = y0 - ys
        lam = potential(omega, g, xe, shift)  # T = 0 at the free end

        def dense(s, sol=sol, shift=shift):
            st = sol.sol(length - np.asarray(s, dtype=float))
            return st[0], st[1] + shift

        rope = make_rope(dense, omega, g, length, lam, start, None, "auto", n_points)
        # The tension equals |P, Q| along the rope (first integral): a built-in check.
        st = sol.sol(length - rope.s)
        tension = _signed_tension(g, _side(xe), st[2], st[3])
        if np.max(np.abs(tension - rope.tension)) > 1e-8 * max(1.0, rope.max_tension):
            raise RopeSolveError("free-end solution violates T = lam - phi")
        ropes.append(rope)
    return ropes
