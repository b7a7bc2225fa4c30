"""The floor's mediolateral foot-force pair in double stance (Numba).

In double stance the legs and the ground close a loop: the floor can push the
feet apart or together (friction) without changing the body's equilibrium, so
the pair is not fixed by statics and the recruitment may use it, within
friction (``model.friction`` x the vertical load on the less loaded foot).
"""
from numba import njit

from .jit import step
from .statics import DOUBLE, demanded_moments

# the row of the pair's pivot (left hip adduction), see free_ground_pair
PAIR_PIVOT = 8


@step
def floor_pair(model, task, ws):
    """Step: moments [N m per N] of a unit pair on the feet (``ws.g``): +z (to
    the right) on the right foot, -z on the left, at the ground-reaction points
    (the last two loads); and its friction limit [N] (``ws.limit[0]``). The pair
    sums to zero, so it leaves the body's equilibrium unchanged. Zero in single
    stance."""
    for j in range(ws.g.shape[0]):
        ws.g[j] = 0.0
    ws.limit[0] = 0.0
    if task.support != DOUBLE:
        return
    ne = ws.n_loads[0]
    f = ws.pair_f
    for side in range(2):
        for k in range(3):
            f[side, k] = 0.0
    f[0, 2] = 1.0
    f[1, 2] = -1.0
    demanded_moments(ws.axes, ws.centres, task.root, ws.lseg[ne - 2:ne], ws.lpt[ne - 2:ne], f,
                     ws.g)
    # friction on the less loaded foot bounds the pair
    ws.limit[0] = model.friction * max(0.0, min(ws.lf[ne - 2, 1], ws.lf[ne - 1, 1]))


@njit(cache=True)
def free_ground_pair(M, rhs, g):
    """Eliminate the pair f from ``M a + r = rhs + g f``: f is solved from the
    pivot row (left hip adduction, reserve 0 there) and substituted into the
    others; the pivot row is zeroed (keep a copy of ``M`` and ``rhs`` for
    :func:`ground_pair_force`)."""
    p = PAIR_PIVOT
    for j in range(M.shape[0]):
        if j != p and g[j] != 0.0:
            c = g[j] / g[p]
            for i in range(M.shape[1]):
                M[j, i] -= c * M[p, i]
            rhs[j] -= c * rhs[p]
    for i in range(M.shape[1]):
        M[p, i] = 0.0
    rhs[p] = 0.0


@njit(cache=True)
def ground_pair_force(g, M0, rhs0, act):
    """The pair force f [N] (+: the floor pushes the feet apart) that goes with
    activations ``act``, from the pivot row of the system before elimination:
    ``M0[p] . act = rhs0[p] + g[p] f``."""
    p = PAIR_PIVOT
    s = -rhs0[p]
    for i in range(act.shape[0]):
        s += M0[p, i] * act[i]
    return s / g[p]
