"""The two closed forms (the catenary, ``omega = 0``, and the troposkien, ``g = 0``)
and the critical speeds of a chain hanging from the axis.

Part of the rope chapter's code (``book/rope.md``); import from :mod:`blogcode.rope.solver`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from blogcode import checks
from blogcode.rope.curves import Rope, make_rope

# ------------------------------------------------------------- closed forms


def catenary(length, span, *, g: float = 1.0, n_points: int = 401) -> Rope:
    """The hanging chain (``omega = 0``) between ``(0, 0)`` and ``(span, 0)``.

    ``y = a cosh((x - span/2)/a) - a cosh(span/(2a))`` with ``a`` from
    ``length = 2 a sinh(span/(2a))``; tension ``g a cosh((x - span/2)/a)``
    (so ``lam = g a cosh(span/(2a))``, the tension at the supports). The shape
    does not depend on ``g``; the tension is proportional to it.
    """
    length = checks.positive_real(length, "length")
    span = checks.positive_real(span, "span")
    g = checks.positive_real(g, "g")
    n_points = checks.integer(n_points, "n_points", minimum=3)
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

    return make_rope(dense, 0.0, g, length, g * a * ch, (0.0, 0.0), (span, 0.0), "rope", n_points)


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
    length = checks.positive_real(length, "length")
    height = checks.positive_real(height, "height")
    omega = checks.positive_real(omega, "omega")
    n_points = checks.integer(n_points, "n_points", minimum=3)
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
    return make_rope(dense, omega, 0.0, length, lam, (0.0, 0.0),
                      (0.0, height), "rope", n_points)


def critical_speeds_hanging_chain(g, length, count: int = 3) -> np.ndarray:
    """Speeds at which a chain hanging from a point on the axis can leave it.

    Linearising about the vertical chain gives ``(g sigma x')' + omega^2 x = 0``
    (``sigma`` measured from the free end), solved by ``J0(2 omega sqrt(sigma/g))``;
    the support on the axis requires ``J0 = 0`` there, so
    ``omega_n = j_{0,n} sqrt(g / length) / 2``.
    """
    g = checks.positive_real(g, "g")
    length = checks.positive_real(length, "length")
    count = checks.positive_int(count, "count")
    return special.jn_zeros(0, count) * math.sqrt(g / length) / 2.0
