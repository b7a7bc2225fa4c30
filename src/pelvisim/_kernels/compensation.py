"""Optimal compensation (Numba): the posture angles that minimise the
recruitment's effort plus a posture cost.

The cost of compensation ``x`` [rad] (one or two angles of the task, see
:func:`.posture.apply_compensation`) is ``J(x) + sum_k w_k (x_k / scale)^2``:
``J`` the static-optimization objective at that posture (sum of w_i a_i^p plus
the reserve penalty; passive tissues in the equilibrium), solved inside every
evaluation, and ``w_k`` the posture-cost weight of angle k (tissue model: the
frontal-orientation weight on trunk lean and pelvic list, 0 elsewhere;
penalty model: the same weight on every angle). It is minimised by the
grid-started Nelder-Mead of :mod:`.simplex_search` within the compensation
bounds: the landscape can have more than one minimum (a lean to either side),
and a grid start finds the deepest basin where a start at the task's posture
may not. Every evaluation's recruitment starts cold: starting from the
previous evaluation's multipliers was slower (one search, walking at 20 % of
stance: 3.28 against 2.15 ms; single-leg stance 1.31 against 1.26 ms):
successive Nelder-Mead points are not close enough for a warm start to pay.
"""
import numpy as np
from numba import njit

from .jit import separate, step
from .pipeline import posture_steps
from .recruit import recruit
from .simplex_search import ask, grid_slot, new_search, result, tell

GRID = 5  # start-grid points per compensation angle

# compiled once, called by address (jit.separate): not compiled again into the search
_posture_steps = separate(posture_steps)
_recruit = separate(recruit)


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


@step(inline="always")
def compensation_cost(model, task, strength, x, nvar, scale, weight, tol, max_iter, ws, slot):
    """Cost [-] of compensation ``x`` [rad] (see the module docstring).

    ``slot`` >= 0: ``x`` is that point of the start grid, whose posture steps
    are kept in the workspace the first time and reused after (they do not
    depend on the strength, so every point of a block shares them)."""
    penalty = 0.0
    for k in range(nvar):
        penalty += weight[k] * (x[k] / scale) ** 2
    if slot >= 0 and ws.grid_ready[slot]:
        _load_posture(ws, slot)
    else:
        _posture_steps(model, task, x, ws)
        if slot >= 0:
            _store_posture(ws, slot)
    obj = _recruit(model, task, strength, np.nan, tol, max_iter, np.bool_(False), ws)[2]
    return obj + penalty


@step
def optimal_compensation(model, task, strength, nvar, lo, hi, scale, weight, tol, max_iter,
                         xtol, max_eval, ws, x_out):
    """Search the compensation; the best angles [rad] into ``x_out`` (2,).

    Returns (cost, success, evaluations), as QuantEcon's optimizers do:
    success is False when ``max_eval`` ran out before the simplex shrank below
    ``xtol`` [rad]. The workspace's grid slots must belong to this model,
    task and bounds (a fresh workspace per batch).
    """
    state = new_search(nvar, lo, hi, 0.5 * scale, xtol, max_eval, GRID)
    while ask(state, x_out):
        f = compensation_cost(model, task, strength, x_out, nvar, scale, weight, tol, max_iter,
                              ws, grid_slot(state))
        tell(state, f)
    return result(state, x_out)
