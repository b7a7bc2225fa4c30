"""One model evaluation, posture -> loads, as a chain of steps (Numba).

The data path of SPEC section 2, one step per job, all on one
:class:`~.workspace.Workspace` (no allocation per point):

posture steps (depend on the posture only; run once per posture)
    :func:`.posture.posture` (compensation, balance, segment frames) ->
    :func:`.geometry.paths` (muscle and ITB paths, lengths, moment arms) ->
    :func:`.capacity.fibre_forces`, :func:`.capacity.itb_band` (capacity and
    passive forces) -> :func:`.passive.passive_joint_moments` (joint tissues)
    -> :func:`.statics.demand` (external loads, demanded moments) ->
    :func:`.floor.floor_pair` (double stance) -> :func:`.reactions.cut_sets`
    (free bodies of the joint reactions; only for the points reported)
point steps (per strength vector)
    :func:`.recruit.recruit` (assemble, static optimization, floor pair) ->
    :func:`finish` (forces, ITB tension via :func:`.reactions.itb_tension`,
    hip contact and L5/S1 via :func:`.reactions.joint_loads`)

``model`` and ``task`` are the named tuples built by :mod:`pelvisim.model` and
:mod:`pelvisim.task_library`. Nothing here raises.
"""
import numpy as np
from numba import njit

from .jit import ref, release, step
from .capacity import fibre_forces, itb_band
from .floor import floor_pair
from .geometry import muscle_paths
from .kinematics import N_SEG, segment_frames
from .passive import passive_joint_moments
from .posture import posture
from .reactions import itb_tension, joint_loads
from .statics import demand, demanded_moments, external_loads


@step
def paths(model, ws):
    """Step: muscle and ITB path points, lengths [m] and moment arms [m]."""
    muscle_paths(ws.R, ws.o, ws.axes, ws.centres, model.path_seg, model.path_pt,
                 model.path_start, ws.pts, ws.length, ws.arm)
    muscle_paths(ws.R, ws.o, ws.axes, ws.centres, model.itb_seg, model.itb_pt,
                 model.itb_start, ws.itb_pts, ws.itb_len, ws.itb_arm)


@step
def posture_steps(model, task, x, ws):
    """Every step that depends on the posture only, at compensation ``x`` [rad]."""
    posture(model, task, x, ws)
    paths(model, ws)
    fibre_forces(model, ws.length, ws.cap, ws.fp)
    itb_band(model, ws.itb_len, ws.itb_passive)
    passive_joint_moments(model.pj_nz, model.pj_a, model.pj_b, model.pj_range, ws.q, ws.tissue)
    demand(model, task, ws)
    floor_pair(model, task, ws)


@step
def finish(model, pair, q, act, force, reserve, tau, passive, itb, hip, l5s1, ws):
    """Step: the outputs of a recruited point (``ws.act``, ``ws.res``), the
    cuts placed by :func:`.reactions.cut_sets`.

    q (13,) [rad] posture used; act (n,) activation, tone included; force (n,)
    [N] (active + passive); reserve (m,) [N m]; tau (m,) [N m] demanded
    moments, with those of the floor pair (double stance); passive (m,) [N m]
    the joint tissues' moments; itb (2,) [N]; hip
    (2, 2, 3) [N]; l5s1 (3,) [N] (see :func:`.reactions.joint_loads`).
    """
    for k in range(q.shape[0]):
        q[k] = ws.q[k]
    for j in range(tau.shape[0]):
        tau[j] = ws.tau_load[j] + ws.g[j] * pair
        reserve[j] = ws.res[j]
        passive[j] = ws.tissue[j]
    for i in range(act.shape[0]):
        act[i] = ws.act[i] + model.tone[i]  # reported activation: tone + recruited
        force[i] = act[i] * ws.fa[i] + ws.fp[i]
    itb_tension(model, ws, force, itb)
    joint_loads(model, ws, force, pair, hip, l5s1)


@njit(cache=True)
def static_moments(model, task, q, tau):
    """Moments [N m] the task's loads demand at posture ``q`` (no offset)."""
    m = tau.shape[0]
    R = np.zeros((N_SEG, 3, 3))
    o = np.zeros((N_SEG, 3))
    axes = np.zeros((m, 3))
    centres = np.zeros((m, 3))
    segment_frames(q, model.lumbar_loc, model.hip_loc, model.knee_loc, R, o, axes, centres,
                   np.zeros((3, 3, 3)))
    E = 2 * N_SEG + task.load_seg.shape[0] + 4
    lseg = np.zeros(E, dtype=np.int64)
    lpt = np.zeros((E, 3))
    lf = np.zeros((E, 3))
    mr, tr = ref(model), ref(task)
    ne = external_loads(mr, tr, R, o, lseg, lpt, lf)
    release(tr)
    release(mr)
    demanded_moments(axes, centres, task.root, lseg[:ne], lpt[:ne], lf[:ne], tau)
