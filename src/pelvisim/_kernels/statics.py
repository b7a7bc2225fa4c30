"""Statics (Numba): joint moments the muscles must produce, and joint reactions.

Free bodies are taken from the top down: for each DOF the loads that count are
those on the side of the joint away from the *root* segment (the one resting on
the ground: a stance shank, or the pelvis in double stance where the ground
reactions are applied to the feet). The generalized force of the external loads
on DOF j is ``Q_j = s_j u_j . sum (p - c_j) x F`` over loads on that side, with
``s_j = +1`` when that side is the child side of the joint and -1 otherwise;
muscles must supply ``tau_j = -Q_j``.
"""
from numba import njit

from .kinematics import CHILD_SIDE


@njit(cache=True)
def demanded_moments(axes, centres, root, load_seg, load_pt, load_f, tau):
    """Joint moments [N m] that balance the external loads.

    Parameters
    ----------
    axes, centres : ndarray (m, 3) DOF axes and centres in ground
    root : int, segment resting on the ground
    load_seg : ndarray (E,) int, segment each load acts on
    load_pt : ndarray (E, 3) [m] point of application in ground
    load_f : ndarray (E, 3) [N] force in ground
    tau : ndarray (m,) out [N m]
    """
    m = axes.shape[0]
    for j in range(m):
        root_child = CHILD_SIDE[j, root]
        sign = -1.0 if root_child else 1.0
        acc = 0.0
        for e in range(load_seg.shape[0]):
            if CHILD_SIDE[j, load_seg[e]] == root_child:
                continue
            r0 = load_pt[e, 0] - centres[j, 0]
            r1 = load_pt[e, 1] - centres[j, 1]
            r2 = load_pt[e, 2] - centres[j, 2]
            f = load_f[e]
            acc += (axes[j, 0] * (r1 * f[2] - r2 * f[1])
                    + axes[j, 1] * (r2 * f[0] - r0 * f[2])
                    + axes[j, 2] * (r0 * f[1] - r1 * f[0]))
        tau[j] = -sign * acc


@njit(cache=True)
def free_side(dof, root, in_set):
    """Segments on the side of DOF ``dof``'s joint that does not hold the root."""
    root_child = CHILD_SIDE[dof, root]
    for s in range(in_set.shape[0]):
        in_set[s] = CHILD_SIDE[dof, s] != root_child


@njit(cache=True)
def external_force_on_set(in_set, load_seg, load_f, out):
    out[:] = 0.0
    for e in range(load_seg.shape[0]):
        if in_set[load_seg[e]]:
            out += load_f[e]
