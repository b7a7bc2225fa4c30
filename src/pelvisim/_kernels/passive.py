"""Passive joint tissues (Numba): moment-angle curves with a neutral zone.

Each degree of freedom j (``conventions.DOFS``; its angle is ``q[j + 2]``)
carries a passive moment from the tissues that are not muscle lines: the
lumbar spine's ligaments and discs, the hip capsule and ligaments, the knee's
capsule. Inside the neutral zone [lo, hi] the moment is zero; beyond it an
exponential resists the motion:

    theta > hi:  M = -a+ (exp(b+ (theta - hi) / range+) - 1)
    theta < lo:  M = +a- (exp(b- (lo - theta) / range-) - 1)

with ``a`` [N m], ``b`` [-] and ``range`` [rad] per direction (the form of
Dolan, Mannion & Adams 1994 for lumbar flexion). ``M`` is the generalized force
the tissue exerts on the child segment, so it enters the equilibrium as
``sum_i R_ji F_i + M_j + r_j = tau_j`` (the muscles need ``tau_j - M_j``).

Arrays: ``nz`` (m, 2) [rad] neutral zone; ``a`` (m, 2) [N m], ``b`` (m, 2),
``rng`` (m, 2) [rad], column 0 for the negative direction, 1 for the positive.
Nothing here raises.
"""
import numpy as np
from numba import njit

from .jit import step


@njit(cache=True)
def passive_moment(nz, a, b, rng, theta, j):
    """Passive moment [N m] of DOF j at angle ``theta`` [rad]."""
    if theta > nz[j, 1]:
        return -a[j, 1] * (np.exp(b[j, 1] * (theta - nz[j, 1]) / rng[j, 1]) - 1.0)
    if theta < nz[j, 0]:
        return a[j, 0] * (np.exp(b[j, 0] * (nz[j, 0] - theta) / rng[j, 0]) - 1.0)
    return 0.0


@step
def passive_joint_moments(nz, a, b, rng, q, out):
    """Fill ``out`` (m,) [N m] with the passive moment of every DOF at posture q."""
    for j in range(out.shape[0]):
        out[j] = passive_moment(nz, a, b, rng, q[j + 2], j)
