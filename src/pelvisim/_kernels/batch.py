"""A block of points, solved one after another on one workspace (Numba).

:func:`run_block` is serial and releases the GIL: :func:`pelvisim.simulate.run_points`
runs one block per thread (or the whole batch in the calling thread when it is
small). Points with the same compensation share the posture steps: they run
once for a run of equal ``x0`` rows (posture fixed or prescribed), so a
strength sweep pays for the geometry once per block. Every point's
recruitment starts cold, so results do not depend on how a batch is cut.
"""
import numpy as np
from numba import njit

from .compensation import optimal_compensation
from .jit import ref, release
from .pipeline import finish, posture_steps
from .reactions import cut_sets
from .workspace import GRID_SLOTS, new_workspace
from .recruit import recruit

# compensation modes
NONE, OPTIMAL, PRESCRIBED = 0, 1, 2


@njit(cache=True, nogil=True)
def run_block(model_tuple, task_tuple, strength, x0, mode, nvar, lo, hi, scale, weight, tol,
              max_iter, xtol, max_eval, start, stop, x, q, act, force, reserve, tau, passive,
              itb, hip, l5s1, pair, status, iters, objective, evals, success):
    """Solve points ``start:stop`` of a batch into the output arrays (B, ...).

    strength (B, n); x0 (B, 2) [rad] compensation when not optimal; outputs as
    in :func:`.pipeline.finish`, plus x (B, 2) [rad] the compensation used,
    pair (B,) [N] the floor's mediolateral pair, status, iters, objective,
    evals (cost evaluations of the optimal search) and success (the search
    converged; True when there is no search). ``model_tuple`` and
    ``task_tuple``: ModelArrays and TaskArrays, passed to the steps by
    reference.
    """
    model = ref(model_tuple)
    task = ref(task_tuple)
    ws = ref(new_workspace(model, task, GRID_SLOTS if mode == OPTIMAL else 0))
    placed = False  # ws holds the posture steps at x[b - 1]
    for b in range(start, stop):
        if mode == OPTIMAL:
            _, ok, ne = optimal_compensation(model, task, strength[b], nvar, lo, hi, scale,
                                            weight, tol, max_iter, xtol, max_eval, ws, x[b])
            evals[b] = ne
            success[b] = ok
            placed = False  # the search left the workspace at its last evaluation
        else:
            x[b, 0] = x0[b, 0]
            x[b, 1] = x0[b, 1]
            evals[b] = 0
            success[b] = True
        if not (placed and x[b, 0] == x[b - 1, 0] and x[b, 1] == x[b - 1, 1]):
            posture_steps(model, task, x[b], ws)
            cut_sets(model, task, ws)
            placed = mode != OPTIMAL
        st, it, ob, pr = recruit(model, task, strength[b], np.nan, tol, max_iter,
                                 np.bool_(False), ws, np.inf)
        finish(model, pr, q[b], act[b], force[b], reserve[b], tau[b], passive[b], itb[b],
              hip[b], l5s1[b], ws)
        status[b] = st
        iters[b] = it
        objective[b] = ob
        pair[b] = pr
    release(ws)
    release(task)
    release(model)
