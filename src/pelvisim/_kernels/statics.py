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

from .jit import step
from ..conventions import GRAVITY
from .kinematics import CHILD_SIDE, N_SEG, SHANK_R

# task.support
SINGLE, DOUBLE = 0, 1


@step
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


@step
def free_side(dof, root, in_set):
    """Segments on the side of DOF ``dof``'s joint that does not hold the root."""
    root_child = CHILD_SIDE[dof, root]
    for s in range(in_set.shape[0]):
        in_set[s] = CHILD_SIDE[dof, s] != root_child


@njit(cache=True, inline="always")
def _at(R, o, s, p, k):
    """Component k [m] in ground of point ``p`` fixed in segment s."""
    return o[s, k] + R[s, k, 0] * p[0] + R[s, k, 1] * p[1] + R[s, k, 2] * p[2]


@step
def _body_loads(model, task, R, o, seg_out, pt_out, f_out):
    """Segment weights and the task's loads; returns their number."""
    n = 0
    for s in range(N_SEG):
        seg_out[n] = s
        for k in range(3):
            pt_out[n, k] = _at(R, o, s, model.seg_com[s], k)
            f_out[n, k] = 0.0
        f_out[n, 1] = -model.seg_mass[s] * GRAVITY
        n += 1
    for e in range(task.load_seg.shape[0]):
        s = task.load_seg[e]
        seg_out[n] = s
        for k in range(3):
            pt_out[n, k] = _at(R, o, s, task.load_local[e], k)
            f_out[n, k] = task.load_f[e, k]
        n += 1
    return n


@step
def _load_sums(f_out, pt_out, n):
    """Sum [N] of the first n loads and the moments [N m] of their vertical
    parts about the z and x axes through the origin (for the centre of
    pressure): (fx, fy, fz, sum fy x, sum fy z)."""
    t0 = 0.0
    t1 = 0.0
    t2 = 0.0
    moment_x = 0.0
    moment_z = 0.0
    for e in range(n):
        t0 += f_out[e, 0]
        t1 += f_out[e, 1]
        t2 += f_out[e, 2]
        moment_x += f_out[e, 1] * pt_out[e, 0]
        moment_z += f_out[e, 1] * pt_out[e, 2]
    return t0, t1, t2, moment_x, moment_z


@step
def _feet_reactions(model, task, R, o, n, seg_out, pt_out, f_out):
    """Double stance: both feet's ground reactions, appended after the ``n``
    body loads. They share the centre of pressure of the vertical loads in x
    and are shifted together in z so that the body is in moment equilibrium;
    the right foot carries ``task.split_r`` of the load. Returns the count."""
    t0, t1, t2, moment_x, moment_z = _load_sums(f_out, pt_out, n)
    x_cop = moment_x / t1
    z_cop = moment_z / t1
    fr = task.split_r
    fz_r = _at(R, o, SHANK_R, model.foot_pt[0], 2)
    fz_l = _at(R, o, SHANK_R + 2, model.foot_pt[1], 2)
    shift = z_cop - (fr * fz_r + (1.0 - fr) * fz_l)
    for side in range(2):
        share = fr if side == 0 else 1.0 - fr
        shank = SHANK_R + 2 * side
        seg_out[n] = shank
        pt_out[n, 0] = x_cop
        pt_out[n, 1] = _at(R, o, shank, model.foot_pt[side], 1)
        pt_out[n, 2] = (fz_r if side == 0 else fz_l) + shift
        f_out[n, 0] = -share * t0
        f_out[n, 1] = -share * t1
        f_out[n, 2] = -share * t2
        n += 1
    return n


@step
def _inertial_loads(model, task, n, seg_out, pt_out, f_out):
    """Single stance with a measured ground reaction (walking): d'Alembert
    forces -m_s a on every segment's centre of mass, with the whole body's
    m a from both feet's measured reactions; in double support also the other
    foot's measured reaction, on the other shank at its measured centre of
    pressure (``task.cop_other``, ground axes, relative to the pelvis origin).
    The stance foot's reaction needs no load (the stance shank is the root);
    the other foot's enters the free bodies of the other leg's hip and knee
    and of the stance hip and knee (whose free side holds the other leg), and
    so their joint reactions. Returns the count."""
    gsum = task.grf[0] * task.grf[0] + task.grf[1] * task.grf[1] + task.grf[2] * task.grf[2]
    osum = (task.grf_other[0] * task.grf_other[0] + task.grf_other[1] * task.grf_other[1]
            + task.grf_other[2] * task.grf_other[2])
    if gsum > 0.0 or osum > 0.0:
        t0, t1, t2, _, _ = _load_sums(f_out, pt_out, n)
        a0 = task.grf[0] + task.grf_other[0] + t0
        a1 = task.grf[1] + task.grf_other[1] + t1
        a2 = task.grf[2] + task.grf_other[2] + t2
        mass = 0.0
        for s in range(N_SEG):
            mass += model.seg_mass[s]
        for s in range(N_SEG):
            seg_out[n] = s
            for k in range(3):
                pt_out[n, k] = pt_out[s, k]
            f_out[n, 0] = -model.seg_mass[s] / mass * a0
            f_out[n, 1] = -model.seg_mass[s] / mass * a1
            f_out[n, 2] = -model.seg_mass[s] / mass * a2
            n += 1
    if osum > 0.0:
        seg_out[n] = SHANK_R + 2 * (1 - task.stance)
        for k in range(3):
            pt_out[n, k] = task.cop_other[k]
            f_out[n, k] = task.grf_other[k]
        n += 1
    return n


@step
def external_loads(model, task, R, o, seg_out, pt_out, f_out):
    """All external loads in ground: segment weights, task loads, and either the
    ground reactions on both feet (double stance) or d'Alembert forces matching a
    measured ground reaction (single stance; in walking's double support with
    the other foot's measured reaction added as a load). Returns the number of
    loads."""
    n = _body_loads(model, task, R, o, seg_out, pt_out, f_out)
    if task.support == DOUBLE:
        return _feet_reactions(model, task, R, o, n, seg_out, pt_out, f_out)
    return _inertial_loads(model, task, n, seg_out, pt_out, f_out)


@step
def demand(model, task, ws):
    """Step: the external loads at the placed posture (``ws.lseg``, ``lpt``,
    ``lf``, ``n_loads``) and the moments [N m] they demand of the muscles and
    tissues, with the task's moment offset (``ws.tau_load``)."""
    ne = external_loads(model, task, ws.R, ws.o, ws.lseg, ws.lpt, ws.lf)
    ws.n_loads[0] = ne
    demanded_moments(ws.axes, ws.centres, task.root, ws.lseg[:ne], ws.lpt[:ne], ws.lf[:ne],
                     ws.tau_load)
    for j in range(ws.tau_load.shape[0]):
        ws.tau_load[j] += task.tau_offset[j]
