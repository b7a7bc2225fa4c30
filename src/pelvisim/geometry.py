"""Muscle geometry at a posture, from Python (wraps the Numba kernels)."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._kernels.geometry import muscle_paths
from ._kernels.kinematics import segment_frames
from .conventions import COORD_INDEX, N_COORD, N_DOF
from .errors import TaskError

Geometry = namedtuple("Geometry", ["length", "moment_arm", "itb_length", "itb_moment_arm",
                                   "rotation", "origin", "path_points", "itb_points"])


def posture_vector(**angles_deg) -> np.ndarray:
    """Coordinates [rad] from named angles in degrees (``hip_flexion_r_deg=30``)."""
    q = np.zeros(N_COORD)
    for key, value in angles_deg.items():
        name = key[:-4] if key.endswith("_deg") else key
        if name not in COORD_INDEX:
            raise TaskError(f"posture: unknown angle {key!r}: allowed "
                             f"{', '.join(n + '_deg' for n in COORD_INDEX)}")
        q[COORD_INDEX[name]] = np.deg2rad(value)
    return q


def geometry(model, q) -> Geometry:
    """Lengths [m], moment arms [m] (dof x muscle), ITB geometry and segment
    frames of ``model`` at posture ``q`` [rad] (see :func:`posture_vector`)."""
    arr = model.arrays
    q = np.asarray(q, dtype=float)
    R = np.zeros((6, 3, 3)); o = np.zeros((6, 3))
    axes = np.zeros((N_DOF, 3)); centres = np.zeros((N_DOF, 3))
    segment_frames(q, arr.lumbar_loc, arr.hip_loc, arr.knee_loc, R, o, axes, centres,
                   np.zeros((3, 3, 3)))
    n = arr.fmax.shape[0]
    length = np.zeros(n); arm = np.zeros((N_DOF, n))
    pts = np.zeros((arr.path_seg.shape[0], 3))
    muscle_paths(R, o, axes, centres, arr.path_seg, arr.path_pt, arr.path_start, pts, length, arm)
    itb_len = np.zeros(2); itb_arm = np.zeros((N_DOF, 2))
    itb_pts = np.zeros((arr.itb_seg.shape[0], 3))
    muscle_paths(R, o, axes, centres, arr.itb_seg, arr.itb_pt, arr.itb_start, itb_pts,
                 itb_len, itb_arm)
    return Geometry(length, arm, itb_len, itb_arm, R, o, pts, itb_pts)
