"""Posture -> segment frames and degree-of-freedom axes (Numba).

Coordinates ``q`` follow :data:`pelvisim.conventions.COORDINATES` [rad]. Segment
order follows :data:`pelvisim.conventions.SEGMENTS`. See
:mod:`pelvisim.conventions` for the rotation sequences and signs.
"""
import numpy as np
from numba import njit

from .jit import step

# indices into q
TILT, LIST = 0, 1
LFLEX, LBEND, LROT = 2, 3, 4
HFLEX_R, HADD_R, HROT_R, KFLEX_R = 5, 6, 7, 8
HFLEX_L, HADD_L, HROT_L, KFLEX_L = 9, 10, 11, 12
# segment indices
TRUNK, PELVIS, THIGH_R, SHANK_R, THIGH_L, SHANK_L = 0, 1, 2, 3, 4, 5
N_SEG = 6
N_DOF = 11

# CHILD_SIDE[j, s]: segment s moves with degree of freedom j when the pelvis is held
CHILD_SIDE = np.zeros((N_DOF, N_SEG), dtype=np.bool_)
CHILD_SIDE[0:3, TRUNK] = True
CHILD_SIDE[3:6, THIGH_R] = True
CHILD_SIDE[3:7, SHANK_R] = True
CHILD_SIDE[7:10, THIGH_L] = True
CHILD_SIDE[7:11, SHANK_L] = True


@njit(cache=True, inline="always")
def _turn(A, ia, axis, angle, B, ib):
    """B[ib] = A[ia] @ R_axis(angle), for a rotation about a frame axis (0: x,
    1: y, 2: z), in place. Stacks and indices rather than (3, 3) views: a view
    costs two reference counts, and this runs in the balance loop."""
    c = np.cos(angle)
    s = np.sin(angle)
    # columns (u, v) of A turned into each other; the axis column is kept
    if axis == 0:
        u, v = 1, 2
    elif axis == 1:
        u, v = 2, 0
    else:
        u, v = 0, 1
    for i in range(3):
        au = A[ia, i, u]
        av = A[ia, i, v]
        B[ib, i, axis] = A[ia, i, axis]
        B[ib, i, u] = c * au + s * av
        B[ib, i, v] = -s * au + c * av


@step
def _three_axis_joint(R, parent, a, b, c, sa, sb, sc, S, child, axes, j0):
    """Body-fixed Rz(sa*a) Rx(sb*b) Ry(sc*c): R[child] from R[parent], and the
    three DOF axes (ground frame, signed so that +q turns about +axis);
    S (3, 3, 3) scratch (rows 0, 1)."""
    _turn(R, parent, 2, sa * a, S, 0)
    _turn(S, 0, 0, sb * b, S, 1)
    _turn(S, 1, 1, sc * c, R, child)
    for k in range(3):
        axes[j0, k] = sa * R[parent, k, 2]
        axes[j0 + 1, k] = sb * S[0, k, 0]
        axes[j0 + 2, k] = sc * S[1, k, 1]


@njit(cache=True, inline="always")
def _place(R, o, seg, parent, P, r):
    """o[seg] = o[parent] + R[parent] @ P[r], in place."""
    for i in range(3):
        o[seg, i] = (o[parent, i] + R[parent, i, 0] * P[r, 0] + R[parent, i, 1] * P[r, 1]
                     + R[parent, i, 2] * P[r, 2])


@njit(cache=True)
def segment_frames(q, lumbar_loc, hip_loc, knee_loc, R, o, axes, centres, scratch):
    """Place every segment and every DOF axis in the ground frame (no allocation).

    Parameters
    ----------
    q : ndarray (13,) [rad]
    lumbar_loc : ndarray (3,) [m] L5/S1 centre in the pelvis frame
    hip_loc : ndarray (2, 3) [m] hip centres in the pelvis frame (right, left)
    knee_loc : ndarray (2, 3) [m] knee centres in the thigh frames
    R : ndarray (6, 3, 3) out, segment orientation (segment -> ground)
    o : ndarray (6, 3) out [m], segment origins in ground (pelvis origin at 0)
    axes : ndarray (11, 3) out, unit DOF axes in ground
    centres : ndarray (11, 3) out [m], a point on each DOF axis
    scratch : ndarray (3, 3, 3) work
    """
    # pelvis: Rz(-tilt) Rx(-list)
    for i in range(3):
        for k in range(3):
            scratch[2, i, k] = 1.0 if i == k else 0.0
    _turn(scratch, 2, 2, -q[TILT], scratch, 0)
    _turn(scratch, 0, 0, -q[LIST], R, PELVIS)
    for k in range(3):
        o[PELVIS, k] = 0.0
    # lumbar: Rz(-flex) Rx(bend) Ry(rot)
    _three_axis_joint(R, PELVIS, q[LFLEX], q[LBEND], q[LROT], -1.0, 1.0, 1.0, scratch, TRUNK,
                      axes, 0)
    for i in range(3):
        o[TRUNK, i] = (R[PELVIS, i, 0] * lumbar_loc[0] + R[PELVIS, i, 1] * lumbar_loc[1]
                       + R[PELVIS, i, 2] * lumbar_loc[2])
    for k in range(3):
        centres[0, k] = centres[1, k] = centres[2, k] = o[TRUNK, k]
    for side in range(2):
        place_leg(q, side, hip_loc, knee_loc, R, o, axes, centres, scratch)


@step
def place_leg(q, side, hip_loc, knee_loc, R, o, axes, centres, scratch):
    """Thigh and shank frames and the hip and knee axes of one leg (0: right),
    the pelvis placed (see :func:`segment_frames`)."""
    thigh = THIGH_R + 2 * side
    shank = SHANK_R + 2 * side
    j0 = 3 + 4 * side
    qi = HFLEX_R + 4 * side
    sgn = 1.0 - 2.0 * side  # adduction and rotation axes mirror on the left
    _three_axis_joint(R, PELVIS, q[qi], q[qi + 1], q[qi + 2], 1.0, sgn, sgn, scratch, thigh,
                      axes, j0)
    _place(R, o, thigh, PELVIS, hip_loc, side)
    _turn(R, thigh, 2, -q[qi + 3], R, shank)
    _place(R, o, shank, thigh, knee_loc, side)
    for k in range(3):
        centres[j0, k] = centres[j0 + 1, k] = centres[j0 + 2, k] = o[thigh, k]
        axes[j0 + 3, k] = -R[thigh, k, 2]
        centres[j0 + 3, k] = o[shank, k]
