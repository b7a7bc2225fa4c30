"""Optimal compensation (Numba): the posture angles that minimise the
recruitment's effort plus a posture cost.

The cost of compensation ``x`` [rad] (one or two angles of the task, see
:func:`.posture.apply_compensation`) is ``J(x) + sum_k w_k (x_k / scale)^2``:
``J`` the static-optimization objective at that posture (sum of w_i a_i^p plus
the reserve penalty; passive tissues in the equilibrium), solved inside every
evaluation, and ``w_k`` the posture-cost weight of angle k (tissue model: the
frontal-orientation weight on trunk lean and pelvic list, 0 elsewhere;
penalty model: the same weight on every angle). It is minimised by the
grid-started projected BFGS of :mod:`.gradient_search` within the compensation
bounds: the landscape can have more than one minimum (a lean to either side),
and a grid start finds the deepest basin where a start at the task's posture
may not. ``J`` is differentiable in ``x`` (the value of a strictly convex
problem whose data are smooth in the posture), so a gradient search
converges in about half the evaluations of the Nelder-Mead it replaced
(single-leg stance: 69 -> 39 per point, 1.8 -> 0.71 ms; costs the same to
within 1e-6 relative, angles within 1.1e-4 rad). The recruitment starts cold
at the grid points and from the last solve's multipliers at the search's
other points (:func:`.gradient_search.near_last`: difference points 1e-6 rad
apart, trial steps that shrink as the search converges; 32 single-leg-stance
points, interleaved runs: 0.43-0.56 -> 0.35-0.42 ms per point, walking at 20 %
0.22-0.25 -> 0.18-0.20 ms; results move by < 3e-9 rad). With Nelder-Mead,
whose successive points are far apart, warm starts were slower (walking:
3.28 against 2.15 ms per search). Every start depends only on the point's
own search, so results do not depend on how a batch is cut.

A point whose cost is known to reach the value from which on the search takes
every value alike (:func:`.gradient_search.cutoff`: the best grid value so
far; Armijo's bound along a direction) needs no exact cost. The effort is
>= 0, so where the posture cost alone reaches it the recruitment is not
solved (single-leg stance, 32 points from strength 1 to 0.1: 16.7 of the 26
grid points per point; 0.71 -> 0.55 ms per point, bitwise the same results);
otherwise the recruitment stops once its dual value, a lower bound of the
effort, does (Newton iterations per point 87 -> 45; walking at 20 %:
39 -> 23; angles move by < 1.4e-9 rad, through the warm starts).
"""
import numpy as np
from numba import njit

from .gradient_search import ask, cutoff, grid_slot, near_last, new_search, result, tell
from .jit import step
from .pipeline import posture_steps
from .._recruitment_kernel import STOPPED_ABOVE
from .recruit import recruit

GRID = 5  # start-grid points per compensation angle


@njit(cache=True, inline="always")
def _copy1(dst, src):
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@njit(cache=True, inline="always")
def _copy2(dst, src):
    for j in range(dst.shape[0]):
        for i in range(dst.shape[1]):
            dst[j, i] = src[j, i]


@step
def _store_posture(ws, k):
    """Keep the placed posture's recruitment inputs in grid slot k (scalar
    loops: array assignments cost compile time)."""
    _copy2(ws.grid_arm[k], ws.arm)
    _copy2(ws.grid_itb_arm[k], ws.itb_arm)
    _copy1(ws.grid_cap[k], ws.cap)
    _copy1(ws.grid_fp[k], ws.fp)
    _copy1(ws.grid_itb_passive[k], ws.itb_passive)
    _copy1(ws.grid_tissue[k], ws.tissue)
    _copy1(ws.grid_tau[k], ws.tau_load)
    _copy1(ws.grid_g[k], ws.g)
    ws.grid_limit[k] = ws.limit[0]
    ws.grid_ready[k] = True


@step
def _load_posture(ws, k):
    """The recruitment inputs kept in grid slot k back into the workspace."""
    _copy2(ws.arm, ws.grid_arm[k])
    _copy2(ws.itb_arm, ws.grid_itb_arm[k])
    _copy1(ws.cap, ws.grid_cap[k])
    _copy1(ws.fp, ws.grid_fp[k])
    _copy1(ws.itb_passive, ws.grid_itb_passive[k])
    _copy1(ws.tissue, ws.grid_tissue[k])
    _copy1(ws.tau_load, ws.grid_tau[k])
    _copy1(ws.g, ws.grid_g[k])
    ws.limit[0] = ws.grid_limit[k]


@step
def compensation_cost(model, task, strength, x, nvar, scale, weight, tol, max_iter, ws, slot,
                      enough, warm):
    """Cost [-] of compensation ``x`` [rad] (see the module docstring), or a
    value >= ``enough`` when the cost is known to be at least that (the
    search takes every value from ``enough`` on alike:
    :func:`.gradient_search.cutoff`): without a solve when the posture cost
    alone reaches it (the effort is >= 0), or as soon as the recruitment's
    dual value (a lower bound of the effort) does.

    ``slot`` >= 0: ``x`` is that point of the start grid, whose posture steps
    are kept in the workspace the first time and reused after (they do not
    depend on the strength, so every point of a block shares them).
    ``warm``: the recruitment starts from the multipliers of the workspace's
    last solve (``x`` a difference step from it)."""
    penalty = 0.0
    for k in range(nvar):
        penalty += weight[k] * (x[k] / scale) ** 2
    if penalty >= enough:
        return penalty
    if slot >= 0 and ws.grid_ready[slot]:
        _load_posture(ws, slot)
    else:
        posture_steps(model, task, x, ws)
        if slot >= 0:
            _store_posture(ws, slot)
    status, _, obj, _ = recruit(model, task, strength, np.nan, tol, max_iter, np.bool_(warm), ws,
                                enough - penalty)
    return enough if status == STOPPED_ABOVE else obj + penalty


@step
def optimal_compensation(model, task, strength, nvar, lo, hi, scale, weight, tol, max_iter,
                         xtol, max_eval, ws, x_out):
    """Search the compensation; the best angles [rad] into ``x_out`` (2,).

    Returns (cost, success, evaluations), as QuantEcon's optimizers do:
    success is False when ``max_eval`` ran out before a step shorter than
    ``xtol`` [rad]. The workspace's grid slots must belong to this model,
    task and bounds (a fresh workspace per batch).
    """
    state = new_search(nvar, lo, hi, 0.5 * scale, xtol, max_eval, GRID)
    while ask(state, x_out):
        f = compensation_cost(model, task, strength, x_out, nvar, scale, weight, tol, max_iter,
                              ws, grid_slot(state), cutoff(state), near_last(state))
        tell(state, f)
    return result(state, x_out)
