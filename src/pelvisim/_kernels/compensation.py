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
may not. Successive evaluations of one search start the recruitment from the
previous evaluation's multipliers (nearby postures, nearby duals).
"""
import numpy as np
from numba import njit

from .pipeline import posture_steps
from .recruit import recruit
from .simplex_search import ask, new_search, result, tell

GRID = 5  # start-grid points per compensation angle


@njit(cache=True)
def compensation_cost(model, task, strength, x, nvar, scale, weight, tol, max_iter, warm, ws):
    """Cost [-] of compensation ``x`` [rad] (see the module docstring)."""
    penalty = 0.0
    for k in range(nvar):
        penalty += weight[k] * (x[k] / scale) ** 2
    posture_steps(model, task, x, ws)
    obj = recruit(model, task, strength, np.nan, tol, max_iter, warm, ws)[2]
    return obj + penalty


@njit(cache=True)
def optimal_compensation(model, task, strength, nvar, lo, hi, scale, weight, tol, max_iter,
                         xtol, max_eval, ws, x_out):
    """Search the compensation; the best angles [rad] into ``x_out`` (2,).

    Returns (cost, success, evaluations), as QuantEcon's optimizers do:
    success is False when ``max_eval`` ran out before the simplex shrank below
    ``xtol`` [rad].
    """
    state = new_search(nvar, lo, hi, 0.5 * scale, xtol, max_eval, GRID)
    warm = False
    while ask(state, x_out):
        f = compensation_cost(model, task, strength, x_out, nvar, scale, weight, tol, max_iter,
                              warm, ws)
        warm = True
        tell(state, f)
    return result(state, x_out)
