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
Jacobian ``M D M.T + I/(2 rho)``, ``D = da/ds`` on the free muscles, Cholesky
factorisation) with Armijo backtracking on ``g``.

The kernels never raise: they return one of the status codes below and always
leave finite numbers in the outputs when the inputs are finite.
"""

import math

import numpy as np
from numba import njit, prange

CONVERGED = 0
MAX_ITERATIONS = 1
LINE_SEARCH_FAILED = 2
NUMERICAL_FAILURE = 3
INVALID_INPUT = 4

# Reassociation lets LLVM vectorise the sums (else latency bound); no NaN/Inf
# assumptions, so the finiteness checks stay valid.
_FAST = {"reassoc", "contract"}
_ARMIJO = 1e-4
_MAX_BACKTRACK = 60
# Relative round-off level of the dual value: below it, Armijo on ``g`` cannot
# see progress and the residual norm decides instead.
_DUAL_NOISE = 1e-13
# Multiple of the unit round-off in the bound on the round-off error of F.
_ROUNDOFF = 8 * 2.220446049250313e-16


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _evaluate(M, tau, inv_pw, wubp, upper, ubp1, p, q, inv2rho, lam, s, a, r, F):
    """Fill ``s = M.T lam``, ``a(lam)``, ``r = tau - M a`` and ``F(lam) = r - lam/(2 rho)``.

    Returns (g, |g| scale, ||F||_2^2). Loops run over the muscle index
    innermost (contiguous rows of ``M``) so that they vectorise.
    """
    m, n = M.shape
    for i in range(n):
        s[i] = 0.0
    for j in range(m):
        lj = lam[j]
        if lj != 0.0:
            for i in range(n):
                s[i] += M[j, i] * lj
    psi = 0.0
    if q == 1.0:
        # p = 2: a = clip(s / (2 w), 0, ub) without branches (selects vectorise).
        for i in range(n):
            si = s[i]
            x = si * inv_pw[i]
            up = x >= ubp1[i]
            ai = upper[i] if up else (x if x > 0.0 else 0.0)
            a[i] = ai
            psi += (si * upper[i] - wubp[i]) if up else 0.5 * si * ai
    else:
        free_pow = False
        for i in range(n):
            si = s[i]
            if si <= 0.0:
                a[i] = 0.0
                continue
            x = si * inv_pw[i]  # = a**(p-1) on the free set
            if x >= ubp1[i]:
                a[i] = upper[i]
                psi += si * upper[i] - wubp[i]
            else:
                a[i] = x
                free_pow = True
        # a = x**q on the free set, in loops of their own (pow only where needed).
        if q == 0.5 and free_pow:
            for i in range(n):
                if s[i] > 0.0 and s[i] * inv_pw[i] < ubp1[i]:
                    a[i] = math.sqrt(a[i])
        elif free_pow:
            for i in range(n):
                if s[i] > 0.0 and s[i] * inv_pw[i] < ubp1[i]:
                    a[i] = a[i] ** q
        c = 1.0 - 1.0 / p
        for i in range(n):
            if s[i] > 0.0 and s[i] * inv_pw[i] < ubp1[i]:
                psi += s[i] * a[i] * c
    lt = 0.0
    ll = 0.0
    f2 = 0.0
    for j in range(m):
        acc = 0.0
        for i in range(n):
            acc += M[j, i] * a[i]
        rj = tau[j] - acc
        r[j] = rj
        fj = rj - lam[j] * inv2rho
        F[j] = fj
        f2 += fj * fj
        lt += lam[j] * tau[j]
        ll += lam[j] * lam[j]
    g = lt - 0.5 * inv2rho * ll - psi
    return g, abs(lt) + 0.5 * inv2rho * ll + psi, f2


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _cholesky_solve(H, L, rd, b, x):
    """Solve ``H x = b`` (lower triangle of ``H`` read, factor in ``L``); False if not SPD."""
    m = H.shape[0]
    for j in range(m):
        d = H[j, j]
        for k in range(j):
            d -= L[j, k] * L[j, k]
        if not d > 0.0:
            return False
        rj = 1.0 / math.sqrt(d)
        rd[j] = rj
        for i in range(j + 1, m):
            acc = H[i, j]
            for k in range(j):
                acc -= L[i, k] * L[j, k]
            L[i, j] = acc * rj
    for i in range(m):
        acc = b[i]
        for k in range(i):
            acc -= L[i, k] * x[k]
        x[i] = acc * rd[i]
    for i in range(m - 1, -1, -1):
        acc = x[i]
        for k in range(i + 1, m):
            acc -= L[k, i] * x[k]
        x[i] = acc * rd[i]
    return True


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _gram(M, idx, nidx, coef, G, Gc, inv2rho, reset, H):
    """Lower triangle of ``H (+)= sum_c coef_i M[:, i] M[:, i].T`` over ``i = idx[:nidx]``.

    ``reset``: ``H = I/(2 rho) + ...`` (full build) instead of ``H += ...``
    (change of the active set). ``coef`` must be 0 off ``idx[:nidx]``. A few
    columns go as rank-1 updates; more as m(m+1)/2 dot products over
    contiguous rows of ``Gc = M diag(coef)`` and ``M``.
    """
    m = M.shape[0]
    if nidx <= _RANK1_MAX:
        if reset:
            for j in range(m):
                for k in range(j + 1):
                    H[j, k] = 0.0
                H[j, j] = inv2rho
        for c in range(nidx):
            i = idx[c]
            ci = coef[i]
            for j in range(m):
                cj = ci * M[j, i]
                for k in range(j + 1):
                    H[j, k] += cj * M[k, i]
        return
    # More columns: rows of M scaled by coef (0 off the set), no gather
    # (strided stores cost more than the extra zero terms of the dot products).
    n = M.shape[1]
    for j in range(m):
        for i in range(n):
            Gc[j, i] = M[j, i] * coef[i]
    for j in range(m):
        for k in range(j + 1):
            acc = 0.0
            for i in range(n):
                acc += Gc[j, i] * M[k, i]
            if reset:
                H[j, k] = acc
            else:
                H[j, k] += acc
        if reset:
            H[j, j] += inv2rho


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _inputs_valid(M, tau, weights, upper, exponent, reserve_weight):
    """Everything but the finiteness of ``M`` (checked in the first pass over it)."""
    if not (exponent >= 2.0 and math.isfinite(exponent)):
        return False
    if not (reserve_weight > 0.0 and math.isfinite(reserve_weight)):
        return False
    m, n = M.shape
    if tau.shape[0] != m or weights.shape[0] != n or upper.shape[0] != n:
        return False
    # x * 0 is NaN exactly for non-finite x: one vectorisable pass.
    z = 0.0
    for j in range(m):
        z += tau[j] * 0.0
    if z != 0.0:
        return False
    bad = 0
    for i in range(n):
        wi = weights[i]
        ui = upper[i]
        bad += (not wi > 0.0) + (wi * 0.0 != 0.0) + (not ui >= 0.0) + (ui * 0.0 != 0.0)
    return bad == 0


_N_WORK_N = 12
_N_WORK_M = 12
# At most this many columns go into H as rank-1 updates (no gather).
_RANK1_MAX = 4


@njit(cache=True, error_model="numpy")
def _new_work(m, n):
    """Work arrays of one solve (reusable across solves of the same (m, n))."""
    nn = _N_WORK_N * n
    nm = _N_WORK_M * m
    buf = np.empty(nn + nm + 2 * m * m + 2 * m * n)
    return (buf[:nn].reshape((_N_WORK_N, n)), buf[nn:nn + nm].reshape((_N_WORK_M, m)),
            buf[nn + nm:nn + nm + 2 * m * m].reshape((2, m, m)),
            buf[nn + nm + 2 * m * m:].reshape((2, m, n)), np.empty(n, np.int64))


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _solve(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter,
           lam, warm, act_out, res_out, work_n, work_m, work_mm, work_g, idx):
    """:func:`solve_one_warm` with caller-provided work arrays (see :func:`_new_work`)."""
    m, n = M.shape
    valid = _inputs_valid(M, tau, weights, upper, exponent, reserve_weight)
    base_noise = 0.0
    mcm = 0.0
    if valid:
        # Round-off bounds of F: rowabs_j = sum_i |M_ji| ub_i, and
        # mcm >= max_j sum_i |M_ji| sum_k |M_ki| (bounds |M| diag(D) |M|.T |lam|),
        # in the same single pass over M as its finiteness check.
        colabs = work_n[9]
        rowabs = work_m[8]
        for i in range(n):
            colabs[i] = 0.0
        z = 0.0
        rowsum = 0.0
        for j in range(m):
            acc = 0.0
            acc1 = 0.0
            for i in range(n):
                x = M[j, i]
                z += x * 0.0
                ax = abs(x)
                colabs[i] += ax
                acc += ax * upper[i]
                acc1 += ax
            rowabs[j] = acc
            base_noise = max(base_noise, abs(tau[j]) + acc)
            rowsum = max(rowsum, acc1)
        cmax = 0.0
        for i in range(n):
            cmax = max(cmax, colabs[i])
        mcm = rowsum * cmax
        valid = z == 0.0
    if not valid:
        for i in range(n):
            act_out[i] = 0.0
        for j in range(m):
            res_out[j] = tau[j]
            lam[j] = 0.0
        return INVALID_INPUT, 0
    p = exponent
    q = 1.0 / (p - 1.0)
    inv2rho = 0.5 / reserve_weight
    tau_scale = 0.0
    for j in range(m):
        tau_scale = max(tau_scale, abs(tau[j]))
    thresh = tol * (1.0 + tau_scale)

    inv_pw, ubp1, wubp, s, a, s_t, a_t, d, d_new, colabs, dd = (
        work_n[0], work_n[1], work_n[2], work_n[3], work_n[4], work_n[5], work_n[6], work_n[7],
        work_n[8], work_n[9], work_n[10])
    F, F_t, r, r_t, lam_c, lam_t, dlam, rd, rowabs = (
        work_m[0], work_m[1], work_m[2], work_m[3], work_m[4], work_m[5], work_m[6], work_m[7],
        work_m[8])
    H = work_mm[0]
    L = work_mm[1]
    G = work_g[0]
    Gc = work_g[1]
    # Separate loops: a select would let LLVM evaluate pow speculatively.
    if p == 2.0:
        for i in range(n):
            ubp1[i] = upper[i]
    else:
        for i in range(n):
            ubp1[i] = upper[i] ** (p - 1.0)
    for i in range(n):
        inv_pw[i] = 1.0 / (p * weights[i])
        wubp[i] = weights[i] * upper[i] * ubp1[i]

    warm_ok = warm
    if warm:
        for j in range(m):
            if not math.isfinite(lam[j]):
                warm_ok = False
    # d holds the da/ds of each muscle currently summed into H (0: not in H);
    # H is kept up to date by low-rank changes when few muscles change.
    for i in range(n):
        d[i] = 0.0
    if warm_ok:
        for j in range(m):
            lam_c[j] = lam[j]
    else:
        # Cold start: every muscle free with a = s / (p w), the exact optimum
        # for p = 2 when no bound binds (least-norm unconstrained solution).
        nf = 0
        for i in range(n):
            if upper[i] > 0.0:
                d[i] = inv_pw[i]
                idx[nf] = i
                nf += 1
        _gram(M, idx, nf, d, G, Gc, inv2rho, True, H)
        if not _cholesky_solve(H, L, rd, tau, lam_c):
            for j in range(m):
                lam_c[j] = 0.0
    n_updates = 0

    g, gscale, f2 = _evaluate(M, tau, inv_pw, wubp, upper, ubp1, p, q, inv2rho, lam_c, s, a, r, F)
    it = 0
    status = MAX_ITERATIONS
    while True:
        fnorm = 0.0
        for j in range(m):
            fnorm = max(fnorm, abs(F[j]))
        if not (math.isfinite(g) and math.isfinite(fnorm)):
            status = NUMERICAL_FAILURE
            break
        if fnorm <= thresh:
            status = CONVERGED
            break
        # Generalised Jacobian: D_i = da_i/ds_i on the free muscles, and the
        # round-off level of F, which exceeds tol when |lam| is huge
        # (infeasible tasks: s = M.T lam then suffers cancellation).
        n_changed = 0
        n_free = 0
        dmax = 0.0
        if q == 1.0:
            for i in range(n):
                di = inv_pw[i] if (a[i] > 0.0 and a[i] < upper[i]) else 0.0
                d_new[i] = di
                n_free += di != 0.0
                n_changed += di != d[i]
                dmax = max(dmax, di)
        else:
            for i in range(n):
                di = 0.0
                if a[i] > 0.0 and a[i] < upper[i]:
                    di = q * a[i] / s[i]
                    n_free += 1
                    dmax = max(dmax, di)
                d_new[i] = di
                if di != d[i]:
                    n_changed += 1
        lmax = 0.0
        for j in range(m):
            lmax = max(lmax, abs(lam_c[j]))
        # Cheap upper bound first; the sharper bound only when it could matter.
        if fnorm <= thresh + _ROUNDOFF * (base_noise + lmax * (inv2rho + dmax * mcm)):
            # noise_j = |tau_j| + rowabs_j + |lam_j|/(2 rho) + sum_i |M_ji| D_i sum_k |M_ki lam_k|
            for i in range(n):
                dd[i] = 0.0
            for j in range(m):
                lj = abs(lam_c[j])
                for i in range(n):
                    dd[i] += abs(M[j, i]) * lj
            for i in range(n):
                dd[i] *= d_new[i]
            fnoise = 0.0
            for j in range(m):
                acc = 0.0
                for i in range(n):
                    acc += abs(M[j, i]) * dd[i]
                fnoise = max(fnoise, abs(tau[j]) + rowabs[j] + abs(lam_c[j]) * inv2rho + acc)
            if fnorm <= thresh + _ROUNDOFF * fnoise:
                status = CONVERGED
                break
        if it >= max_iter:
            status = MAX_ITERATIONS
            break
        if n_changed >= n_free or n_updates + n_changed > n:
            nf = 0
            for i in range(n):
                d[i] = d_new[i]
                if d_new[i] != 0.0:
                    idx[nf] = i
                    nf += 1
            _gram(M, idx, nf, d, G, Gc, inv2rho, True, H)
            n_updates = 0
        elif n_changed > 0:
            nc = 0
            for i in range(n):
                dd[i] = 0.0
                if d_new[i] != d[i]:
                    dd[i] = d_new[i] - d[i]
                    d[i] = d_new[i]
                    idx[nc] = i
                    nc += 1
            _gram(M, idx, nc, dd, G, Gc, inv2rho, False, H)
            n_updates += n_changed
        if not _cholesky_solve(H, L, rd, F, dlam):
            if n_updates == 0:
                status = NUMERICAL_FAILURE
                break
            # Round-off of the low-rank changes: rebuild once and retry.
            nf = 0
            for i in range(n):
                if d[i] != 0.0:
                    idx[nf] = i
                    nf += 1
            _gram(M, idx, nf, d, G, Gc, inv2rho, True, H)
            n_updates = 0
            if not _cholesky_solve(H, L, rd, F, dlam):
                status = NUMERICAL_FAILURE
                break
        slope = 0.0
        for j in range(m):
            slope += F[j] * dlam[j]
        t = 1.0
        accepted = False
        g_t = g
        gscale_t = gscale
        f2_t = f2
        for _ in range(_MAX_BACKTRACK):
            for j in range(m):
                lam_t[j] = lam_c[j] + t * dlam[j]
            g_t, gscale_t, f2_t = _evaluate(M, tau, inv_pw, wubp, upper, ubp1, p, q, inv2rho,
                                            lam_t, s_t, a_t, r_t, F_t)
            if g_t >= g + _ARMIJO * t * slope:
                accepted = True
            elif abs(g_t - g) <= _DUAL_NOISE * gscale and f2_t < f2:
                accepted = True
            if accepted:
                break
            t *= 0.5
        moved = False
        for j in range(m):
            if lam_t[j] != lam_c[j]:
                moved = True
        if not (accepted and moved):
            status = LINE_SEARCH_FAILED
            break
        lam_c, lam_t = lam_t, lam_c
        s, s_t = s_t, s
        a, a_t = a_t, a
        r, r_t = r_t, r
        F, F_t = F_t, F
        g, gscale, f2 = g_t, gscale_t, f2_t
        it += 1

    if status == NUMERICAL_FAILURE and not math.isfinite(g):
        for i in range(n):
            act_out[i] = 0.0
        for j in range(m):
            res_out[j] = tau[j]
    else:
        for i in range(n):
            act_out[i] = a[i]
        for j in range(m):
            res_out[j] = r[j]
    for j in range(m):
        lam[j] = lam_c[j]
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
    return _solve(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter,
                  lam, warm, act_out, res_out, work_n, work_m, work_mm, work_g, idx)


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
        ``p >= 2`` [-].
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
    lam = work_m[_N_WORK_M - 1]
    return _solve(M, tau, weights, upper, exponent, reserve_weight, tol, max_iter,
                  lam, False, act_out, res_out, work_n, work_m, work_mm, work_g, idx)


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
    # solve initialises what it reads, so results do not depend on the chunking.
    n_chunks = (B + _CHUNK - 1) // _CHUNK
    for c in prange(n_chunks):
        work_n, work_m, work_mm, work_g, idx = _new_work(m, n)
        for b in range(c * _CHUNK, min(B, (c + 1) * _CHUNK)):
            bm = b % M.shape[0]  # leading size 1 or B
            bt = b % tau.shape[0]  # leading size 1 or B
            bw = b % weights.shape[0]  # leading size 1 or B
            bu = b % upper.shape[0]  # leading size 1 or B
            st, it = _solve(M[bm], tau[bt], weights[bw], upper[bu], exponent,
                            reserve_weight, tol, max_iter, lam[b], warm,
                            act_out[b], res_out[b], work_n, work_m, work_mm, work_g, idx)
            status_out[b] = st
            iter_out[b] = it
