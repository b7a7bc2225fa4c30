"""Loads on the tissues (Numba): ITB tension, hip contact and L5/S1 forces.

A joint reaction is found on a free body: the segments on the side of the
joint away from the root (see :func:`statics.free_side`), cut at the joint.
Every force on that set (external loads, the floor pair, muscle and ITB paths
crossing the cut) plus the reaction sums to zero. The directions of the path
forces depend on the posture only, so :func:`cut_sets` computes them once per
posture and :func:`joint_loads` sums them with each point's forces.
"""

from .jit import step
from .geometry import path_force_on_set
from .kinematics import PELVIS, THIGH_R
from .statics import DOUBLE, free_side

CUT_DOF = (0, 3, 7)  # lumbar, hip_r, hip_l


@step
def cut_sets(model, task, ws):
    """Step: for each cut (L5/S1, right hip, left hip) the free side
    (``ws.in_set``), the external load on it [N] (``cut_load``), the direction
    of the floor pair's force on it (``cut_pair``, per N), the force [N per N of
    tension] of each muscle path (``cut_dir``) and ITB path (``cut_itb``) on
    it; and the disc axes in ground (``ws.disc``: normal, antero-posterior,
    lateral)."""
    n = model.fmax.shape[0]
    ne = ws.n_loads[0]
    double = task.support == DOUBLE
    for c in range(3):
        in_set = ws.in_set[c]
        free_side(CUT_DOF[c], task.root, in_set)
        for k in range(3):
            ws.cut_load[c, k] = 0.0
            ws.cut_pair[c, k] = 0.0
        for e in range(ne):
            if in_set[ws.lseg[e]]:
                for k in range(3):
                    ws.cut_load[c, k] += ws.lf[e, k]
        if double:
            if in_set[ws.lseg[ne - 2]]:
                ws.cut_pair[c, 2] += 1.0
            if in_set[ws.lseg[ne - 1]]:
                ws.cut_pair[c, 2] -= 1.0
        for i in range(n):
            path_force_on_set(ws.pts, model.path_seg, model.path_start, i, in_set, ws.cut_dir[c, i])
        for side in range(2):
            path_force_on_set(ws.itb_pts, model.itb_seg, model.itb_start, side, in_set,
                              ws.cut_itb[c, side])
    Rp = ws.R[PELVIS]
    for k in range(3):
        ws.disc[0, k] = (Rp[k, 0] * model.disc_normal[0] + Rp[k, 1] * model.disc_normal[1]
                         + Rp[k, 2] * model.disc_normal[2])
        ws.disc[1, k] = (Rp[k, 0] * model.disc_ap[0] + Rp[k, 1] * model.disc_ap[1]
                         + Rp[k, 2] * model.disc_ap[2])
        ws.disc[2, k] = Rp[k, 2]


@step
def itb_tension(model, ws, force, itb):
    """ITB tension [N] per side: the passive band plus the inserted fraction
    of each muscle's force [N]."""
    for side in range(2):
        itb[side] = ws.itb_passive[side]
    for i in range(force.shape[0]):
        if model.itb_frac[i] > 0.0:
            itb[model.side[i]] += model.itb_frac[i] * force[i]


@step
def joint_loads(model, ws, force, pair, hip, l5s1):
    """Step: hip contact and L5/S1 loads from the muscle forces [N] and the
    floor pair [N] of one point (the cuts from :func:`cut_sets`).

    hip (2, 2, 3) [N]: force on each femoral head [side, frame] in the pelvis
    frame (0) and the femur frame (1); l5s1 (3,) [N]: compression (the
    posterior ligaments resisting flexion pull along the spine at
    ``lig_arm`` behind the disc: their tension adds to it), antero-posterior
    and lateral shear.
    """
    n = force.shape[0]
    R = ws.R
    for c in range(3):
        t0 = ws.cut_load[c, 0] + pair * ws.cut_pair[c, 0]
        t1 = ws.cut_load[c, 1] + pair * ws.cut_pair[c, 1]
        t2 = ws.cut_load[c, 2] + pair * ws.cut_pair[c, 2]
        for i in range(n):
            t0 += force[i] * ws.cut_dir[c, i, 0]
            t1 += force[i] * ws.cut_dir[c, i, 1]
            t2 += force[i] * ws.cut_dir[c, i, 2]
        for side in range(2):
            t0 += ws.itb_passive[side] * ws.cut_itb[c, side, 0]
            t1 += ws.itb_passive[side] * ws.cut_itb[c, side, 1]
            t2 += ws.itb_passive[side] * ws.cut_itb[c, side, 2]
        # total + reaction on the set = 0
        if c == 0:
            d = ws.disc
            # the force of the pelvis on the trunk is -total
            l5s1[0] = (-(t0 * d[0, 0] + t1 * d[0, 1] + t2 * d[0, 2])
                       + model.lig_share * max(0.0, -ws.tissue[0]) / model.lig_arm)
            l5s1[1] = t0 * d[1, 0] + t1 * d[1, 1] + t2 * d[1, 2]
            l5s1[2] = t0 * d[2, 0] + t1 * d[2, 1] + t2 * d[2, 2]
        else:
            side = c - 1
            thigh = THIGH_R + 2 * side
            sgn = -1.0 if ws.in_set[c, thigh] else 1.0
            for k in range(3):
                hip[side, 0, k] = sgn * (R[PELVIS, 0, k] * t0 + R[PELVIS, 1, k] * t1
                                         + R[PELVIS, 2, k] * t2)
                hip[side, 1, k] = sgn * (R[thigh, 0, k] * t0 + R[thigh, 1, k] * t1
                                         + R[thigh, 2, k] * t2)
