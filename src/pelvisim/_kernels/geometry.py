"""Muscle paths: lengths, moment arms and the forces they put on segments (Numba).

A path is a polyline through points fixed in segments (origin, via points,
insertion). The moment arm of muscle i about DOF j is ``-dL_i/dq_j`` (virtual
work), computed in closed form: moving DOF j turns the segments on its child
side about axis u_j through c_j, so for a path piece from a (segment s_a) to b
(segment s_b) with unit direction e,
``r_ij += [s_a moves] u.((a-c) x e) - [s_b moves] u.((b-c) x e)``.
"""
import numpy as np
from numba import njit

from .jit import step
from .kinematics import CHILD_SIDE


@step
def path_points_ground(R, o, path_seg, path_pt, out):
    for k in range(path_seg.shape[0]):
        s = path_seg[k]
        for i in range(3):
            out[k, i] = (o[s, i] + R[s, i, 0] * path_pt[k, 0] + R[s, i, 1] * path_pt[k, 1]
                         + R[s, i, 2] * path_pt[k, 2])


@njit(cache=True)
def muscle_paths(R, o, axes, centres, path_seg, path_pt, path_start, pts, length, moment_arm):
    """Lengths [m] and moment arms [m] of every path.

    Parameters
    ----------
    R, o : segment frames from :func:`segment_frames`
    axes, centres : DOF axes and centres from :func:`segment_frames`
    path_seg : ndarray (P,) int, segment of each path point
    path_pt : ndarray (P, 3) [m], path points in their segment frames
    path_start : ndarray (n + 1,) int, path i is points path_start[i]:path_start[i+1]
    pts : ndarray (P, 3) work/out [m], path points in ground
    length : ndarray (n,) out [m]
    moment_arm : ndarray (m, n) out [m]
    """
    path_points_ground(R, o, path_seg, path_pt, pts)
    n = path_start.shape[0] - 1
    m = axes.shape[0]
    for j in range(moment_arm.shape[0]):
        for i in range(moment_arm.shape[1]):
            moment_arm[j, i] = 0.0
    for i in range(n):
        L = 0.0
        for k in range(path_start[i], path_start[i + 1] - 1):
            d0 = pts[k + 1, 0] - pts[k, 0]
            d1 = pts[k + 1, 1] - pts[k, 1]
            d2 = pts[k + 1, 2] - pts[k, 2]
            seg_len = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            L += seg_len
            sa = path_seg[k]
            sb = path_seg[k + 1]
            if sa == sb:
                continue  # a piece within one segment moves with it: no moment arm
            e0 = d0 / seg_len
            e1 = d1 / seg_len
            e2 = d2 / seg_len
            for j in range(m):
                ma = CHILD_SIDE[j, sa]
                mb = CHILD_SIDE[j, sb]
                if ma == mb:
                    continue
                kp = k if ma else k + 1
                sign = 1.0 if ma else -1.0
                r0 = pts[kp, 0] - centres[j, 0]
                r1 = pts[kp, 1] - centres[j, 1]
                r2 = pts[kp, 2] - centres[j, 2]
                # u . (r x e)
                val = (axes[j, 0] * (r1 * e2 - r2 * e1)
                       + axes[j, 1] * (r2 * e0 - r0 * e2)
                       + axes[j, 2] * (r0 * e1 - r1 * e0))
                moment_arm[j, i] += sign * val
        length[i] = L


@step
def path_force_on_set(pts, path_seg, path_start, i, in_set, out):
    """Force [N per N of tension] that path i exerts on the segments in ``in_set``
    (the pieces crossing the set's boundary pull on it)."""
    out[0] = 0.0
    out[1] = 0.0
    out[2] = 0.0
    for k in range(path_start[i], path_start[i + 1] - 1):
        ia = in_set[path_seg[k]]
        ib = in_set[path_seg[k + 1]]
        if ia == ib:
            continue
        d0 = pts[k + 1, 0] - pts[k, 0]
        d1 = pts[k + 1, 1] - pts[k, 1]
        d2 = pts[k + 1, 2] - pts[k, 2]
        inv = (1.0 if ia else -1.0) / np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        out[0] += d0 * inv
        out[1] += d1 * inv
        out[2] += d2 * inv
