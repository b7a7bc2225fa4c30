"""The work arrays of one thread's share of a batch.

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
from .compensation import GRID
from .jit import step
from .kinematics import N_DOF, N_SEG

N_CUT = 3  # joint-reaction cuts: L5/S1, right hip, left hip
GRID_SLOTS = 1 + GRID * GRID  # x = 0 and the start grid of two angles

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
    # optimal compensation: what the recruitment needs of the posture steps at
    # each point of the start grid (x = 0 first), the same for every point of
    # a block; grid_ready[k]: slot k filled
    "grid_ready", "grid_arm", "grid_cap", "grid_fp", "grid_itb_arm", "grid_itb_passive",
    "grid_tissue", "grid_tau", "grid_g", "grid_limit",
])


@step
def new_workspace(model, task, grid_slots):
    """Work arrays for points of ``task`` (TaskArrays) on ``model``
    (ModelArrays), with ``grid_slots`` slots of the optimal search's start
    grid (``GRID_SLOTS``; 0 when there is no search: they are 0.2 MB to
    zero). A step: a batch kernel allocates its own (from Python, through
    ``jit.from_python``)."""
    n = model.fmax.shape[0]
    m = N_DOF
    E = 2 * N_SEG + task.load_seg.shape[0] + 4  # weights, d'Alembert, task loads, feet, pair
    wn, wm, HL, Gc, idx = _new_work(m, n)
    G = grid_slots
    P = model.path_seg.shape[0]
    Pi = model.itb_seg.shape[0]
    f8 = np.float64
    return Workspace(
        np.zeros(m + 2), np.zeros((N_SEG, 3, 3)), np.zeros((N_SEG, 3)), np.zeros((m, 3)),
        np.zeros((m, 3)), np.zeros((3, 3, 3)),
        np.zeros((P, 3)), np.zeros(n), np.zeros((m, n)), np.zeros((Pi, 3)), np.zeros(2),
        np.zeros((m, 2)),
        np.zeros(n), np.zeros(n), np.zeros(2), np.zeros(m),
        np.zeros(E, dtype=np.int64), np.zeros((E, 3)), np.zeros((E, 3)),
        np.zeros(1, dtype=np.int64), np.zeros(m),
        np.zeros(m), np.zeros(1), np.zeros((2, 3), dtype=f8),
        np.zeros(n), np.zeros((m, n)), np.zeros(m), np.zeros((m, n)), np.zeros(m), np.zeros(n),
        np.zeros(m), np.zeros(m),
        wn, wm, HL, Gc, idx,
        np.zeros((N_CUT, N_SEG), dtype=np.bool_), np.zeros((N_CUT, 3)), np.zeros((N_CUT, 3)),
        np.zeros((N_CUT, n, 3)), np.zeros((N_CUT, 2, 3)), np.zeros((3, 3)),
        np.zeros(G, dtype=np.bool_), np.zeros((G, m, n)), np.zeros((G, n)), np.zeros((G, n)),
        np.zeros((G, m, 2)), np.zeros((G, 2)), np.zeros((G, m)), np.zeros((G, m)),
        np.zeros((G, m)), np.zeros(G),
    )
