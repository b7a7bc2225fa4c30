"""One model evaluation, posture -> loads, and batches of them (Numba).

``evaluate`` chains: segment frames -> muscle and ITB paths -> force-length and
passive forces -> external loads -> demanded moments -> recruitment (static
optimization) -> muscle forces -> ITB tension, hip contact and L5/S1 loads.
``model`` and ``task`` are the named tuples built by :mod:`pelvisim.model` and
:mod:`pelvisim.task_library`; ``out`` is a tuple of preallocated arrays (see
:func:`pelvisim.model.empty_outputs`). Nothing here raises.
"""
import numpy as np
from numba import njit

from .._recruitment_kernel import objective_one, solve_one
from .geometry import muscle_paths, path_force_on_set
from .kinematics import N_SEG, PELVIS, SHANK_R, THIGH_R, matvec3, segment_frames, tmatvec3
from .passive import passive_joint_moments
from .statics import demanded_moments, free_side

G = 9.81
# task.support
SINGLE, DOUBLE = 0, 1
# task.comp_kind
COMP_NONE, COMP_FRONTAL, COMP_STANDING, COMP_BEND = 0, 1, 2, 3
# indices into q (see conventions.COORDINATES)
TILT, LIST, LFLEX, LBEND = 0, 1, 2, 3
HIP_Q = (5, 9)  # hip flexion index per side; adduction +1, rotation +2, knee +3
CUT_DOF = (0, 3, 7)  # lumbar, hip_r, hip_l
# double stance: the row of the mediolateral foot-force pair's pivot (left hip
# adduction), see free_ground_pair
PAIR_PIVOT = 8


@njit(cache=True)
def apply_compensation(task, x, q):
    """Posture of the task with compensation angles ``x`` [rad] added.

    frontal (x = [d_list, d_lean]): pelvic list changes by d_list, the trunk's
    frontal lean by d_lean; hips follow the pelvis so that the thighs keep their
    orientation. standing (x = [d_tilt]): anterior tilt with the trunk kept
    upright and the thighs vertical. bend (x = [d_tilt]): more pelvic tilt and
    less lumbar flexion at the same trunk inclination. In both, a prescribed
    x[1] [rad] inclines the trunk forward by as much, through lumbar flexion
    (the optimal search keeps x[1] = 0).
    """
    q[:] = task.q0
    k = task.comp_kind
    if k == COMP_FRONTAL:
        q[LIST] += x[0]
        q[LBEND] += x[1] + x[0]
        q[HIP_Q[0] + 1] += x[0]   # right hip adduction follows a right-crest-up list
        q[HIP_Q[1] + 1] -= x[0]
    elif k == COMP_STANDING or k == COMP_BEND:
        q[TILT] += x[0]
        q[LFLEX] += x[1] - x[0]
        q[HIP_Q[0]] += x[0]
        q[HIP_Q[1]] += x[0]


@njit(cache=True)
def _loads(model, task, R, o, seg_out, pt_out, f_out):
    """All external loads in ground: segment weights, task loads, and either the
    ground reactions on both feet (double stance) or d'Alembert forces matching a
    measured ground reaction (single stance; in walking's double support with
    the other foot's measured reaction added as a load). Returns the number of
    loads."""
    n = 0
    for s in range(N_SEG):
        seg_out[n] = s
        pt_out[n] = o[s] + matvec3(R[s], model.seg_com[s])
        f_out[n, :] = 0.0
        f_out[n, 1] = -model.seg_mass[s] * G
        n += 1
    for e in range(task.load_seg.shape[0]):
        s = task.load_seg[e]
        seg_out[n] = s
        pt_out[n] = o[s] + matvec3(R[s], task.load_local[e])
        f_out[n] = task.load_f[e]
        n += 1
    total = np.zeros(3)
    moment_x = 0.0
    moment_z = 0.0
    for e in range(n):
        total += f_out[e]
        moment_x += f_out[e, 1] * pt_out[e, 0]
        moment_z += f_out[e, 1] * pt_out[e, 2]
    if task.support == DOUBLE:
        # centre of pressure of the vertical loads; both feet share it in x and
        # are shifted together in z so that the body is in moment equilibrium
        x_cop = moment_x / total[1]
        z_cop = moment_z / total[1]
        fr = task.split_r
        foot_z = np.zeros(2)
        foot_y = np.zeros(2)
        for side in range(2):
            p = o[SHANK_R + 2 * side] + matvec3(R[SHANK_R + 2 * side], model.foot_pt[side])
            foot_z[side] = p[2]
            foot_y[side] = p[1]
        shift = z_cop - (fr * foot_z[0] + (1.0 - fr) * foot_z[1])
        for side in range(2):
            share = fr if side == 0 else 1.0 - fr
            seg_out[n] = SHANK_R + 2 * side
            pt_out[n, 0] = x_cop
            pt_out[n, 1] = foot_y[side]
            pt_out[n, 2] = foot_z[side] + shift
            f_out[n] = -share * total
            n += 1
    else:
        gsum = task.grf[0] * task.grf[0] + task.grf[1] * task.grf[1] + task.grf[2] * task.grf[2]
        osum = (task.grf_other[0] * task.grf_other[0] + task.grf_other[1] * task.grf_other[1]
                + task.grf_other[2] * task.grf_other[2])
        if gsum > 0.0 or osum > 0.0:
            mass = 0.0
            for s in range(N_SEG):
                mass += model.seg_mass[s]
            # = m a of the whole body, from both feet's measured ground reactions
            acc_force = task.grf + task.grf_other + total
            for s in range(N_SEG):
                seg_out[n] = s
                pt_out[n] = pt_out[s]
                f_out[n] = -model.seg_mass[s] / mass * acc_force
                n += 1
        if osum > 0.0:
            # double support in walking: the other foot's measured ground
            # reaction on the other shank at its measured centre of pressure
            # (task.cop_other, ground axes, relative to the pelvis origin). The
            # stance foot's reaction needs no load (the stance shank is the
            # root); this one enters the free bodies of the other leg's hip and
            # knee and of the stance hip and knee (whose free side holds the
            # other leg), and so their joint reactions.
            seg_out[n] = SHANK_R + 2 * (1 - task.stance)
            pt_out[n] = task.cop_other
            f_out[n] = task.grf_other
            n += 1
    return n


@njit(cache=True)
def demand(model, task, R, o, axes, centres, tau):
    """External loads at the placed posture and the moments [N m] they demand
    (without the task's moment offset). Returns the loads (segment, point,
    force, count) for the joint-reaction step."""
    E = N_SEG * 2 + task.load_seg.shape[0] + 4  # + 2 feet (or the other foot) + the pair
    lseg = np.zeros(E, dtype=np.int64)
    lpt = np.zeros((E, 3))
    lf = np.zeros((E, 3))
    ne = _loads(model, task, R, o, lseg, lpt, lf)
    demanded_moments(axes, centres, task.root, lseg[:ne], lpt[:ne], lf[:ne], tau)
    return lseg, lpt, lf, ne


@njit(cache=True)
def static_moments(model, task, q, tau):
    """Moments [N m] the task's loads demand at posture ``q`` (no offset)."""
    m = tau.shape[0]
    R = np.zeros((N_SEG, 3, 3))
    o = np.zeros((N_SEG, 3))
    axes = np.zeros((m, 3))
    centres = np.zeros((m, 3))
    segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres)
    demand(model, task, R, o, axes, centres, tau)


@njit(cache=True)
def whole_body_com(model, R, o):
    c = np.zeros(3)
    mass = 0.0
    for s in range(N_SEG):
        c += model.seg_mass[s] * (o[s] + matvec3(R[s], model.seg_com[s]))
        mass += model.seg_mass[s]
    return c / mass


@njit(cache=True)
def _frontal_offset(model, task, q, R, o, axes, centres):
    """Whole-body centre of mass minus stance-foot position, frontal (z) [m]."""
    side = task.stance
    segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres)
    foot = o[SHANK_R + 2 * side] + matvec3(R[SHANK_R + 2 * side], model.foot_pt[side])
    return whole_body_com(model, R, o)[2] - foot[2]


@njit(cache=True)
def balance_stance(model, task, q, R, o, axes, centres):
    """Set the stance hip adduction so that the whole-body centre of mass lies
    over the stance foot in the frontal plane (single-leg stance); secant
    iterations from a first step that assumes the foot swings on a 0.9 m leg."""
    iq = HIP_Q[task.stance] + 1
    sgn = 1.0 if task.stance == 0 else -1.0
    x0 = q[iq]
    f0 = _frontal_offset(model, task, q, R, o, axes, centres)
    x1 = x0 - sgn * f0 / 0.9
    for _ in range(8):
        q[iq] = x1  # _frontal_offset leaves the frames placed at this angle
        f1 = _frontal_offset(model, task, q, R, o, axes, centres)
        if abs(x1 - x0) < 1e-10 or f1 == f0:
            return
        x0, x1, f0 = x1, x1 - f1 * (x1 - x0) / (f1 - f0), f1
    q[iq] = x1
    segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres)


@njit(cache=True)
def pair_moments(axes, centres, root, lseg, lpt, ne, g):
    """Moments [N m per N] of a unit mediolateral force pair on the feet in
    double stance: +z (to the right) on the right foot, -z on the left, at the
    ground-reaction points (the last two loads). The pair sums to zero, so it
    leaves the body's equilibrium unchanged."""
    f = np.zeros((2, 3))
    f[0, 2] = 1.0
    f[1, 2] = -1.0
    demanded_moments(axes, centres, root, lseg[ne - 2:ne], lpt[ne - 2:ne], f, g)


@njit(cache=True)
def free_ground_pair(M, rhs, g):
    """Eliminate the mediolateral foot-force pair f from ``M a + r = rhs + g f``.

    In double stance the legs and the ground close a loop: the floor can push
    the feet apart or together (friction) without changing the body's
    equilibrium, so the pair f is not fixed by statics and the recruitment may
    use it. f is solved from the pivot row (left hip adduction, reserve 0 there)
    and substituted into the others; the pivot row is zeroed (keep a copy of
    ``M`` and ``rhs`` for :func:`ground_pair_force`).
    """
    p = PAIR_PIVOT
    for j in range(M.shape[0]):
        if j != p and g[j] != 0.0:
            c = g[j] / g[p]
            M[j] -= c * M[p]
            rhs[j] -= c * rhs[p]
    M[p] = 0.0
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


@njit(cache=True)
def evaluate(model, task, strength, x, q, act, force, reserve, tau, itb, hip, l5s1,
             tol, max_iter):
    """Solve one point. Returns (status, iterations, objective, ground pair [N],
    its friction limit [N]).

    See :func:`evaluate_mode`; this is its SOLVE mode.
    """
    n = model.fmax.shape[0]
    m = tau.shape[0]
    return evaluate_mode(model, task, strength, x, q, act, force, reserve, tau, itb, hip,
                         l5s1, tol, max_iter, SOLVE, np.zeros((m, n)), np.zeros(m), np.nan)


# evaluate_mode modes
SOLVE, ASSEMBLE = 0, 1


@njit(cache=True)
def evaluate_mode(model, task, strength, x, q, act, force, reserve, tau, itb, hip, l5s1,
                  tol, max_iter, mode, M, rhs, pair_fixed):
    """One point, with the recruitment step chosen by ``mode``.

    SOLVE: static optimization by the Numba kernel. ASSEMBLE: stop after
    filling ``M`` (m, n) [N m per unit activation] and ``rhs`` (m,) [N m], the
    moments the active muscles must produce, so that another solver (the
    SciPy references in the tests) can be run on the same problem.

    Double stance: ``pair_fixed`` [N] fixes the floor's mediolateral pair on
    the feet; NaN lets the recruitment choose it within friction
    (``model.friction`` x the vertical load on the less loaded foot). Then
    ``M`` and ``rhs`` are those left after :func:`free_ground_pair` (pivot row
    zeroed); in SOLVE mode a pair beyond friction is re-solved at the limit.

    Outputs (filled): q (13,) [rad] posture used; act (n,) activation, tone
    included (the recruitment solves for the part above ``model.tone``, with
    upper bounds 1 - tone; the tone force and the passive joint-tissue moments
    are taken off the right-hand side); force (n,) [N] (active + passive);
    reserve (m,) [N m]; tau (m,) [N m] demanded moments,
    with those of the ground's mediolateral foot-force pair (double stance);
    itb (2,) [N]; hip (2, 2, 3) [N] force on each femoral head [side, frame] in
    the pelvis frame (0) and the femur frame (1);
    l5s1 (3,) [N] compression, antero-posterior and lateral shear.
    Returns (status, iterations, objective, pair, limit): pair [N] is the force
    of the floor pushing the feet apart (negative: together), 0 in single
    stance; limit [N] the friction bound on its size.
    """
    n = model.fmax.shape[0]
    m = tau.shape[0]
    R = np.zeros((N_SEG, 3, 3))
    o = np.zeros((N_SEG, 3))
    axes = np.zeros((m, 3))
    centres = np.zeros((m, 3))
    apply_compensation(task, x, q)
    if task.balance:
        balance_stance(model, task, q, R, o, axes, centres)
    else:
        segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres)
    pts = np.zeros((model.path_seg.shape[0], 3))
    length = np.zeros(n)
    arm = np.zeros((m, n))
    muscle_paths(R, o, axes, centres, model.path_seg, model.path_pt, model.path_start,
                 pts, length, arm)
    itb_pts = np.zeros((model.itb_seg.shape[0], 3))
    itb_len = np.zeros(2)
    itb_arm = np.zeros((m, 2))
    muscle_paths(R, o, axes, centres, model.itb_seg, model.itb_pt, model.itb_start,
                 itb_pts, itb_len, itb_arm)
    # available active force and passive force of each muscle
    fa = np.zeros(n)
    fp = np.zeros(n)
    norm = np.exp(model.pe_shape) - 1.0
    for i in range(n):
        lt = (length[i] - model.lts[i]) / (model.lopt[i] * model.cos_penn[i])
        fl = np.exp(-(lt - 1.0) ** 2 / model.fl_width) if model.use_fl else 1.0
        fa[i] = strength[i] * model.fmax[i] * fl
        stretch = (length[i] - model.passive_slack[i]) / model.lopt[i]
        if model.has_passive[i] and stretch > 0.0:
            fp[i] = model.fmax[i] * (np.exp(model.pe_shape * stretch / model.pe_strain) - 1.0) / norm
    itb_passive = np.zeros(2)
    for side in range(2):
        st = itb_len[side] - model.itb_slack[side]
        if st > 0.0:
            itb_passive[side] = model.itb_stiffness[side] * st
    # passive joint tissues (ligaments, discs, capsules)
    tissue = np.zeros(m)
    passive_joint_moments(model.pj_nz, model.pj_a, model.pj_b, model.pj_range, q, tissue)
    lseg, lpt, lf, ne = demand(model, task, R, o, axes, centres, tau)
    for j in range(m):
        tau[j] += task.tau_offset[j]
    rhs[:] = tau
    for j in range(m):
        rhs[j] -= tissue[j]
        for i in range(n):
            # muscle tone: a fixed baseline activation, not chosen by the recruitment
            rhs[j] -= arm[j, i] * (fp[i] + model.tone[i] * fa[i])
            M[j, i] = arm[j, i] * fa[i]
        for side in range(2):
            rhs[j] -= itb_arm[j, side] * itb_passive[side]
    double = task.support == DOUBLE
    g = np.zeros(m)
    M0 = np.zeros((1, 1))
    rhs0 = np.zeros(1)
    limit = 0.0
    fixed = not np.isnan(pair_fixed)
    pair = pair_fixed if fixed else 0.0
    if double:
        pair_moments(axes, centres, task.root, lseg, lpt, ne, g)
        # friction on the less loaded foot bounds the pair
        limit = model.friction * max(0.0, min(lf[ne - 2, 1], lf[ne - 1, 1]))
        if not fixed and limit <= 0.0:
            fixed = True
        if fixed:
            for j in range(m):
                rhs[j] += g[j] * pair
        else:
            M0 = M.copy()
            rhs0 = rhs.copy()
            free_ground_pair(M, rhs, g)
    if mode == ASSEMBLE:
        return 0, 0, 0.0, pair, limit
    status, iters = solve_one(M, rhs, model.weights, model.upper, model.exponent,
                              model.reserve_weight, tol, max_iter, act, reserve)
    if double and not fixed:
        pair = ground_pair_force(g, M0, rhs0, act)
        if abs(pair) > limit:
            # the effort as a function of the pair (muscles re-optimised) is
            # convex, so within friction its minimum is at the nearer bound
            pair = limit if pair > 0.0 else -limit
            M[:] = M0
            for j in range(m):
                rhs[j] = rhs0[j] + g[j] * pair
            status, iters = solve_one(M, rhs, model.weights, model.upper, model.exponent,
                                      model.reserve_weight, tol, max_iter, act, reserve)
    if double:
        # the pair's moments join the demanded ones and its forces the loads on the legs
        for j in range(m):
            tau[j] += g[j] * pair
        for k in range(2):
            lseg[ne + k] = lseg[ne - 2 + k]
            lpt[ne + k] = lpt[ne - 2 + k]
            lf[ne + k, :] = 0.0
            lf[ne + k, 2] = pair if k == 0 else -pair
        ne += 2
    objective = objective_one(act, reserve, model.weights, model.exponent, model.reserve_weight)
    for i in range(n):
        act[i] += model.tone[i]  # reported activation: tone + recruited
        force[i] = act[i] * fa[i] + fp[i]
    # ITB tension: inserted muscle force plus the passive band
    for side in range(2):
        itb[side] = itb_passive[side]
    for i in range(n):
        if model.itb_frac[i] > 0.0:
            itb[model.side[i]] += model.itb_frac[i] * force[i]
    # joint reactions
    in_set = np.zeros(N_SEG, dtype=np.bool_)
    unit = np.zeros(3)
    for c in range(3):
        dof = CUT_DOF[c]
        free_side(dof, task.root, in_set)
        total = np.zeros(3)
        for e in range(ne):
            if in_set[lseg[e]]:
                total += lf[e]
        for i in range(n):
            if force[i] != 0.0:
                path_force_on_set(pts, model.path_seg, model.path_start, i, in_set, unit)
                total += force[i] * unit
        for side in range(2):
            if itb_passive[side] != 0.0:
                path_force_on_set(itb_pts, model.itb_seg, model.itb_start, side, in_set, unit)
                total += itb_passive[side] * unit
        # total + reaction_on_set = 0
        if c == 0:
            Rp = R[PELVIS]
            normal = matvec3(Rp, model.disc_normal)
            ant = matvec3(Rp, model.disc_ap)
            lat = Rp[:, 2]
            # force of the pelvis on the trunk is -total
            # posterior ligaments resisting flexion pull along the spine at
            # lig_arm behind the disc: their tension adds compression
            l5s1[0] = -np.dot(total, normal) + model.lig_share * max(0.0, -tissue[0]) / model.lig_arm
            l5s1[1] = np.dot(total, ant)
            l5s1[2] = total[0] * lat[0] + total[1] * lat[1] + total[2] * lat[2]
        else:
            side = c - 1
            on_femur = -total if in_set[THIGH_R + 2 * side] else total
            hip[side, 0] = tmatvec3(R[PELVIS], on_femur)
            hip[side, 1] = tmatvec3(R[THIGH_R + 2 * side], on_femur)
    return status, iters, objective, pair, limit
