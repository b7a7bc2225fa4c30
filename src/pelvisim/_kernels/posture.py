"""Posture step (Numba): the task's posture with compensation, balanced over
the stance foot, and the segment frames placed at it."""
from .jit import step
from .kinematics import N_SEG, SHANK_R, THIGH_R, place_leg, segment_frames

# task.comp_kind
COMP_NONE, COMP_FRONTAL, COMP_STANDING, COMP_BEND = 0, 1, 2, 3
# indices into q (see conventions.COORDINATES)
TILT, LIST, LFLEX, LBEND = 0, 1, 2, 3
HIP_Q = (5, 9)  # hip flexion index per side; adduction +1, rotation +2, knee +3


@step
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
    for k in range(q.shape[0]):
        q[k] = task.q0[k]
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


@step
def _com_z(model, R, o, s):
    """Mass times the frontal (z) position of segment s's centre of mass [kg m].
    (Indices, not row views: a view costs two reference counts, and this runs
    in the balance loop.)"""
    return model.seg_mass[s] * (o[s, 2] + R[s, 2, 0] * model.seg_com[s, 0]
                                + R[s, 2, 1] * model.seg_com[s, 1]
                                + R[s, 2, 2] * model.seg_com[s, 2])


@step
def frontal_offset(model, task, q, R, o, axes, centres, rot, rest, mass):
    """Place the stance leg at ``q`` (the rest of the body placed); the
    whole-body centre of mass minus the stance foot, frontal (z) [m].
    ``rest``: the mass-weighted frontal position of the other segments [kg m];
    ``mass`` [kg] the body's."""
    side = task.stance
    place_leg(q, side, model.hip_loc, model.knee_loc, R, o, axes, centres, rot)
    thigh = THIGH_R + 2 * side
    shank = SHANK_R + 2 * side
    c = rest + _com_z(model, R, o, thigh) + _com_z(model, R, o, shank)
    f = model.foot_pt
    foot = (o[shank, 2] + R[shank, 2, 0] * f[side, 0] + R[shank, 2, 1] * f[side, 1]
            + R[shank, 2, 2] * f[side, 2])
    return c / mass - foot


@step
def balance_stance(model, task, q, R, o, axes, centres, rot):
    """Set the stance hip adduction in ``q`` so that the whole-body centre of
    mass lies over the stance foot in the frontal plane (single-leg stance),
    with the frames placed there; secant iterations from a first step that
    assumes the foot swings on a 0.9 m leg. Only the stance leg moves, so
    only its frames are placed again in the iterations. (Arrays, not the
    workspace: the loop is hot, and every workspace field read costs a
    reference count.)"""
    segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres, rot)
    side = task.stance
    rest = 0.0
    mass = 0.0
    for s in range(N_SEG):
        mass += model.seg_mass[s]
        if s != THIGH_R + 2 * side and s != SHANK_R + 2 * side:
            rest += _com_z(model, R, o, s)
    iq = HIP_Q[side] + 1
    sgn = 1.0 if side == 0 else -1.0
    x0 = q[iq]
    f0 = frontal_offset(model, task, q, R, o, axes, centres, rot, rest, mass)
    x1 = x0 - sgn * f0 / 0.9
    for _ in range(8):
        q[iq] = x1  # frontal_offset leaves the leg placed at this angle
        f1 = frontal_offset(model, task, q, R, o, axes, centres, rot, rest, mass)
        if abs(x1 - x0) < 1e-10 or f1 == f0:
            return
        x0, x1, f0 = x1, x1 - f1 * (x1 - x0) / (f1 - f0), f1
    q[iq] = x1
    place_leg(q, side, model.hip_loc, model.knee_loc, R, o, axes, centres, rot)


@step
def posture(model, task, x, ws):
    """Step 1: the posture ``ws.q`` [rad] of the task with compensation ``x``,
    balanced in single-leg stance, and the frames placed at it."""
    q, R, o, axes, centres, rot = ws.q, ws.R, ws.o, ws.axes, ws.centres, ws.rot
    apply_compensation(task, x, q)
    if task.balance:
        balance_stance(model, task, q, R, o, axes, centres, rot)
    else:
        segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres,
                       rot)
