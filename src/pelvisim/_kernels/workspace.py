"""The work arrays of one thread's share of a batch (Python side).

Every kernel step reads and writes the arrays of one :class:`Workspace`,
allocated once per block of points by :func:`new_workspace`, so that no step
allocates per point. The posture steps fill the frames, paths, passive forces,
external loads and cut sets; the point steps overwrite only the recruitment
arrays (``fa``, ``M``, ``rhs``, ``M0``, ``rhs0``, ``act``, ``res``, ``lam`` and
the solver's work), so a block of points at one posture runs the posture steps
once.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._recruitment_kernel import _new_work
from .kinematics import N_DOF, N_SEG

N_CUT = 3  # joint-reaction cuts: L5/S1, right hip, left hip

Workspace = namedtuple("Workspace", [
    # posture and frames
    "q", "R", "o", "axes", "centres", "rot",
    # muscle and ITB paths
    "pts", "length", "arm", "itb_pts", "itb_len", "itb_arm",
    # forces that depend on the posture only: capacity at full strength [N],
    # passive fibre force [N], passive ITB tension [N], joint-tissue moments [N m]
    "cap", "fp", "itb_passive", "tissue",
    # external loads and the moments they demand [N m] (task offset included)
    "lseg", "lpt", "lf", "n_loads", "tau_load",
    # floor pair (double stance): moments per N [N m / N], friction limit [N],
    # the pair's unit forces on the feet
    "g", "limit", "pair_f",
    # recruitment problem and solution (per point)
    "fa", "M", "rhs", "M0", "rhs0", "act", "res", "lam",
    "wn", "wm", "HL", "Gc", "idx",
    # joint-reaction cuts: free side, external load, pair direction, unit
    # muscle and ITB forces on the free side, disc axes (normal, ap, lateral)
    "in_set", "cut_load", "cut_pair", "cut_dir", "cut_itb", "disc",
])


def new_workspace(model, task) -> Workspace:
    """Work arrays for points of ``task`` (TaskArrays) on ``model`` (ModelArrays)."""
    n = model.fmax.shape[0]
    m = N_DOF
    E = 2 * N_SEG + task.load_seg.shape[0] + 4  # weights, d'Alembert, task loads, feet, pair
    wn, wm, HL, Gc, idx = _new_work(m, n)
    z = np.zeros
    return Workspace(
        q=z(m + 2), R=z((N_SEG, 3, 3)), o=z((N_SEG, 3)), axes=z((m, 3)), centres=z((m, 3)),
        rot=z((3, 3, 3)),
        pts=z((model.path_seg.shape[0], 3)), length=z(n), arm=z((m, n)),
        itb_pts=z((model.itb_seg.shape[0], 3)), itb_len=z(2), itb_arm=z((m, 2)),
        cap=z(n), fp=z(n), itb_passive=z(2), tissue=z(m),
        lseg=z(E, dtype=np.int64), lpt=z((E, 3)), lf=z((E, 3)), n_loads=z(1, dtype=np.int64),
        tau_load=z(m), g=z(m), limit=z(1), pair_f=z((2, 3)),
        fa=z(n), M=z((m, n)), rhs=z(m), M0=z((m, n)), rhs0=z(m), act=z(n), res=z(m), lam=z(m),
        wn=wn, wm=wm, HL=HL, Gc=Gc, idx=idx,
        in_set=z((N_CUT, N_SEG), dtype=np.bool_), cut_load=z((N_CUT, 3)),
        cut_pair=z((N_CUT, 3)), cut_dir=z((N_CUT, n, 3)), cut_itb=z((N_CUT, 2, 3)),
        disc=z((3, 3)),
    )
