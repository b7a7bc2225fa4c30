"""Recruitment step (Numba): the static-optimization problem of one point,
assembled from the posture steps and a strength vector, and solved.

The problem (see :mod:`pelvisim._recruitment_kernel`): ``M a + r = rhs`` with
``M = R diag(fa)`` (moment arms x force at full activation) and ``rhs`` the
demanded moments less what is not recruited: the passive fibre and ITB forces,
the joint tissues' moments and the muscle tone (a fixed baseline activation;
the recruitment solves for the part above ``model.tone``, with upper bounds
``1 - tone``).

Compile time: a constant argument (``True``, ``0``) passed from one kernel to
another is typed as a literal, and the callee, with everything it calls, is
compiled again for it; flags going down to the recruitment kernel are passed
as ``np.bool_(...)``. In double stance the floor's mediolateral pair is either fixed
or chosen by the recruitment within friction (:mod:`.floor`).
"""
import numpy as np

from .jit import step
from .._recruitment_kernel import STOPPED_ABOVE, _solve, objective_one
from .capacity import active_capacity
from .floor import free_ground_pair, ground_pair_force
from .statics import DOUBLE


@step
def assemble(model, strength, ws):
    """Step: ``ws.fa``, ``ws.M`` (m, n) [N m per unit activation] and
    ``ws.rhs`` (m,) [N m] of one strength vector at the placed posture (the
    floor pair not yet applied)."""
    active_capacity(strength, ws.cap, ws.fa)
    n = ws.fa.shape[0]
    for j in range(ws.rhs.shape[0]):
        r = ws.tau_load[j] - ws.tissue[j]
        for i in range(n):
            r -= ws.arm[j, i] * (ws.fp[i] + model.tone[i] * ws.fa[i])
            ws.M[j, i] = ws.arm[j, i] * ws.fa[i]
        for side in range(2):
            r -= ws.itb_arm[j, side] * ws.itb_passive[side]
        ws.rhs[j] = r


@step
def _solve_ws(model, ws, tol, max_iter, warm, g_stop):
    return _solve(ws.M, ws.rhs, model.weights, model.upper, model.exponent,
                  model.reserve_weight, tol, max_iter, ws.lam, warm, ws.act, ws.res,
                  ws.wn, ws.wm, ws.HL, ws.Gc, ws.idx, g_stop)


@step
def _set_pair(ws, pair):
    """rhs = rhs0 + g pair, M = M0 (the system with the pair fixed)."""
    m, n = ws.M.shape
    for j in range(m):
        for i in range(n):
            ws.M[j, i] = ws.M0[j, i]
        ws.rhs[j] = ws.rhs0[j] + ws.g[j] * pair


@step
def recruit(model, task, strength, pair_fixed, tol, max_iter, warm, ws, g_stop):
    """Step: solve one point's recruitment into ``ws.act`` (recruited part,
    tone excluded) and ``ws.res`` [N m].

    ``pair_fixed`` [N]: the floor pair in double stance, NaN to let the
    recruitment choose it within friction (the effort as a function of the
    pair, muscles re-optimised, is convex, so a pair beyond friction is
    re-solved at the nearer limit). ``warm``: start from the multipliers in
    ``ws.lam`` (those of the previous solve of this workspace). ``g_stop``:
    stop (status ``STOPPED_ABOVE``) once the objective is known to be above
    it (finite exponents; +inf: never).
    Returns (status, iterations, objective, pair [N]).
    """
    assemble(model, strength, ws)
    double = task.support == DOUBLE
    fixed = not np.isnan(pair_fixed)
    pair = pair_fixed if fixed else 0.0
    if double:
        limit = ws.limit[0]
        if not fixed and limit <= 0.0:
            fixed = True
        if fixed:
            for j in range(ws.rhs.shape[0]):
                ws.rhs[j] += ws.g[j] * pair
        else:
            m, n = ws.M.shape
            for j in range(m):
                for i in range(n):
                    ws.M0[j, i] = ws.M[j, i]
                ws.rhs0[j] = ws.rhs[j]
            free_ground_pair(ws.M, ws.rhs, ws.g)
    status, iters = _solve_ws(model, ws, tol, max_iter, np.bool_(warm), g_stop)
    if double and not fixed:
        pair = ground_pair_force(ws.g, ws.M0, ws.rhs0, ws.act)
        if abs(pair) > ws.limit[0] and status != STOPPED_ABOVE:
            pair = ws.limit[0] if pair > 0.0 else -ws.limit[0]
            _set_pair(ws, pair)
            status, iters = _solve_ws(model, ws, tol, max_iter, np.bool_(True), g_stop)
    objective = objective_one(ws.act, ws.res, model.weights, model.exponent,
                              model.reserve_weight)
    return status, iters, objective, pair
