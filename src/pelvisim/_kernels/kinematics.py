"""Posture -> segment frames and degree-of-freedom axes (Numba).

Coordinates ``q`` follow :data:`pelvisim.conventions.COORDINATES` [rad]. Segment
order follows :data:`pelvisim.conventions.SEGMENTS`. See
:mod:`pelvisim.conventions` for the rotation sequences and signs.
"""
import numpy as np
from numba import njit

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


@njit(cache=True)
def rot_x(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


@njit(cache=True)
def rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


@njit(cache=True)
def rot_z(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


@njit(cache=True)
def matmul3(A, B):
    """3x3 product without a BLAS call (small fixed sizes are faster inline)."""
    C = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            C[i, j] = A[i, 0] * B[0, j] + A[i, 1] * B[1, j] + A[i, 2] * B[2, j]
    return C


@njit(cache=True)
def matvec3(A, v):
    out = np.empty(3)
    for i in range(3):
        out[i] = A[i, 0] * v[0] + A[i, 1] * v[1] + A[i, 2] * v[2]
    return out


@njit(cache=True)
def tmatvec3(A, v):
    """Transpose of A times v."""
    out = np.empty(3)
    for i in range(3):
        out[i] = A[0, i] * v[0] + A[1, i] * v[1] + A[2, i] * v[2]
    return out


@njit(cache=True)
def _three_axis_joint(R_parent, a, b, c, sa, sb, sc, R_child, axes, j0):
    """Body-fixed Rz(sa*a) Rx(sb*b) Ry(sc*c); writes child rotation and the three
    DOF axes (ground frame, signed so that +q turns about +axis)."""
    R1 = matmul3(R_parent, rot_z(sa * a))
    R2 = matmul3(R1, rot_x(sb * b))
    R_child[:, :] = matmul3(R2, rot_y(sc * c))
    for k in range(3):
        axes[j0, k] = sa * R_parent[k, 2]
        axes[j0 + 1, k] = sb * R1[k, 0]
        axes[j0 + 2, k] = sc * R2[k, 1]


@njit(cache=True)
def segment_frames(q, lumbar_loc, hip_loc, knee_loc, R, o, axes, centres):
    """Place every segment and every DOF axis in the ground frame.

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
    """
    Rp = matmul3(rot_z(-q[TILT]), rot_x(-q[LIST]))
    R[PELVIS] = Rp
    o[PELVIS] = 0.0
    # lumbar: Rz(-flex) Rx(bend) Ry(rot)
    _three_axis_joint(Rp, q[LFLEX], q[LBEND], q[LROT], -1.0, 1.0, 1.0, R[TRUNK], axes, 0)
    o[TRUNK] = matvec3(Rp, lumbar_loc)
    for k in range(3):
        centres[0, k] = centres[1, k] = centres[2, k] = o[TRUNK, k]
    for side in range(2):
        thigh = THIGH_R + 2 * side
        shank = SHANK_R + 2 * side
        j0 = 3 + 4 * side
        qi = HFLEX_R + 4 * side
        sgn = 1.0 - 2.0 * side  # adduction and rotation axes mirror on the left
        _three_axis_joint(Rp, q[qi], q[qi + 1], q[qi + 2], 1.0, sgn, sgn, R[thigh], axes, j0)
        o[thigh] = matvec3(Rp, hip_loc[side])
        R[shank] = matmul3(R[thigh], rot_z(-q[qi + 3]))
        o[shank] = o[thigh] + matvec3(R[thigh], knee_loc[side])
        for k in range(3):
            centres[j0, k] = centres[j0 + 1, k] = centres[j0 + 2, k] = o[thigh, k]
            axes[j0 + 3, k] = -R[thigh, k, 2]
            centres[j0 + 3, k] = o[shank, k]


@njit(cache=True)
def to_ground(R, o, seg, point):
    """Point fixed in segment ``seg`` -> ground [m]."""
    return o[seg] + matvec3(R[seg], point)
