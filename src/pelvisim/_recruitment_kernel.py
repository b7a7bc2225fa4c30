"""Numba kernels of the static-optimization solver (see :mod:`pelvisim.recruitment`).

Problem, for one item::

    minimise   sum_i w_i a_i**p + rho * sum_j r_j**2
    subject to M a + r = tau,   0 <= a_i <= ub_i

It is solved through its dual, which has only ``m`` unknowns (the multipliers
``lam`` [1/(N m)] of the equilibrium). For a given ``lam``, with
``s = M.T @ lam``::

    a_i(lam) = clip((s_i / (p w_i)) ** (1/(p-1)), 0, ub_i)   (0 where s_i <= 0)
    r(lam)   = lam / (2 rho)

and ``lam`` solves ``F(lam) = tau - M a(lam) - lam / (2 rho) = 0``, the
gradient of the concave dual function ``g``. ``F`` is strictly monotone, so the
root is unique. It is found by a semismooth Newton method (generalised
Jacobian ``M D M.T + I/(2 rho)``, ``D = da/ds`` on the free muscles, solved
by an ``L P L.T`` factorisation). The full Newton step is kept when it
passes Armijo and strong Wolfe conditions on ``g``, else the step that
maximises ``g`` along the direction (exact line search), then Armijo
backtracking: with Armijo alone, tasks the muscles cannot do (``|lam|`` huge,
Jacobian ``I/(2 rho)`` where every muscle is saturated or off) could jump
between active sets for 100 iterations, far from the optimum.

``exponent = inf`` is the min-max criterion (the limit of the p-norm): the
smallest possible largest weighted activation, then the least sum of squares
under that cap, found by a search over the cap with the p = 2 solver
(:func:`_minmax`). Large finite exponents are not usable: ``a(lam)`` then goes
as ``s**(1/(p-1))``, so a muscle's activation depends on ``s = M.T lam`` down to
~1e-17 (p = 10) and round-off in ``s`` alone leaves equilibrium errors of
0.05-70 N m (measured on single-leg stance, p = 8-32, no convergence in 100
iterations even from a warm start).

The kernels never raise: they return one of the status codes below and always
leave finite numbers in the outputs when the inputs are finite.

Implementation notes (speed): a solve makes no reference-count operations
(each is an atomic add, ~10 ns): the helpers take whole work arrays and row
numbers rather than row views and have a single exit, so that Numba's
reference-count pruning removes the pairs on their arguments. (The private
``_nrt=False`` option, once used on the functions that call other kernels, is
not: without it the batch ran at 0.97-1.03x the speed, within the noise,
measured side by side in one run.) Loops over muscles are innermost
(contiguous rows of ``M``) and vectorise: ``s = M.T lam`` and ``M a`` take all
rows in one pass (at most :data:`MAX_DOF` = 12 DOFs; the model has 11), the Gram matrix
``M D M.T`` goes as 4 x 4 blocks of dot products. A last, incomplete group of
rows repeats row ``m - 1`` (with a zero multiplier, or into padding entries of
the work arrays that are not used). The Newton system is solved by a blocked
``L P L.T`` factorisation of the padded matrix.
"""

import math

import numpy as np
from numba import njit, prange

from ._kernels.jit import step

CONVERGED = 0
MAX_ITERATIONS = 1
LINE_SEARCH_FAILED = 2
NUMERICAL_FAILURE = 3
INVALID_INPUT = 4
#: The dual value reached the caller's ``g_stop`` (see :func:`_solve`): the
#: optimum is at least that; the outputs are a feasible, not optimal, point.
STOPPED_ABOVE = 5

#: Most DOFs (rows of ``M``) a problem may have: the products with ``M`` are
#: written out for 12 rows (the model has 11); more give ``INVALID_INPUT``.
MAX_DOF = 12

# Constant arguments of calls between kernels go through np.int64() / np.bool_():
# a literal argument (a module constant, True, 0) makes Numba compile one more
# copy of the callee, and of everything it calls, per value, linked into every
# caller (measured: 3 copies of _newton and 3 of _evaluate per solve kernel).

# Reassociation lets LLVM vectorise the sums (else latency bound); no NaN/Inf
# assumptions, so the finiteness checks stay valid.
_FAST = {"reassoc", "contract"}
_ARMIJO = 1e-4
_MAX_BACKTRACK = 60
# Exact line search: at most this many Newton steps on the ray, which
# stop when phi is within this relative size of its terms (round-off).
_MAX_RAY_STEPS = 40
_RAY_RTOL = 1e-12
# Strong Wolfe constant under which the full Newton step is kept.
_WOLFE = 0.5
# Relative round-off level of the dual value: below it, Armijo on ``g`` cannot
# see progress and the residual norm decides instead.
_DUAL_NOISE = 1e-13
# Multiple of the unit round-off in the bound on the round-off error of F.
_ROUNDOFF = 8 * 2.220446049250313e-16


# Rows of the work arrays of one solve (see _new_work). Quantities of a point
# (current point, line-search trial) have two slots: row + 0 and row + 1.
# Rows of work_n (length n):
_INV_PW = 0  # 1 / (p w_i)
_UBP1 = 1  # ub_i**(p - 1)
_WUBP = 2  # w_i ub_i**p
_D = 3  # da/ds of each muscle summed into H (0: not in H)
_D_NEW = 4  # da/ds at the current point
_DD = 5  # change of D; scratch
_S = 6  # s = M.T lam (two slots)
_A = 8  # activations (two slots)
_UB = 10  # upper bounds ub_i
_N_WORK_N = 11
# Rows of work_m (length max(mp, 12), mp: m rounded up to a multiple of 4):
_F = 0  # F(lam) (two slots)
_R = 2  # tau - M a (two slots)
_LAM = 4  # multipliers (two slots)
_DLAM = 6  # Newton step
_RD = 7  # reciprocal pivots of H = L P L.T (P: diagonal)
_ROWABS = 8  # sum_i |M_ji| ub_i
_RHS = 9  # right-hand side of the cold start
_LAM_ONE = 10  # multipliers of solve_one
_COL = 11  # four columns of M
_DIAG = 15  # pivots of H = L P L.T
_LAM_HI = 16  # min-max: multipliers at the smallest feasible cap found
_N_WORK_M = 17
# At most this many changed muscles go into H as rank updates (four per pass
# over H); more as a blocked pass over all muscles (0 weight on the unchanged ones).
_RANK_UPDATE_MAX = 12


@step(fastmath=_FAST, error_model="numpy")
def _evaluate(M, tau, wn, wm, slot, p, q, inv2rho):
    """Fill, in slot ``slot``: ``s = M.T lam``, ``a(lam)``, ``r = tau - M a`` and ``F(lam) = r - lam/(2 rho)``.

    Returns (g, |g| scale, ||F||_2^2).
    """
    m = M.shape[0]
    lam = _LAM + slot
    s = _S + slot
    a = _A + slot
    r = _R + slot
    f = _F + slot
    _muscle_drive(M, wm, lam, wn, s)
    if q == 1.0:
        psi = _activations_quadratic(wn, s, a)
    else:
        psi = _activations_power(wn, s, a, p, q)
    _residual(M, tau, wn, a, wm, r)
    lt = 0.0
    ll = 0.0
    f2 = 0.0
    for j in range(m):
        lj = wm[lam, j]
        fj = wm[r, j] - lj * inv2rho
        wm[f, j] = fj
        f2 += fj * fj
        lt += lj * tau[j]
        ll += lj * lj
    g = lt - 0.5 * inv2rho * ll - psi
    return g, abs(lt) + 0.5 * inv2rho * ll + psi, f2


@njit(cache=True, inline="always")
def _padded_rows(m):
    """Rows 1..11 of a product written out for MAX_DOF = 12 rows: past
    m - 1 they repeat row m - 1."""
    return (min(1, m - 1), min(2, m - 1), min(3, m - 1), min(4, m - 1), min(5, m - 1),
            min(6, m - 1), min(7, m - 1), min(8, m - 1), min(9, m - 1), min(10, m - 1),
            min(11, m - 1))


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _muscle_drive(M, wm, lam, wn, s):
    """``wn[s] = M.T wm[lam]``, all rows of ``M`` in one pass over the
    muscles (contiguous rows of ``M``; vectorises): m <= MAX_DOF = 12, rows
    past m - 1 repeat row m - 1 with a 0 multiplier."""
    m, n = M.shape
    j1, j2, j3, j4, j5, j6, j7, j8, j9, j10, j11 = _padded_rows(m)
    l0 = wm[lam, 0]
    l1 = wm[lam, 1] if m > 1 else 0.0
    l2 = wm[lam, 2] if m > 2 else 0.0
    l3 = wm[lam, 3] if m > 3 else 0.0
    l4 = wm[lam, 4] if m > 4 else 0.0
    l5 = wm[lam, 5] if m > 5 else 0.0
    l6 = wm[lam, 6] if m > 6 else 0.0
    l7 = wm[lam, 7] if m > 7 else 0.0
    l8 = wm[lam, 8] if m > 8 else 0.0
    l9 = wm[lam, 9] if m > 9 else 0.0
    l10 = wm[lam, 10] if m > 10 else 0.0
    l11 = wm[lam, 11] if m > 11 else 0.0
    for i in range(n):
        wn[s, i] = ((M[0, i] * l0 + M[j1, i] * l1 + M[j2, i] * l2 + M[j3, i] * l3)
                    + (M[j4, i] * l4 + M[j5, i] * l5 + M[j6, i] * l6 + M[j7, i] * l7)
                    + (M[j8, i] * l8 + M[j9, i] * l9 + M[j10, i] * l10 + M[j11, i] * l11))


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _activations_quadratic(wn, s, a):
    """p = 2: ``wn[a] = clip(s / (2 w), 0, ub)`` without branches (selects
    vectorise); returns the conjugate's value psi(s)."""
    psi = 0.0
    for i in range(wn.shape[1]):
        si = wn[s, i]
        ui = wn[_UB, i]
        x = si * wn[_INV_PW, i]
        up = x >= wn[_UBP1, i]
        ai = ui if up else (x if x > 0.0 else 0.0)
        wn[a, i] = ai
        psi += (si * ui - wn[_WUBP, i]) if up else 0.5 * si * ai
    return psi


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _on_free_set(wn, s, i):
    """Muscle ``i`` strictly between its bounds at drive ``wn[s, i]``."""
    return wn[s, i] > 0.0 and wn[s, i] * wn[_INV_PW, i] < wn[_UBP1, i]


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _activations_power(wn, s, a, p, q):
    """p > 2: ``wn[a] = clip((s / (p w))**q, 0, ub)``, ``q = 1/(p - 1)``;
    returns psi(s). The power in loops of its own, only on the free set."""
    n = wn.shape[1]
    psi = 0.0
    free_pow = False
    for i in range(n):
        si = wn[s, i]
        x = si * wn[_INV_PW, i]  # = a**(p-1) on the free set
        if si <= 0.0:
            wn[a, i] = 0.0
        elif x >= wn[_UBP1, i]:
            wn[a, i] = wn[_UB, i]
            psi += si * wn[_UB, i] - wn[_WUBP, i]
        else:
            wn[a, i] = x
            free_pow = True
    if q == 0.5 and free_pow:
        for i in range(n):
            if _on_free_set(wn, s, i):
                wn[a, i] = math.sqrt(wn[a, i])
    elif free_pow:
        for i in range(n):
            if _on_free_set(wn, s, i):
                wn[a, i] = wn[a, i] ** q
    c = 1.0 - 1.0 / p
    for i in range(n):
        if _on_free_set(wn, s, i):
            psi += wn[s, i] * wn[a, i] * c
    return psi


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _residual(M, tau, wn, a, wm, r):
    """``wm[r] = tau - M wn[a]``: one pass over the muscles, 12 sums; rows
    past m - 1 go into padding entries never read."""
    m, n = M.shape
    j1, j2, j3, j4, j5, j6, j7, j8, j9, j10, j11 = _padded_rows(m)
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = 0.0
    for i in range(n):
        ai = wn[a, i]
        c0 += M[0, i] * ai
        c1 += M[j1, i] * ai
        c2 += M[j2, i] * ai
        c3 += M[j3, i] * ai
        c4 += M[j4, i] * ai
        c5 += M[j5, i] * ai
        c6 += M[j6, i] * ai
        c7 += M[j7, i] * ai
        c8 += M[j8, i] * ai
        c9 += M[j9, i] * ai
        c10 += M[j10, i] * ai
        c11 += M[j11, i] * ai
    wm[r, 0] = tau[0] - c0
    wm[r, 1] = tau[j1] - c1
    wm[r, 2] = tau[j2] - c2
    wm[r, 3] = tau[j3] - c3
    wm[r, 4] = tau[j4] - c4
    wm[r, 5] = tau[j5] - c5
    wm[r, 6] = tau[j6] - c6
    wm[r, 7] = tau[j7] - c7
    wm[r, 8] = tau[j8] - c8
    wm[r, 9] = tau[j9] - c9
    wm[r, 10] = tau[j10] - c10
    wm[r, 11] = tau[j11] - c11


@step(fastmath={"contract"}, error_model="numpy")
def _ldlt_solve(HL, wm, m, b, x):
    """Solve ``H x = b`` for rows ``b`` and ``x`` of ``wm``; False if ``H`` is not SPD.

    ``H = HL[0]`` (lower triangle of its leading m x m block read) is
    factorised as ``L P L.T`` (unit lower ``L`` in ``HL[1]``, diagonal ``P``
    and ``1/P`` in rows of ``wm``), in 4 x 4 blocks of the padded matrices:
    rows and columns m..mp-1 of ``H`` are set to the identity first (``x`` is
    0 there). Within a block the code is straight-line, and no square root
    lies on the chain of pivots; the substitutions go column-wise (contiguous
    rows of ``L``). No reassociation: the short sums stay scalar (vectorised,
    their horizontal adds cost more than they save). No early exit: after a
    non-positive pivot the numbers are not used.
    """
    mp = HL.shape[1]
    for j in range(m, mp):
        for k in range(j):
            HL[0, j, k] = 0.0
        HL[0, j, j] = 1.0
    for j in range(mp):
        wm[x, j] = wm[b, j] if j < m else 0.0
    ok = True
    for j0 in range(0, mp, 4):
        ok = _factor_block(HL, wm, x, j0) and ok
        _rows_below_block(HL, wm, x, j0)
    for j in range(mp):
        wm[x, j] *= wm[_RD, j]
    _back_substitution(HL, wm, x)
    return ok


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _block_less_previous(HL, wm, j0):
    """Lower triangle of diagonal block ``j0`` of ``H`` less the previous
    columns of ``L P L.T`` (a00, a10, a11, a20, a21, a22, a30, a31, a32, a33)."""
    j1 = j0 + 1
    j2 = j0 + 2
    j3 = j0 + 3
    a00 = HL[0, j0, j0]
    a10 = HL[0, j1, j0]
    a11 = HL[0, j1, j1]
    a20 = HL[0, j2, j0]
    a21 = HL[0, j2, j1]
    a22 = HL[0, j2, j2]
    a30 = HL[0, j3, j0]
    a31 = HL[0, j3, j1]
    a32 = HL[0, j3, j2]
    a33 = HL[0, j3, j3]
    for k in range(j0):
        dk = wm[_DIAG, k]
        l0 = HL[1, j0, k]
        l1 = HL[1, j1, k]
        l2 = HL[1, j2, k]
        l3 = HL[1, j3, k]
        w0 = l0 * dk
        w1 = l1 * dk
        w2 = l2 * dk
        w3 = l3 * dk
        a00 -= w0 * l0
        a10 -= w1 * l0
        a11 -= w1 * l1
        a20 -= w2 * l0
        a21 -= w2 * l1
        a22 -= w2 * l2
        a30 -= w3 * l0
        a31 -= w3 * l1
        a32 -= w3 * l2
        a33 -= w3 * l3
    return a00, a10, a11, a20, a21, a22, a30, a31, a32, a33


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _factor_block(HL, wm, x, j0):
    """``L P L.T`` of diagonal block ``j0`` (:func:`_block_less_previous`),
    and the forward substitution (unit ``L``) within it; ``x`` holds ``b``
    less the previous blocks' columns. False if a pivot is not positive."""
    j1 = j0 + 1
    j2 = j0 + 2
    j3 = j0 + 3
    a00, a10, a11, a20, a21, a22, a30, a31, a32, a33 = _block_less_previous(HL, wm, j0)
    r0 = 1.0 / a00
    l10 = a10 * r0
    l20 = a20 * r0
    l30 = a30 * r0
    d1 = a11 - l10 * a10
    r1 = 1.0 / d1
    w21 = a21 - l20 * a10
    w31 = a31 - l30 * a10
    l21 = w21 * r1
    l31 = w31 * r1
    d2 = a22 - l20 * a20 - l21 * w21
    r2 = 1.0 / d2
    w32 = a32 - l30 * a20 - l31 * w21
    l32 = w32 * r2
    d3 = a33 - l30 * a30 - l31 * w31 - l32 * w32
    r3 = 1.0 / d3
    HL[1, j1, j0] = l10
    HL[1, j2, j0] = l20
    HL[1, j3, j0] = l30
    HL[1, j2, j1] = l21
    HL[1, j3, j1] = l31
    HL[1, j3, j2] = l32
    wm[_DIAG, j0] = a00
    wm[_DIAG, j1] = d1
    wm[_DIAG, j2] = d2
    wm[_DIAG, j3] = d3
    wm[_RD, j0] = r0
    wm[_RD, j1] = r1
    wm[_RD, j2] = r2
    wm[_RD, j3] = r3
    y0 = wm[x, j0]
    wm[x, j1] = y1 = wm[x, j1] - l10 * y0
    wm[x, j2] = y2 = wm[x, j2] - l20 * y0 - l21 * y1
    wm[x, j3] = wm[x, j3] - l30 * y0 - l31 * y1 - l32 * y2
    return a00 > 0.0 and d1 > 0.0 and d2 > 0.0 and d3 > 0.0


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _rows_below_block(HL, wm, x, j0):
    """Rows of ``L`` below diagonal block ``j0`` (columns j0..j0+3), and
    their share of the forward substitution."""
    mp = HL.shape[1]
    j1 = j0 + 1
    j2 = j0 + 2
    j3 = j0 + 3
    l10 = HL[1, j1, j0]
    l20 = HL[1, j2, j0]
    l30 = HL[1, j3, j0]
    l21 = HL[1, j2, j1]
    l31 = HL[1, j3, j1]
    l32 = HL[1, j3, j2]
    r0 = wm[_RD, j0]
    r1 = wm[_RD, j1]
    r2 = wm[_RD, j2]
    r3 = wm[_RD, j3]
    y0 = wm[x, j0]
    y1 = wm[x, j1]
    y2 = wm[x, j2]
    y3 = wm[x, j3]
    for i in range(j0 + 4, mp):
        e0 = HL[0, i, j0]
        e1 = HL[0, i, j1]
        e2 = HL[0, i, j2]
        e3 = HL[0, i, j3]
        for k in range(j0):
            wik = HL[1, i, k] * wm[_DIAG, k]
            e0 -= wik * HL[1, j0, k]
            e1 -= wik * HL[1, j1, k]
            e2 -= wik * HL[1, j2, k]
            e3 -= wik * HL[1, j3, k]
        e1 -= e0 * l10
        e2 -= e0 * l20 + e1 * l21
        e3 -= e0 * l30 + e1 * l31 + e2 * l32
        p0 = e0 * r0
        p1 = e1 * r1
        p2 = e2 * r2
        p3 = e3 * r3
        HL[1, i, j0] = p0
        HL[1, i, j1] = p1
        HL[1, i, j2] = p2
        HL[1, i, j3] = p3
        wm[x, i] -= p0 * y0 + p1 * y1 + p2 * y2 + p3 * y3


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _back_substitution(HL, wm, x):
    """``L.T x = z`` (``z`` in ``x``) by blocks from the last, column-wise."""
    mp = HL.shape[1]
    for j0 in range(mp - 4, -1, -4):
        j1 = j0 + 1
        j2 = j0 + 2
        j3 = j0 + 3
        x3 = wm[x, j3]
        x2 = wm[x, j2] - HL[1, j3, j2] * x3
        x1 = wm[x, j1] - HL[1, j2, j1] * x2 - HL[1, j3, j1] * x3
        x0 = wm[x, j0] - HL[1, j1, j0] * x1 - HL[1, j2, j0] * x2 - HL[1, j3, j0] * x3
        wm[x, j0] = x0
        wm[x, j1] = x1
        wm[x, j2] = x2
        for k in range(j0):
            wm[x, k] -= HL[1, j0, k] * x0 + HL[1, j1, k] * x1 + HL[1, j2, k] * x2 + HL[1, j3, k] * x3


@step(fastmath=_FAST, error_model="numpy")
def _gram(M, wn, coef, Gc, HL, reset, inv2rho):
    """Lower triangle of ``H (+)= M diag(c) M.T``, ``c = wn[coef]``, into ``H = HL[0]``.

    ``reset``: ``H = I/(2 rho) + ...`` (full build) instead of ``H += ...``.
    Dot products over contiguous rows of ``Gc = M diag(c)`` and ``M``, in
    4 x 4 blocks (16 sums per pass, 8 loads per 16 multiply-adds; 10 sums in
    diagonal blocks); the last block row and column repeat row m - 1 of ``M``
    into padding entries of ``H`` (rows past m - 1 are reset by
    :func:`_ldlt_solve`, columns past m - 1 lie above the diagonal).
    """
    m, n = M.shape
    for j in range(m):
        for i in range(n):
            Gc[j, i] = M[j, i] * wn[coef, i]
    for jb in range(0, m, 4):
        for kb in range(0, jb + 1, 4):
            if reset:
                # H = I/(2 rho) + ...: the block starts from I/(2 rho) or 0
                dg = inv2rho if kb == jb else 0.0
                for a in range(4):
                    for b in range(4):
                        HL[0, jb + a, kb + b] = dg if a == b else 0.0
            if kb == jb:
                _gram_diagonal_block(M, Gc, HL, jb)
            else:
                _gram_block(M, Gc, HL, jb, kb)


@njit(cache=True, inline="always")
def _block_rows(b, m):
    """Rows b+1..b+3 of the 4-row block starting at ``b``: past m - 1 they
    repeat row m - 1 (into padding entries of ``H``)."""
    return min(b + 1, m - 1), min(b + 2, m - 1), min(b + 3, m - 1)


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _gram_diagonal_block(M, Gc, HL, jb):
    """``H += Gc M.T`` in diagonal block ``jb``: its lower triangle (10 sums)."""
    m, n = M.shape
    j1, j2, j3 = _block_rows(jb, m)
    h00 = h10 = h11 = h20 = h21 = h22 = h30 = h31 = h32 = h33 = 0.0
    for i in range(n):
        x0 = Gc[jb, i]
        x1 = Gc[j1, i]
        x2 = Gc[j2, i]
        x3 = Gc[j3, i]
        y0 = M[jb, i]
        y1 = M[j1, i]
        y2 = M[j2, i]
        y3 = M[j3, i]
        h00 += x0 * y0
        h10 += x1 * y0
        h11 += x1 * y1
        h20 += x2 * y0
        h21 += x2 * y1
        h22 += x2 * y2
        h30 += x3 * y0
        h31 += x3 * y1
        h32 += x3 * y2
        h33 += x3 * y3
    HL[0, jb, jb] += h00
    HL[0, jb + 1, jb] += h10
    HL[0, jb + 1, jb + 1] += h11
    HL[0, jb + 2, jb] += h20
    HL[0, jb + 2, jb + 1] += h21
    HL[0, jb + 2, jb + 2] += h22
    HL[0, jb + 3, jb] += h30
    HL[0, jb + 3, jb + 1] += h31
    HL[0, jb + 3, jb + 2] += h32
    HL[0, jb + 3, jb + 3] += h33


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _gram_block(M, Gc, HL, jb, kb):
    """``H += Gc M.T`` in block (``jb``, ``kb``) below the diagonal (16 sums)."""
    m, n = M.shape
    j1, j2, j3 = _block_rows(jb, m)
    k1, k2, k3 = _block_rows(kb, m)
    h00 = h01 = h02 = h03 = h10 = h11 = h12 = h13 = 0.0
    h20 = h21 = h22 = h23 = h30 = h31 = h32 = h33 = 0.0
    for i in range(n):
        x0 = Gc[jb, i]
        x1 = Gc[j1, i]
        x2 = Gc[j2, i]
        x3 = Gc[j3, i]
        y0 = M[kb, i]
        y1 = M[k1, i]
        y2 = M[k2, i]
        y3 = M[k3, i]
        h00 += x0 * y0
        h01 += x0 * y1
        h02 += x0 * y2
        h03 += x0 * y3
        h10 += x1 * y0
        h11 += x1 * y1
        h12 += x1 * y2
        h13 += x1 * y3
        h20 += x2 * y0
        h21 += x2 * y1
        h22 += x2 * y2
        h23 += x2 * y3
        h30 += x3 * y0
        h31 += x3 * y1
        h32 += x3 * y2
        h33 += x3 * y3
    HL[0, jb, kb] += h00
    HL[0, jb, kb + 1] += h01
    HL[0, jb, kb + 2] += h02
    HL[0, jb, kb + 3] += h03
    HL[0, jb + 1, kb] += h10
    HL[0, jb + 1, kb + 1] += h11
    HL[0, jb + 1, kb + 2] += h12
    HL[0, jb + 1, kb + 3] += h13
    HL[0, jb + 2, kb] += h20
    HL[0, jb + 2, kb + 1] += h21
    HL[0, jb + 2, kb + 2] += h22
    HL[0, jb + 2, kb + 3] += h23
    HL[0, jb + 3, kb] += h30
    HL[0, jb + 3, kb + 1] += h31
    HL[0, jb + 3, kb + 2] += h32
    HL[0, jb + 3, kb + 3] += h33


@step(fastmath=_FAST, error_model="numpy")
def _gram_columns(M, wn, coef, idx, nidx, wm, HL):
    """Lower triangle of ``H += sum_c coef_i M[:, i] M[:, i].T`` over ``i = idx[:nidx]``.

    Four columns per pass over ``H`` (a last, incomplete group repeats its
    last column with coefficient 0), gathered into rows of ``wm`` first.
    """
    m = M.shape[0]
    for c in range(0, nidx, 4):
        i0 = idx[c]
        i1 = idx[min(c + 1, nidx - 1)]
        i2 = idx[min(c + 2, nidx - 1)]
        i3 = idx[min(c + 3, nidx - 1)]
        g0 = wn[coef, i0]
        g1 = wn[coef, i1] if c + 1 < nidx else 0.0
        g2 = wn[coef, i2] if c + 2 < nidx else 0.0
        g3 = wn[coef, i3] if c + 3 < nidx else 0.0
        for j in range(m):
            wm[_COL, j] = M[j, i0]
            wm[_COL + 1, j] = M[j, i1]
            wm[_COL + 2, j] = M[j, i2]
            wm[_COL + 3, j] = M[j, i3]
        for j in range(m):
            v0 = g0 * wm[_COL, j]
            v1 = g1 * wm[_COL + 1, j]
            v2 = g2 * wm[_COL + 2, j]
            v3 = g3 * wm[_COL + 3, j]
            for k in range(j + 1):
                HL[0, j, k] += (v0 * wm[_COL, k] + v1 * wm[_COL + 1, k]
                                + v2 * wm[_COL + 2, k] + v3 * wm[_COL + 3, k])


@step(fastmath=_FAST, error_model="numpy")
def _inputs_valid(M, tau, weights, upper, exponent, reserve_weight):
    """Everything but the finiteness of ``M`` (checked in the first pass over it)."""
    m, n = M.shape
    # exponent = inf is the min-max criterion (the limit of the p-norm)
    ok = (exponent >= 2.0 and not math.isnan(exponent) and reserve_weight > 0.0
          and math.isfinite(reserve_weight))
    ok = ok and tau.shape[0] == m and weights.shape[0] == n and upper.shape[0] == n and m <= MAX_DOF
    # x * 0 is NaN exactly for non-finite x: one vectorisable pass. The loops
    # run whatever the shapes (within bounds), so that every array is last
    # used here, at the single exit.
    z = 0.0
    for j in range(min(m, tau.shape[0])):
        z += tau[j] * 0.0
    bad = 0
    for i in range(min(n, weights.shape[0], upper.shape[0])):
        wi = weights[i]
        ui = upper[i]
        bad += (not wi > 0.0) + (wi * 0.0 != 0.0) + (not ui >= 0.0) + (ui * 0.0 != 0.0)
    return ok and z == 0.0 and bad == 0


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _row_max(w, row, n):
    """``max(0, max(w[row, :n]))``, as four interleaved maxima (one is a serial chain)."""
    m0 = m1 = m2 = m3 = 0.0
    for i in range(0, n - 3, 4):
        m0 = max(m0, w[row, i])
        m1 = max(m1, w[row, i + 1])
        m2 = max(m2, w[row, i + 2])
        m3 = max(m3, w[row, i + 3])
    for i in range(n - n % 4, n):
        m0 = max(m0, w[row, i])
    return max(max(m0, m1), max(m2, m3))


@njit(cache=True, error_model="numpy")
def _new_work(m, n):
    """Work arrays of one solve (reusable across solves of the same (m, n))."""
    mp = (m + 3) // 4 * 4
    mw = max(mp, 12)
    nn = _N_WORK_N * n
    nm = _N_WORK_M * mw
    buf = np.empty(nn + nm + 2 * mp * mp + m * n)
    return (buf[:nn].reshape((_N_WORK_N, n)), buf[nn:nn + nm].reshape((_N_WORK_M, mw)),
            buf[nn + nm:nn + nm + 2 * mp * mp].reshape((2, mp, mp)),
            buf[nn + nm + 2 * mp * mp:].reshape((m, n)), np.empty(n, np.int64))


@step(fastmath=_FAST, error_model="numpy")
def _max_abs(v, m):
    """max_j |v_j| over the first m entries (0 when m = 0)."""
    acc = 0.0
    for j in range(m):
        acc = max(acc, abs(v[j]))
    return acc


@step(fastmath=_FAST, error_model="numpy")
def _jacobian(wn, cur, q, pw_max, n):
    """Generalised Jacobian of ``F`` at slot ``cur``: ``D_i = da_i/ds_i`` of the
    free muscles into row ``_D_NEW``. Returns (free muscles, muscles whose D
    differs from the one summed into H, an upper bound of max D)."""
    n_changed = 0
    n_free = 0
    dmax = 0.0
    a = _A + cur
    if q == 1.0:
        # dmax only enters an upper bound: max 1/(p w) over all muscles
        # does, and keeps this loop free of a serial max (vectorises).
        dmax = pw_max
        for i in range(n):
            di = wn[_INV_PW, i] if (wn[a, i] > 0.0 and wn[a, i] < wn[_UB, i]) else 0.0
            wn[_D_NEW, i] = di
            n_free += di != 0.0
            n_changed += di != wn[_D, i]
    else:
        for i in range(n):
            di = 0.0
            if wn[a, i] > 0.0 and wn[a, i] < wn[_UB, i]:
                di = q * wn[a, i] / wn[_S + cur, i]
                n_free += 1
                dmax = max(dmax, di)
            wn[_D_NEW, i] = di
            if di != wn[_D, i]:
                n_changed += 1
    return n_free, n_changed, dmax


@step(fastmath=_FAST, error_model="numpy")
def _within_roundoff(M, tau, wn, wm, cur, fnorm, thresh, inv2rho, base_noise, mcm, dmax):
    """True when ``max|F|`` is within its round-off bound (it exceeds tol when
    ``|lam|`` is huge, in infeasible tasks: ``s = M.T lam`` then suffers
    cancellation). The cheap upper bound first; the sharper one only when it
    could matter."""
    m, n = M.shape
    lmax = 0.0
    for j in range(m):
        lmax = max(lmax, abs(wm[_LAM + cur, j]))
    done = False
    if fnorm <= thresh + _ROUNDOFF * (base_noise + lmax * (inv2rho + dmax * mcm)):
        # noise_j = |tau_j| + rowabs_j + |lam_j|/(2 rho) + sum_i |M_ji| D_i sum_k |M_ki lam_k|
        for i in range(n):
            wn[_DD, i] = 0.0
        for j in range(m):
            lj = abs(wm[_LAM + cur, j])
            for i in range(n):
                wn[_DD, i] += abs(M[j, i]) * lj
        for i in range(n):
            wn[_DD, i] *= wn[_D_NEW, i]
        fnoise = 0.0
        for j in range(m):
            acc = 0.0
            for i in range(n):
                acc += abs(M[j, i]) * wn[_DD, i]
            fnoise = max(fnoise, abs(tau[j]) + wm[_ROWABS, j]
                         + abs(wm[_LAM + cur, j]) * inv2rho + acc)
        done = fnorm <= thresh + _ROUNDOFF * fnoise
    return done


@step(fastmath=_FAST, error_model="numpy")
def _update_h(M, wn, wm, HL, Gc, idx, n_changed, n_free, n_updates, inv2rho):
    """Bring ``H = M diag(D) M.T + I/(2 rho)`` to the new D (row ``_D_NEW``):
    rebuilt when most muscles changed, else by low-rank changes. Returns the
    number of changes summed in since the last rebuild."""
    n = M.shape[1]
    row_d = np.int64(_D)  # not literals: see the note on constant arguments at the top
    row_dd = np.int64(_DD)
    full = np.bool_(True)
    if n_changed >= n_free or n_updates + n_changed > n:
        for i in range(n):
            wn[_D, i] = wn[_D_NEW, i]
        _gram(M, wn, row_d, Gc, HL, full, inv2rho)
        n_updates = 0
    elif n_changed > 0:
        for i in range(n):
            dn = wn[_D_NEW, i]
            wn[_DD, i] = dn - wn[_D, i]
            wn[_D, i] = dn
        if n_changed <= _RANK_UPDATE_MAX:
            # List of the changed muscles, branch-free (which ones is unpredictable).
            nc = np.int64(0)
            for i in range(n):
                idx[nc] = i
                nc += wn[_DD, i] != 0.0
            _gram_columns(M, wn, row_dd, idx, nc, wm, HL)
        else:
            _gram(M, wn, row_dd, Gc, HL, not full, inv2rho)
        n_updates += n_changed
    return n_updates


@step(fastmath=_FAST, error_model="numpy")
def _direction(M, wn, wm, HL, Gc, cur, n_updates, inv2rho):
    """Newton direction ``H dlam = F`` into row ``_DLAM``; after low-rank
    changes that broke H's definiteness (round-off), H is rebuilt once.
    Returns (ok, changes summed into H since its last rebuild)."""
    m = M.shape[0]
    ok = _ldlt_solve(HL, wm, m, _F + cur, np.int64(_DLAM))
    if not ok and n_updates > 0:
        _gram(M, wn, np.int64(_D), Gc, HL, np.bool_(True), inv2rho)
        n_updates = 0
        ok = _ldlt_solve(HL, wm, m, _F + cur, np.int64(_DLAM))
    return ok, n_updates


@step(fastmath=_FAST, error_model="numpy")
def _ray(wn, srow, t, c0, dd, q):
    """``phi(t) = dlam . F(lam + t dlam)`` on the ray (``e = M.T dlam`` in row
    ``_DD``, ``s`` at t = 0 in row ``srow``), its slope and the size of its
    terms. Returns (phi, dphi/dt, scale)."""
    acc = 0.0
    mag = 0.0
    curv = 0.0
    if q == 1.0:
        for i in range(wn.shape[1]):
            ei = wn[_DD, i]
            x = (wn[srow, i] + t * ei) * wn[_INV_PW, i]
            ui = wn[_UB, i]
            up = x >= wn[_UBP1, i]
            ai = ui if up else (x if x > 0.0 else 0.0)
            free = (not up) and x > 0.0
            curv += ei * ei * wn[_INV_PW, i] if free else 0.0
            acc += ei * ai
            mag += abs(ei * ai)
    else:
        for i in range(wn.shape[1]):
            ei = wn[_DD, i]
            si = wn[srow, i] + t * ei
            x = si * wn[_INV_PW, i]
            ai = 0.0
            if x >= wn[_UBP1, i]:
                ai = wn[_UB, i]
            elif x > 0.0:
                ai = x ** q
                curv += ei * ei * q * ai / si
            acc += ei * ai
            mag += abs(ei * ai)
    return c0 - t * dd - acc, -(curv + dd), abs(c0) + t * dd + mag


@step(fastmath=_FAST, error_model="numpy")
def _exact_step(M, tau, wn, wm, cur, q, inv2rho):
    """Step length that maximises the dual along the Newton direction.

    ``phi(t) = dlam . F(lam + t dlam)`` is continuous and decreasing (the dual
    is concave), and piecewise smooth: for p = 2 piecewise linear (the dual
    is piecewise quadratic along the ray). Its root is found by Newton's
    method on ``phi``, kept in a bracket (bisection when a step leaves it);
    for p = 2 it is exact once a step stays within one linear piece. Without
    it the full Newton step, cut back by Armijo backtracking, can jump
    between active sets for 100 iterations (tasks the muscles cannot do:
    ``H`` is ``I/(2 rho)`` in the directions in which every muscle is
    saturated or off). Returns t (1 when the ray is flat or not finite).
    """
    m, n = M.shape
    for i in range(n):
        wn[_DD, i] = 0.0
    c0 = 0.0
    dd = 0.0
    for j in range(m):
        dj = wm[_DLAM, j]
        c0 += dj * (tau[j] - wm[_LAM + cur, j] * inv2rho)
        dd += dj * dj * inv2rho
        for i in range(n):
            wn[_DD, i] += M[j, i] * dj
    t = 1.0
    lo = 0.0
    hi = math.inf
    for _ in range(_MAX_RAY_STEPS):
        f, df, scale = _ray(wn, _S + cur, t, c0, dd, q)
        if not (df < 0.0 and math.isfinite(f)):
            t = 1.0
            break
        if abs(f) <= _RAY_RTOL * scale:
            break
        if f > 0.0:
            lo = t
        else:
            hi = t
        tn = t - f / df
        if not (lo < tn < hi):
            tn = 0.5 * (lo + hi)
        if hi - lo <= _RAY_RTOL * hi:
            break
        t = tn
    return t


@step(fastmath=_FAST, error_model="numpy")
def _trial(M, tau, wn, wm, cur, trial, p, q, inv2rho, t):
    """Slot ``trial`` at ``lam + t dlam`` (row ``_DLAM``), evaluated by
    :func:`_evaluate`. Returns its (g, |g| scale, ||F||^2)."""
    for j in range(M.shape[0]):
        wm[_LAM + trial, j] = wm[_LAM + cur, j] + t * wm[_DLAM, j]
    return _evaluate(M, tau, wn, wm, trial, p, q, inv2rho)


@step(fastmath=_FAST, error_model="numpy")
def _ray_slope(wm, slot, m):
    """``dlam . F`` at slot ``slot``: the dual's slope along the Newton direction."""
    acc = 0.0
    for j in range(m):
        acc += wm[_F + slot, j] * wm[_DLAM, j]
    return acc


@step(fastmath=_FAST, error_model="numpy")
def _moved(wm, cur, trial, m):
    moved = False
    for j in range(m):
        if wm[_LAM + trial, j] != wm[_LAM + cur, j]:
            moved = True
    return moved


@step(fastmath=_FAST, error_model="numpy")
def _line_search(M, tau, wn, wm, cur, trial, p, q, inv2rho, g, gscale, f2, slope, t):
    """Armijo backtracking on the dual ``g`` along row ``_DLAM`` from step ``t``
    into slot ``trial`` (``slope``: ``g``'s slope along the row at t = 0).
    Returns (accepted and moved, g, |g| scale, ||F||^2 there)."""
    m = M.shape[0]
    accepted = False
    g_t = g
    gscale_t = gscale
    f2_t = f2
    for _ in range(_MAX_BACKTRACK):
        g_t, gscale_t, f2_t = _trial(M, tau, wn, wm, cur, trial, p, q, inv2rho, t)
        if g_t >= g + _ARMIJO * t * slope:
            accepted = True
        elif abs(g_t - g) <= _DUAL_NOISE * gscale and f2_t < f2:
            accepted = True
        if accepted:
            break
        t *= 0.5
    return accepted and _moved(wm, cur, trial, m), g_t, gscale_t, f2_t


@step(fastmath=_FAST, error_model="numpy")
def _step(M, tau, wn, wm, cur, trial, p, q, inv2rho, g, gscale, f2):
    """The step along the Newton direction into slot ``trial``: the full step
    when it passes Armijo and the strong Wolfe condition ``|phi(1)| <= _WOLFE
    phi(0)`` (``phi`` the dual's slope along the direction; near the solution
    it always does), else the step that maximises the dual along the
    direction (:func:`_exact_step`), then Armijo backtracking from it.
    Returns (accepted and moved, g, |g| scale, ||F||^2 there).
    """
    m = M.shape[0]
    slope = _ray_slope(wm, cur, m)
    g_t, gscale_t, f2_t = _trial(M, tau, wn, wm, cur, trial, p, q, inv2rho, 1.0)
    if (g_t >= g + _ARMIJO * slope and abs(_ray_slope(wm, trial, m)) <= _WOLFE * slope
            and _moved(wm, cur, trial, m)):
        return True, g_t, gscale_t, f2_t
    t = _exact_step(M, tau, wn, wm, cur, q, inv2rho)
    return _line_search(M, tau, wn, wm, cur, trial, p, q, inv2rho, g, gscale, f2, slope, t)


@step(fastmath=_FAST, error_model="numpy")
def _cold_start(M, tau, wn, wm, HL, Gc, inv2rho):
    """Multipliers of every muscle free with ``a = s / (p w)`` into slot 0: the
    exact optimum for p = 2 when no bound binds (least-norm unconstrained
    solution); 0 if that system is singular."""
    m, n = M.shape
    for i in range(n):
        if wn[_UB, i] > 0.0:
            wn[_D, i] = wn[_INV_PW, i]
    _gram(M, wn, np.int64(_D), Gc, HL, np.bool_(True), inv2rho)
    for j in range(m):
        wm[_RHS, j] = tau[j]
    if not _ldlt_solve(HL, wm, m, np.int64(_RHS), np.int64(_LAM)):
        for j in range(m):
            wm[_LAM, j] = 0.0


@step(fastmath=_FAST, error_model="numpy")
def _newton(M, tau, wn, wm, HL, Gc, idx, p, tol, max_iter, inv2rho, base_noise, mcm, warm_ok,
            g_stop):
    """Newton iterations of :func:`_solve` (``wn``, ``wm`` set up by it).

    Each iteration: the generalised Jacobian (:func:`_jacobian`), H brought up
    to date (:func:`_update_h`), the Newton direction (:func:`_direction`),
    and the step along it (:func:`_step`: the full step or the one that
    maximises the dual along the direction, then Armijo backtracking).
    It stops early (``STOPPED_ABOVE``) once the dual value ``g``, a lower
    bound of the optimum, exceeds ``g_stop`` by more than its round-off.
    Returns (status, iterations, slot of the last point, g there).
    """
    m, n = M.shape
    q = 1.0 / (p - 1.0)
    thresh = tol * (1.0 + _max_abs(tau, m))
    pw_max = _row_max(wn, np.int64(_INV_PW), n)
    # Slots of the current point and of the line-search trial.
    cur = np.int64(0)
    trial = np.int64(1)
    # D holds the da/ds of each muscle currently summed into H (0: not in H);
    # H is kept up to date by low-rank changes when few muscles change.
    for i in range(n):
        wn[_D, i] = 0.0
    if not warm_ok:  # (a warm start is in slot 0 already)
        _cold_start(M, tau, wn, wm, HL, Gc, inv2rho)
    n_updates = np.int64(0)  # not a literal: see the note on constant arguments
    g, gscale, f2 = _evaluate(M, tau, wn, wm, cur, p, q, inv2rho)
    it = 0
    status = MAX_ITERATIONS
    while True:
        fnorm = 0.0
        for j in range(m):
            fnorm = max(fnorm, abs(wm[_F + cur, j]))
        if not (math.isfinite(g) and math.isfinite(fnorm)):
            status = NUMERICAL_FAILURE
            break
        if fnorm <= thresh:
            status = CONVERGED
            break
        if g - _DUAL_NOISE * gscale >= g_stop:
            status = STOPPED_ABOVE
            break
        n_free, n_changed, dmax = _jacobian(wn, cur, q, pw_max, n)
        if _within_roundoff(M, tau, wn, wm, cur, fnorm, thresh, inv2rho, base_noise, mcm, dmax):
            status = CONVERGED
            break
        if it >= max_iter:
            status = MAX_ITERATIONS
            break
        n_updates = _update_h(M, wn, wm, HL, Gc, idx, n_changed, n_free, n_updates, inv2rho)
        ok, n_updates = _direction(M, wn, wm, HL, Gc, cur, n_updates, inv2rho)
        if not ok:
            status = NUMERICAL_FAILURE
            break
        ok, g_t, gscale_t, f2_t = _step(M, tau, wn, wm, cur, trial, p, q, inv2rho, g, gscale, f2)
        if not ok:
            status = LINE_SEARCH_FAILED
            break
        cur, trial = trial, cur
        g, gscale, f2 = g_t, gscale_t, f2_t
        it += 1
    return status, it, cur, g


# Min-max (exponent = inf). The QPs of the search and the final one weigh
# reserves by MINMAX_RESERVE_FACTOR * rho, so that a feasible cap leaves
# reserves of ~lam / (2e8) N m; a cap t counts as feasible when every reserve
# is below _MINMAX_FEASIBLE (1 + max|tau|) [N m]; the search stops when the cap
# is known to within _MINMAX_RTOL (relative).
MINMAX_RESERVE_FACTOR = 1e4
_MINMAX_FEASIBLE = 1e-8
_MINMAX_RTOL = 1e-8
_MINMAX_MAX_STEPS = 60
# Newton iterations first allowed to a QP of the search: feasible caps
# converge in 1-10 from the multipliers at the smallest feasible cap, caps far
# below t* (reserves of 10-100 N m, multipliers ~1e9) often not in 100. An
# unconverged cap is infeasible if the dual value proves it (weak duality:
# g(lam) <= sum w u**2 + rho' |r*|**2), else it gets the full max_iter; if it
# still does not converge, it counts as infeasible and the result's status is
# MAX_ITERATIONS (the answer is feasible, its cap maybe above t*).
_MINMAX_SEARCH_ITER = 25



@step(fastmath=_FAST, error_model="numpy")
def _set_caps(wn, weights, upper, t, n):
    """Work rows of the p = 2 problem with bounds ``min(ub_i, t / w_i)``."""
    for i in range(n):
        u = min(upper[i], t / weights[i])
        wn[_UB, i] = u
        wn[_UBP1, i] = u
        wn[_INV_PW, i] = 0.5 / weights[i]
        wn[_WUBP, i] = weights[i] * u * u


@step(fastmath=_FAST, error_model="numpy")
def _cap_lower_bound(M, tau, weights, t_hi):
    """The min-max search's lower end: ``t* >= max_j |tau_j| / sum_i max(0,
    sign(tau_j) M_ji) / w_i`` (each DOF alone with every muscle at its cap),
    at most ``t_hi``. Returns (t_lo, d_lo): d_lo = ||tau|| when t_lo = 0 (then
    r = tau), else -1 (reserves not known)."""
    m, n = M.shape
    t_lo = 0.0
    d_lo = 0.0
    for j in range(m):
        d_lo += tau[j] * tau[j]
        reach = 0.0
        for i in range(n):
            x = M[j, i] if tau[j] > 0.0 else -M[j, i]
            reach += max(x, 0.0) / weights[i]
        if reach > 0.0 and abs(tau[j]) / reach > t_lo:
            t_lo = abs(tau[j]) / reach
    d_lo = math.sqrt(d_lo) if t_lo == 0.0 else -1.0
    return min(t_lo, t_hi), d_lo


@step(fastmath=_FAST, error_model="numpy")
def _capped_qp(M, tau, weights, upper, wn, wm, HL, Gc, idx, t, tol, max_iter, inv2rho_cap,
               base_noise, mcm, thr):
    """The p = 2 problem capped at ``t``, from the multipliers at the smallest
    feasible cap (row ``_LAM_HI``): first :data:`_MINMAX_SEARCH_ITER`
    iterations; unconverged, the cap is infeasible if the dual value proves it
    (weak duality), else it gets the full ``max_iter``. Returns (status,
    iterations, slot, uncertain: neither converged nor proved infeasible)."""
    m, n = M.shape
    warm = np.bool_(True)  # not literals: see the note on constant arguments at the top
    no_stop = math.inf
    p2 = 2.0
    _set_caps(wn, weights, upper, t, n)
    for j in range(m):
        wm[_LAM, j] = wm[_LAM_HI, j]
    st, total, cur, g = _newton(M, tau, wn, wm, HL, Gc, idx, p2, tol,
                                     min(max_iter, _MINMAX_SEARCH_ITER), inv2rho_cap, base_noise,
                                     mcm, warm, no_stop)
    certified = False
    if st != CONVERGED:
        effort_max = 0.0
        for i in range(n):
            effort_max += wn[_WUBP, i]
        certified = math.isfinite(g) and g > effort_max + 0.5 / inv2rho_cap * m * thr * thr
        if not certified and max_iter > _MINMAX_SEARCH_ITER:
            for j in range(m):
                wm[_LAM, j] = wm[_LAM + cur, j]  # go on from where it stopped
            st, it, cur, g = _newton(M, tau, wn, wm, HL, Gc, idx, p2, tol, max_iter,
                                          inv2rho_cap, base_noise, mcm, warm, no_stop)
            total += it
    return st, total, cur, st != CONVERGED and not certified


@step(fastmath=_FAST, error_model="numpy")
def _cap_search(M, tau, weights, upper, wn, wm, HL, Gc, idx, tol, max_iter, inv2rho_cap,
                base_noise, mcm, thr, t_hi):
    """The smallest feasible cap, from the feasible ``t_hi`` (its multipliers
    in row ``_LAM_HI``): secant through the two largest infeasible caps whose
    reserves are known, nudged by half the tolerance, bisection otherwise (see
    :func:`_minmax`). Returns (t_hi, iterations, uncertain)."""
    m = M.shape[0]
    # infeasible caps: (t_lo, d_lo) the largest (d_lo < 0: reserves not known),
    # (t_p, d_p) the one before (t_p < 0: none)
    t_lo, d_lo = _cap_lower_bound(M, tau, weights, t_hi)
    t_p = -1.0
    d_p = 0.0
    total = 0
    uncertain = False
    for _ in range(_MINMAX_MAX_STEPS):
        width = _MINMAX_RTOL * t_hi
        if t_hi - t_lo <= width:
            break
        t = 0.5 * (t_lo + t_hi)
        if t_p >= 0.0 and d_lo > 0.0 and d_p > d_lo:
            ts = t_lo + (t_lo - t_p) * d_lo / (d_p - d_lo)
            if ts >= t_hi - width:
                break  # t* >= ts: t_hi is within the tolerance
            if ts > t_lo:
                t = min(ts + 0.5 * width, 0.5 * (ts + t_hi))
        st, it, cur, unsure = _capped_qp(M, tau, weights, upper, wn, wm, HL, Gc, idx, t, tol,
                                         max_iter, inv2rho_cap, base_noise, mcm, thr)
        total += it
        uncertain = uncertain or unsure
        d = 0.0
        rmax = 0.0
        for j in range(m):
            rj = wm[_R + cur, j]
            d += rj * rj
            rmax = max(rmax, abs(rj))
        if st == CONVERGED and rmax <= thr:
            t_hi = t
            for j in range(m):
                wm[_LAM_HI, j] = wm[_LAM + cur, j]
        elif st == CONVERGED:
            if d_lo > 0.0:
                t_p, d_p = t_lo, d_lo
            else:
                t_p = -1.0
            t_lo, d_lo = t, math.sqrt(d)
        else:
            t_lo, d_lo = t, -1.0  # no reliable reserves: bisect from here
            t_p = -1.0
    return t_hi, total, uncertain


@step(fastmath=_FAST, error_model="numpy")
def _minmax(M, tau, weights, upper, wn, wm, HL, Gc, idx, tol, max_iter, reserve_weight,
            base_noise, mcm):
    """Min-max criterion: the smallest cap ``t`` on ``w_i a_i`` with which the
    muscles can do the task, then the least sum of squares under that cap
    (which makes the answer unique; the same problem as the LP path of
    :func:`pelvisim.recruitment.solve`).

    ``t`` is found by a search on the reserves ``d(t) = ||r||_2`` of the p = 2
    problem capped at ``t`` (heavy reserve weight): ``d`` is convex and
    decreasing, zero from the optimum ``t*`` on. The bracket starts from the
    largest activation of the uncapped p = 2 answer (feasible) and the bound
    ``t* >= max_j |tau_j| / sum_i max(0, sign(tau_j) M_ji) / w_i`` (each DOF
    alone with every muscle at its cap; :func:`_cap_lower_bound`). Steps
    (:func:`_cap_search`): secant through the two largest infeasible caps
    whose reserves are known (from below it never passes ``t*``, by
    convexity), nudged by half the tolerance; bisection when there is no
    secant or it leaves the bracket. Each QP (:func:`_capped_qp`) starts from
    the multipliers at the smallest feasible cap. Infeasible tasks (reserves
    at the full bounds): the p = 2 answer with the ordinary reserve weight.

    Returns (status, iterations, slot, g) as :func:`_newton` (of the last QP).
    """
    m, n = M.shape
    inv2rho_cap = 0.5 / (reserve_weight * MINMAX_RESERVE_FACTOR)
    tau_scale = _max_abs(tau, m)
    thr = _MINMAX_FEASIBLE * (1.0 + tau_scale)
    cold = np.bool_(False)  # not literals: see the note on constant arguments at the top
    warm = np.bool_(True)
    no_stop = math.inf
    p2 = 2.0
    _set_caps(wn, weights, upper, math.inf, n)
    status, total, cur, g = _newton(M, tau, wn, wm, HL, Gc, idx, p2, tol, max_iter,
                                         inv2rho_cap, base_noise, mcm, cold, no_stop)
    rmax = 0.0
    t_hi = 0.0
    for j in range(m):
        rmax = max(rmax, abs(wm[_R + cur, j]))
    for i in range(n):
        t_hi = max(t_hi, weights[i] * wn[_A + cur, i])
    if status != CONVERGED or rmax > thr:
        # the task is beyond the muscles (or the solve failed): as p = 2
        status, it, cur, g = _newton(M, tau, wn, wm, HL, Gc, idx, p2, tol, max_iter,
                                          0.5 / reserve_weight, base_noise, mcm, cold, no_stop)
        return status, total + it, cur, g
    if t_hi == 0.0:
        return status, total, cur, g
    for j in range(m):
        wm[_LAM_HI, j] = wm[_LAM + cur, j]
    t_hi, it, uncertain = _cap_search(M, tau, weights, upper, wn, wm, HL, Gc, idx, tol, max_iter,
                                      inv2rho_cap, base_noise, mcm, thr, t_hi)
    total += it
    _set_caps(wn, weights, upper, t_hi, n)
    for j in range(m):
        wm[_LAM, j] = wm[_LAM_HI, j]
    status, it, cur, g = _newton(M, tau, wn, wm, HL, Gc, idx, p2, tol, max_iter, inv2rho_cap,
                                      base_noise, mcm, warm, no_stop)
    if uncertain and status == CONVERGED:
        status = MAX_ITERATIONS
    return status, total + it, cur, g




@step(fastmath=_FAST, error_model="numpy")
def _scan(M, tau, upper, wn, wm):
    """One pass over ``M``: its finiteness, and the round-off bounds of ``F``:
    rowabs_j = sum_i |M_ji| ub_i (row ``_ROWABS``) and mcm >= max_j sum_i
    |M_ji| sum_k |M_ki| (bounds |M| diag(D) |M|.T |lam|). Returns (finite,
    base noise, mcm)."""
    m, n = M.shape
    colabs = _DD
    for i in range(n):
        wn[colabs, i] = 0.0
    z = 0.0
    rowsum = 0.0
    base_noise = 0.0
    for j in range(m):
        acc = 0.0
        acc1 = 0.0
        for i in range(n):
            x = M[j, i]
            z += x * 0.0
            ax = abs(x)
            wn[colabs, i] += ax
            acc += ax * upper[i]
            acc1 += ax
        wm[_ROWABS, j] = acc
        base_noise = max(base_noise, abs(tau[j]) + acc)
        rowsum = max(rowsum, acc1)
    cmax = _row_max(wn, np.int64(colabs), n)
    return z == 0.0, base_noise, rowsum * cmax


@step(fastmath=_FAST, error_model="numpy")
def _pnorm_rows(wn, weights, upper, p):
    """Work rows of the p-norm problem: ub, ub**(p-1), 1/(p w), w ub**p."""
    n = wn.shape[1]
    # Separate loops: a select would let LLVM evaluate pow speculatively.
    if p == 2.0:
        for i in range(n):
            wn[_UBP1, i] = upper[i]
    else:
        for i in range(n):
            wn[_UBP1, i] = upper[i] ** (p - 1.0)
    for i in range(n):
        wn[_UB, i] = upper[i]
        wn[_INV_PW, i] = 1.0 / (p * weights[i])
        wn[_WUBP, i] = weights[i] * upper[i] * wn[_UBP1, i]


@step(fastmath=_FAST, error_model="numpy")
def _outputs(tau, wn, wm, status, cur, g, lam, act_out, res_out):
    """Activations, reserves and multipliers of slot ``cur`` into the outputs
    (no activation and every reserve = tau for invalid input or a failure
    without a finite point)."""
    m = tau.shape[0]
    n = act_out.shape[0]
    if status == INVALID_INPUT or (status == NUMERICAL_FAILURE and not math.isfinite(g)):
        for i in range(n):
            act_out[i] = 0.0
        for j in range(m):
            res_out[j] = tau[j]
    else:
        for i in range(n):
            act_out[i] = wn[_A + cur, i]
        for j in range(m):
            res_out[j] = wm[_R + cur, j]
    for j in range(m):
        lam[j] = 0.0 if status == INVALID_INPUT else wm[_LAM + cur, j]


@step(fastmath=_FAST, error_model="numpy")
def _solve(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter,
           lam, warm, act_out, res_out, wn, wm, HL, Gc, idx, g_stop):
    """:func:`solve_one_warm` with caller-provided work arrays (see :func:`_new_work`).

    ``g_stop``: finite exponents stop early, with status ``STOPPED_ABOVE``,
    once the optimum is known to be above it (a caller that only needs to
    know that); +inf never stops.

    ``wn``, ``wm``, ``HL``, ``Gc``, ``idx``: the arrays :func:`_new_work`
    returns, in that order.
    """
    m = M.shape[0]
    valid = _inputs_valid(M, tau, weights, upper, exponent, reserve_weight)
    status = INVALID_INPUT
    it = 0
    cur = 0
    g = 0.0
    if valid:
        finite, base_noise, mcm = _scan(M, tau, upper, wn, wm)
        if finite and math.isinf(exponent):
            status, it, cur, g = _minmax(M, tau, weights, upper, wn, wm, HL, Gc, idx, tol,
                                              max_iter, reserve_weight, base_noise, mcm)
        elif finite:
            _pnorm_rows(wn, weights, upper, exponent)
            warm_ok = warm
            if warm:
                for j in range(m):
                    if not math.isfinite(lam[j]):
                        warm_ok = False
                    wm[_LAM, j] = lam[j]
            status, it, cur, g = _newton(M, tau, wn, wm, HL, Gc, idx, exponent, tol,
                                              max_iter, 0.5 / reserve_weight, base_noise, mcm,
                                              warm_ok, g_stop)
    _outputs(tau, wn, wm, status, cur, g, lam, act_out, res_out)
    return status, it


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def solve_one_warm(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter,
                   lam, warm, act_out, res_out):
    """Solve one problem; ``lam`` (m,) [1/(N m)] is the start if ``warm`` and the result.

    Same as :func:`solve_one`, plus the multipliers: on entry ``lam`` is the
    initial guess when ``warm`` is True (ignored otherwise); on exit it holds
    the final multipliers (``reserve = lam / (2 rho)`` at convergence).
    """
    m, n = M.shape
    work_n, work_m, work_mm, work_g, idx = _new_work(m, n)
    return _solve(M, tau, weights, upper, float(exponent), float(reserve_weight), float(tol),
                  np.int64(max_iter), lam, np.bool_(warm), act_out, res_out,
                  work_n, work_m, work_mm, work_g, idx, math.inf)


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def solve_one(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter, act_out, res_out):
    """Solve one static-optimization problem (cold start); callable from ``@njit`` code.

    Parameters
    ----------
    M : ndarray, shape (m, n), float64
        Moment of each muscle at full activation [N m per unit activation].
    tau : ndarray, shape (m,), float64
        Moments to produce [N m].
    weights : ndarray, shape (n,), float64
        Positive weights ``w_i`` of the criterion [-].
    upper : ndarray, shape (n,), float64
        Upper bounds of activation ``ub_i >= 0`` [-].
    exponent : float
        ``p >= 2`` [-]; ``inf``: the min-max criterion (see :func:`_minmax`).
    reserve_weight : float
        ``rho > 0`` [1/(N m)^2].
    tol : float
        Convergence when ``max|tau - M a - lam/(2 rho)| <= tol (1 + max|tau|)``.
    max_iter : int
        Maximum number of Newton iterations.
    act_out : ndarray, shape (n,)
        Output: activations [-].
    res_out : ndarray, shape (m,)
        Output: reserve moments ``tau - M a`` [N m] (exact equilibrium).

    Returns
    -------
    status : int
        ``CONVERGED`` (0), ``MAX_ITERATIONS`` (1), ``LINE_SEARCH_FAILED`` (2),
        ``NUMERICAL_FAILURE`` (3) or ``INVALID_INPUT`` (4).
    iterations : int
        Newton iterations done.
    """
    m, n = M.shape
    work_n, work_m, work_mm, work_g, idx = _new_work(m, n)
    lam = work_m[_LAM_ONE]
    return _solve(M, tau, weights, upper, float(exponent), float(reserve_weight), float(tol),
                  np.int64(max_iter), lam, np.bool_(False), act_out, res_out,
                  work_n, work_m, work_mm, work_g, idx, math.inf)


_CHUNK = 32


@njit(cache=True, fastmath=_FAST, parallel=True, error_model="numpy")
def solve_batch(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter,
                lam, warm, act_out, res_out, status_out, iter_out):
    """Solve a batch in parallel; each item is independent (bitwise deterministic).

    ``M`` (Bm, m, n), ``tau`` (Bt, m), ``weights`` and ``upper`` (Bw, n),
    (Bu, n), where each leading size is either 1 (shared by the batch) or B.
    ``lam`` (B, m) holds warm starts if ``warm`` and receives the multipliers;
    ``act_out`` (B, n), ``res_out`` (B, m), ``status_out`` and ``iter_out`` (B,).
    """
    B = act_out.shape[0]
    m, n = M.shape[1], M.shape[2]
    # Work arrays allocated once per chunk of items, not per solve; every
    # solve initialises what it reads, so results do not depend on the
    # chunking. Each item is copied into arrays of the chunk, not passed as
    # views: a view shares the reference count of the whole batch array, which
    # both threads would then update atomically on the same cache line.
    n_chunks = (B + _CHUNK - 1) // _CHUNK
    for c in prange(n_chunks):
        work_n, work_m, work_mm, work_g, idx = _new_work(m, n)
        Mb = np.empty((m, n))
        taub = np.empty(m)
        wb = np.empty(n)
        ub = np.empty(n)
        lamb = np.empty(m)
        actb = np.empty(n)
        resb = np.empty(m)
        for b in range(c * _CHUNK, min(B, (c + 1) * _CHUNK)):
            bm = b % M.shape[0]  # leading size 1 or B
            bt = b % tau.shape[0]  # leading size 1 or B
            bw = b % weights.shape[0]  # leading size 1 or B
            bu = b % upper.shape[0]  # leading size 1 or B
            for j in range(m):
                for i in range(n):
                    Mb[j, i] = M[bm, j, i]
                taub[j] = tau[bt, j]
                lamb[j] = lam[b, j]
            for i in range(n):
                wb[i] = weights[bw, i]
                ub[i] = upper[bu, i]
            st, it = _solve(Mb, taub, wb, ub, float(exponent), float(reserve_weight), float(tol),
                            np.int64(max_iter), lamb, np.bool_(warm), actb, resb,
                            work_n, work_m, work_mm, work_g, idx, math.inf)
            for j in range(m):
                lam[b, j] = lamb[j]
                res_out[b, j] = resb[j]
            for i in range(n):
                act_out[b, i] = actb[i]
            status_out[b] = st
            iter_out[b] = it


@step(fastmath=_FAST, error_model="numpy")
def objective_one(act, res, weights, exponent, reserve_weight):
    """Criterion value ``sum_i w_i act_i**p + rho sum_j res_j**2`` [-] of one item
    (``exponent = inf``, min-max: ``max_i w_i act_i + rho sum_j res_j**2``)."""
    acc = 0.0
    if math.isinf(exponent):
        for i in range(act.shape[0]):
            acc = max(acc, weights[i] * act[i])
    elif exponent == 2.0:
        for i in range(act.shape[0]):
            acc += weights[i] * (act[i] * act[i])
    else:
        for i in range(act.shape[0]):
            acc += weights[i] * act[i] ** exponent
    r2 = 0.0
    for j in range(res.shape[0]):
        r2 += res[j] * res[j]
    return acc + reserve_weight * r2


@njit(cache=True, fastmath=_FAST, parallel=True, error_model="numpy")
def objective_batch(act, res, weights, exponent, reserve_weight, feasibility_tol, objective, feasible):
    """:func:`objective_one` of each item, and ``feasible[b] = all |res_bj| <=
    feasibility_tol``.

    ``act`` (B, n), ``res`` (B, m), ``weights`` (1 or B, n), ``objective`` and
    ``feasible`` (B,).
    """
    for b in prange(act.shape[0]):
        objective[b] = objective_one(act[b], res[b], weights[b % weights.shape[0]], exponent,
                                     reserve_weight)
        ok = True
        for j in range(res.shape[1]):
            ok = ok and abs(res[b, j]) <= feasibility_tol
        feasible[b] = ok
