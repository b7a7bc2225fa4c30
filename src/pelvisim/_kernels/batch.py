"""Batches of evaluations, with or without optimal compensation (Numba).

Optimal compensation: a bounded Nelder-Mead search over the task's one or two
compensation angles minimising ``objective(x) + sum_k w_k (x_k / scale)^2``,
where ``objective`` is the static-optimization cost at posture x (sum of
w_i a_i^p plus the reserve penalty; passive tissues in the equilibrium), the
recruitment being solved inside every cost evaluation, and ``w_k`` the
posture-cost weight of angle k (tissue model: the trunk-orientation weight on
the trunk lean, 0 elsewhere; penalty model: the same weight on every angle).
Deterministic multi-start: the cost on a coarse grid over the bounds (``GRID``
points per angle) picks the start, then Nelder-Mead refines it; the landscape
can have more than one minimum (e.g. a lean to either side), and a grid start
finds the deepest basin where a start at the task's posture may not.
"""
import numpy as np
from numba import njit, prange

from .pipeline import evaluate

# compensation modes
NONE, OPTIMAL, PRESCRIBED = 0, 1, 2
GRID = 5  # start-grid points per compensation angle


@njit(cache=True)
def _cost(model, task, strength, x, nvar, lo, hi, scale, weight, q, act, force, reserve, tau,
          itb, hip, l5s1, tol, max_iter):
    penalty = 0.0
    for k in range(nvar):
        if x[k] < lo[k] or x[k] > hi[k]:
            return 1e30
        penalty += weight[k] * (x[k] / scale) ** 2
    obj = evaluate(model, task, strength, x, q, act, force, reserve, tau, itb, hip, l5s1, tol,
                   max_iter)[2]
    return obj + penalty


@njit(cache=True)
def optimize_compensation(model, task, strength, nvar, lo, hi, scale, weight, tol, max_iter,
                          xtol, max_eval, x_out):
    """Bounded Nelder-Mead; writes the best angles into x_out, returns evaluations."""
    n = model.fmax.shape[0]
    m = 11
    q = np.zeros(13); act = np.zeros(n); force = np.zeros(n); reserve = np.zeros(m)
    tau = np.zeros(m); itb = np.zeros(2); hip = np.zeros((2, 2, 3)); l5s1 = np.zeros(3)
    npt = nvar + 1
    simplex = np.zeros((npt, 2))
    fval = np.zeros(npt)
    # start: the best point of a coarse grid over the bounds (the task's own
    # posture, x = 0, included)
    start = np.zeros(2)
    best = _cost(model, task, strength, start, nvar, lo, hi, scale, weight, q, act, force,
                 reserve, tau, itb, hip, l5s1, tol, max_iter)
    evals = 1
    xg = np.zeros(2)
    n2 = GRID if nvar > 1 else 1
    for g0 in range(GRID):
        for g1 in range(n2):
            # the grid includes the bounds: a compensation that needs all of
            # its range is found even where the landscape is flat (infeasible
            # tasks, reserves dominating)
            xg[0] = lo[0] + (hi[0] - lo[0]) * g0 / (GRID - 1)
            xg[1] = lo[1] + (hi[1] - lo[1]) * g1 / (GRID - 1) if nvar > 1 else 0.0
            f = _cost(model, task, strength, xg, nvar, lo, hi, scale, weight, q, act, force,
                      reserve, tau, itb, hip, l5s1, tol, max_iter)
            evals += 1
            if f < best:
                best = f
                start[:] = xg
    step = 0.5 * scale
    for p in range(npt):
        simplex[p] = start
        if p > 0:
            k = p - 1
            simplex[p, k] += step if start[k] + step < hi[k] else -step
    for p in range(npt):
        fval[p] = _cost(model, task, strength, simplex[p], nvar, lo, hi, scale, weight, q, act,
                        force, reserve, tau, itb, hip, l5s1, tol, max_iter)
    evals += npt
    centroid = np.zeros(2); xr = np.zeros(2); xe = np.zeros(2); xc = np.zeros(2)
    while evals < max_eval:
        order = np.argsort(fval)
        simplex = simplex[order].copy()
        fval = fval[order].copy()
        size = 0.0
        for p in range(1, npt):
            for k in range(nvar):
                size = max(size, abs(simplex[p, k] - simplex[0, k]))
        if size < xtol:
            break
        centroid[:] = 0.0
        for p in range(npt - 1):
            centroid += simplex[p]
        centroid /= npt - 1
        xr[:] = centroid + (centroid - simplex[-1])
        fr = _cost(model, task, strength, xr, nvar, lo, hi, scale, weight, q, act, force,
                   reserve, tau, itb, hip, l5s1, tol, max_iter)
        evals += 1
        if fr < fval[0]:
            xe[:] = centroid + 2.0 * (centroid - simplex[-1])
            fe = _cost(model, task, strength, xe, nvar, lo, hi, scale, weight, q, act, force,
                       reserve, tau, itb, hip, l5s1, tol, max_iter)
            evals += 1
            if fe < fr:
                simplex[-1] = xe
                fval[-1] = fe
            else:
                simplex[-1] = xr
                fval[-1] = fr
        elif fr < fval[npt - 2]:
            simplex[-1] = xr
            fval[-1] = fr
        else:
            if fr < fval[-1]:
                xc[:] = centroid + 0.5 * (xr - centroid)
            else:
                xc[:] = centroid + 0.5 * (simplex[-1] - centroid)
            fc = _cost(model, task, strength, xc, nvar, lo, hi, scale, weight, q, act, force,
                       reserve, tau, itb, hip, l5s1, tol, max_iter)
            evals += 1
            if fc < min(fr, fval[-1]):
                simplex[-1] = xc
                fval[-1] = fc
            else:
                for p in range(1, npt):
                    simplex[p] = simplex[0] + 0.5 * (simplex[p] - simplex[0])
                    fval[p] = _cost(model, task, strength, simplex[p], nvar, lo, hi, scale,
                                    weight, q, act, force, reserve, tau, itb, hip, l5s1, tol,
                                    max_iter)
                    evals += 1
    best = np.argmin(fval)
    x_out[:] = simplex[best]
    return evals


@njit(cache=True)
def _run_one(model, task, strength, x0, mode, nvar, lo, hi, scale, weight, tol, max_iter,
             xtol, max_eval, x, q, act, force, reserve, tau, itb, hip, l5s1):
    if mode == OPTIMAL:
        evals = optimize_compensation(model, task, strength, nvar, lo, hi, scale, weight, tol,
                                      max_iter, xtol, max_eval, x)
    else:
        x[:] = x0
        evals = 0
    st, it, ob, pair, _ = evaluate(model, task, strength, x, q, act, force, reserve, tau, itb,
                                   hip, l5s1, tol, max_iter)
    return st, it, ob, evals, pair


@njit(parallel=True, cache=True)
def run_batch(model, task, strength, x0, mode, nvar, lo, hi, scale, weight, tol, max_iter,
              xtol, max_eval, x, q, act, force, reserve, tau, itb, hip, l5s1, pair, status,
              iters, objective, evals):
    """Evaluate B points (strength[b], compensation x0[b] when prescribed);
    ``pair`` (B,) [N]: the ground's mediolateral foot-force pair (double stance)."""
    B = strength.shape[0]
    for b in prange(B):
        st, it, ob, ne, pair[b] = _run_one(model, task, strength[b], x0[b], mode, nvar, lo,
                                           hi, scale, weight, tol, max_iter, xtol, max_eval,
                                           x[b], q[b], act[b], force[b], reserve[b], tau[b],
                                           itb[b], hip[b], l5s1[b])
        status[b] = st
        iters[b] = it
        objective[b] = ob
        evals[b] = ne
