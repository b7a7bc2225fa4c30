"""Unit tests of the kernel steps (pelvisim._kernels), each against a law or an
independent computation, and of the compensation search on functions with a
known minimum."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pelvisim
from pelvisim._kernels import capacity, compensation, floor, reactions, recruit, statics
from pelvisim._kernels import gradient_search as search
from pelvisim._kernels.kinematics import segment_frames
from pelvisim._kernels.jit import from_python
from pelvisim._kernels.pipeline import posture_steps as _posture_steps
from pelvisim._kernels.workspace import new_workspace as _new_workspace
from pelvisim.conventions import GRAVITY, N_COORD

# steps have no CPython wrapper (pelvisim/_kernels/jit.py): called through jitted callers
posture_steps = from_python(_posture_steps)
new_workspace = from_python(_new_workspace)
fibre_forces = from_python(capacity.fibre_forces)
recruit_step = from_python(recruit.recruit)
assemble = from_python(recruit.assemble)
cut_sets = from_python(reactions.cut_sets)
joint_loads = from_python(reactions.joint_loads)
compensation_cost = from_python(compensation.compensation_cost)


TASKS = {"single_leg_stance": {}, "standing": {},
         "forward_bend": {"trunk_flexion_deg": 40, "hand_load_kg": 10}}


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


@pytest.fixture(scope="module")
def placed(model):
    """Workspaces after the posture steps, per task."""
    out = {}
    for name, kw in TASKS.items():
        ta = pelvisim.task(name, **kw).arrays(model)
        ws = new_workspace(model.arrays, ta, 0)
        posture_steps(model.arrays, ta, np.zeros(2), ws)
        out[name] = (ta, ws)
    return out


def test_segment_frames_match_rotation_matrices(model):
    """The in-place rotations equal the products of the textbook matrices
    (conventions.py's sequences) at a random posture."""
    arr = model.arrays
    q = np.random.default_rng(3).uniform(-0.6, 0.6, N_COORD)
    R, o = np.zeros((6, 3, 3)), np.zeros((6, 3))
    segment_frames(q, arr.lumbar_loc, arr.hip_loc, arr.knee_loc, R, o, np.zeros((11, 3)),
                   np.zeros((11, 3)), np.zeros((3, 3, 3)))
    Rp = _rz(-q[0]) @ _rx(-q[1])
    assert_allclose(R[1], Rp, atol=1e-14)
    assert_allclose(R[0], Rp @ _rz(-q[2]) @ _rx(q[3]) @ _ry(q[4]), atol=1e-14)
    thigh_r = Rp @ _rz(q[5]) @ _rx(q[6]) @ _ry(q[7])
    assert_allclose(R[2], thigh_r, atol=1e-14)
    assert_allclose(R[3], thigh_r @ _rz(-q[8]), atol=1e-14)
    assert_allclose(R[4], Rp @ _rz(q[9]) @ _rx(-q[10]) @ _ry(-q[11]), atol=1e-14)
    assert_allclose(o[2], Rp @ arr.hip_loc[0], atol=1e-15)
    assert_allclose(o[3], o[2] + thigh_r @ arr.knee_loc[0], atol=1e-15)
    for s in range(6):
        assert_allclose(R[s] @ R[s].T, np.eye(3), atol=1e-14)


@pytest.mark.parametrize("name", ["standing", "forward_bend"])
def test_external_loads_balance_in_double_stance(model, placed, name):
    """Double stance: weights, hand load and both feet's reactions sum to zero
    force and zero moment about the pelvis origin (rigid-body equilibrium)."""
    ta, ws = placed[name]
    ne = ws.n_loads[0]
    f, p = ws.lf[:ne], ws.lpt[:ne]
    weight = model.arrays.seg_mass.sum() * GRAVITY + ta.load_f[:, 1].sum() * -1.0
    assert_allclose(-f[:-2, 1].sum(), weight, rtol=1e-12)
    assert_allclose(f.sum(axis=0), 0.0, atol=1e-9)
    assert_allclose(np.cross(p, f).sum(axis=0), 0.0, atol=1e-9)


def test_balance_puts_the_centre_of_mass_over_the_stance_foot(model, placed):
    ta, ws = placed["single_leg_stance"]
    arr = model.arrays
    com = sum(arr.seg_mass[s] * (ws.o[s] + ws.R[s] @ arr.seg_com[s]) for s in range(6))
    com /= arr.seg_mass.sum()
    foot = ws.o[3] + ws.R[3] @ arr.foot_pt[0]
    assert abs(com[2] - foot[2]) < 1e-9


def test_fibre_forces_at_optimal_length(model):
    """At the optimal fibre length the active capacity is Fmax; below the
    passive slack length the passive force is zero."""
    arr = model.arrays
    n = arr.fmax.shape[0]
    length = arr.lts + arr.lopt * arr.cos_penn
    cap, fp = np.zeros(n), np.zeros(n)
    fibre_forces(arr, length, cap, fp)
    assert_allclose(cap, arr.fmax, rtol=1e-14)
    short = np.minimum(length, arr.passive_slack) - 1e-3
    fibre_forces(arr, short, cap, fp)
    assert np.all(fp == 0.0)
    fa = np.zeros(n)
    capacity.active_capacity(np.full(n, 0.5), cap, fa)
    assert_allclose(fa, 0.5 * cap, rtol=0)


@pytest.mark.parametrize("name", list(TASKS))
def test_recruit_satisfies_the_equilibrium(model, placed, name):
    """M a + r = rhs + g pair (floor pair in double stance), 0 <= a <= ub."""
    ta, ws = placed[name]
    arr = model.arrays
    st, it, obj, pair = recruit_step(arr, ta, model.strength, np.nan, 1e-10, 100, False, ws, np.inf)
    assert st == 0
    assemble(arr, model.strength, ws)
    lhs = ws.M @ ws.act + ws.res
    assert_allclose(lhs, ws.rhs + ws.g * pair, atol=1e-6)
    assert np.all(ws.act >= 0) and np.all(ws.act <= arr.upper + 1e-12)
    if ta.support == statics.DOUBLE:
        assert abs(pair) <= ws.limit[0] + 1e-9


def test_free_ground_pair_recovers_the_pair():
    """Eliminating the pair and recovering it from the pivot row solves the
    original system M a = rhs + g f (a random consistent system)."""
    rng = np.random.default_rng(7)
    m, n = 11, 20
    M = rng.normal(size=(m, n))
    a = rng.uniform(size=n)
    g = rng.normal(size=m)
    f = 37.0
    rhs = M @ a - g * f
    M1, rhs1 = M.copy(), rhs.copy()
    floor.free_ground_pair(M1, rhs1, g)
    assert_allclose(M1 @ a, rhs1, atol=1e-10)     # a still solves the reduced rows
    assert np.all(M1[floor.PAIR_PIVOT] == 0.0)
    assert_allclose(floor.ground_pair_force(g, M, rhs, a), f, rtol=1e-10)


@pytest.mark.parametrize("name", list(TASKS))
def test_joint_loads_match_a_free_body_sum(model, placed, name):
    """Hip contact and L5/S1 loads equal minus the sum of every force on the
    free side of each cut, written out from the path points in Python."""
    ta, ws = placed[name]
    arr = model.arrays
    n = arr.fmax.shape[0]
    cut_sets(arr, ta, ws)
    force = np.random.default_rng(1).uniform(0, 300, n)
    pair = 12.0 if ta.support == statics.DOUBLE else 0.0
    hip, l5s1 = np.zeros((2, 2, 3)), np.zeros(3)
    joint_loads(arr, ws, force, pair, hip, l5s1)
    ne = ws.n_loads[0]

    def pull(pts, seg, start, i, in_set):
        out = np.zeros(3)
        for k in range(start[i], start[i + 1] - 1):
            a, b = in_set[seg[k]], in_set[seg[k + 1]]
            if a != b:
                d = pts[k + 1] - pts[k]
                out += (1 if a else -1) * d / np.linalg.norm(d)
        return out

    for c in range(3):
        in_set = ws.in_set[c]
        total = sum((ws.lf[e] for e in range(ne) if in_set[ws.lseg[e]]), np.zeros(3))
        if ta.support == statics.DOUBLE:
            for k, sgn in ((ne - 2, 1.0), (ne - 1, -1.0)):
                if in_set[ws.lseg[k]]:
                    total = total + np.array([0, 0, sgn * pair])
        for i in range(n):
            total = total + force[i] * pull(ws.pts, arr.path_seg, arr.path_start, i, in_set)
        for s in range(2):
            total = total + ws.itb_passive[s] * pull(ws.itb_pts, arr.itb_seg, arr.itb_start, s,
                                                     in_set)
        if c == 0:
            normal = ws.R[1] @ arr.disc_normal
            lig = arr.lig_share * max(0.0, -ws.tissue[0]) / arr.lig_arm
            assert_allclose(l5s1[0], -total @ normal + lig, rtol=1e-12, atol=1e-8)
            assert_allclose(l5s1[1], total @ (ws.R[1] @ arr.disc_ap), rtol=1e-12, atol=1e-8)
        else:
            side = c - 1
            on_femur = -total if in_set[2 + 2 * side] else total
            assert_allclose(hip[side, 0], ws.R[1].T @ on_femur, rtol=1e-12, atol=1e-8)


# ------------------------------------------------------------------ search
def _minimise(fun, nvar, lo, hi, step=0.1, xtol=1e-6, max_eval=400, grid=5):
    state = search.new_search(nvar, np.asarray(lo, float), np.asarray(hi, float), step, xtol,
                          max_eval, grid)
    x = np.zeros(2)
    seen = []
    while search.ask(state, x):
        seen.append(x.copy())
        search.tell(state, fun(x))
    cost, success, evals = search.result(state, x)
    return x, cost, success, evals, np.array(seen)


def test_search_finds_an_interior_minimum():
    """f = (x0 - 0.3)^2 + 10 (x1 + 0.2)^2: minimum 0 at (0.3, -0.2)."""
    x, cost, ok, evals, seen = _minimise(lambda x: (x[0] - 0.3) ** 2 + 10 * (x[1] + 0.2) ** 2,
                                         2, [-1, -1], [1, 1])
    assert ok and evals == len(seen)
    assert_allclose(x, [0.3, -0.2], atol=1e-5)
    assert cost < 1e-9


def test_search_finds_a_minimum_on_the_bound_and_never_asks_outside():
    """Minimum of (x0 - 2)^2 + x1^2 over [-1, 1]^2 is at the bound x0 = 1."""
    x, cost, ok, _, seen = _minimise(lambda x: (x[0] - 2) ** 2 + x[1] ** 2, 2, [-1, -1], [1, 1])
    assert np.all(seen >= -1) and np.all(seen <= 1)
    assert_allclose(x, [1.0, 0.0], atol=1e-5)
    assert_allclose(cost, 1.0, atol=1e-8)


def test_search_grid_start_picks_the_deeper_basin():
    """Two basins, the deeper at x = -0.8: a local search from 0 would go to
    +0.5 (the nearer, shallower one); the grid start finds -0.8."""
    f = lambda x: min((x[0] - 0.5) ** 2, (x[0] + 0.8) ** 2 - 0.1)  # noqa: E731
    x, cost, ok, _, _ = _minimise(f, 1, [-1, 0], [1, 0])
    assert_allclose(x[0], -0.8, atol=1e-5)
    assert_allclose(cost, -0.1, atol=1e-9)


def test_search_rosenbrock_and_budget():
    """Rosenbrock's minimum (1, 1) inside [-2, 2]^2; with a budget of 30
    evaluations it stops early and says so."""
    rosen = lambda x: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2  # noqa: E731
    x, cost, ok, evals, _ = _minimise(rosen, 2, [-2, -2], [2, 2], step=0.5, xtol=1e-8,
                                      max_eval=2000)
    assert ok
    assert_allclose(x, [1, 1], atol=1e-4)
    _, _, ok, evals, _ = _minimise(rosen, 2, [-2, -2], [2, 2], max_eval=30)
    assert not ok and evals <= 33


def test_posture_cost_bound_skips_solves_and_changes_nothing(model):
    """The optimal search told the posture cost (a lower bound: the effort is
    >= 0) instead of the cost wherever :func:`cutoff` says the value no longer
    matters gives the bitwise same search, with fewer recruitment solves."""
    from pelvisim._kernels.compensation import GRID
    from pelvisim._kernels.workspace import GRID_SLOTS
    from pelvisim.simulate import (SolverOptions, _compensation_setup, criterion_arrays,
                                   posture_cost_weights)

    task = pelvisim.task("single_leg_stance")
    arr, ta = criterion_arrays(model, "activation_squared"), task.arrays(model)
    strength = model.strength.copy()
    strength[np.concatenate([model.resolve(g) for g in ("gluteus_medius", "gluteus_minimus")])] = 0.5
    _, nvar, lo, hi, _ = _compensation_setup(model, task, ta, "optimal", 1)
    weight = posture_cost_weights(model, task)
    scale = model.params.compensation.angle_scale
    opts = SolverOptions()

    def run(prune):
        ws = new_workspace(arr, ta, GRID_SLOTS)
        state = search.new_search(nvar, lo, hi, 0.5 * scale, opts.search_xtol,
                                  opts.search_max_evaluations, GRID)
        x, skipped, values = np.zeros(2), 0, []
        while search.ask(state, x):
            enough = search.cutoff(state) if prune else np.inf
            skipped += float(weight[:nvar] @ (x[:nvar] / scale) ** 2) >= enough
            values.append(compensation_cost(arr, ta, strength, x, nvar, scale, weight, opts.tol,
                                            opts.max_iter, ws, search.grid_slot(state), enough,
                                            False))
            search.tell(state, values[-1])
        return search.result(state, x), x.copy(), skipped

    (cost, ok, evals), x, skipped = run(prune=False)
    (cost_p, ok_p, evals_p), x_p, skipped_p = run(prune=True)
    assert skipped == 0 and skipped_p >= 10  # measured: 20 of the 37 evaluations
    assert (cost_p, ok_p, evals_p) == (cost, ok, evals) and ok
    assert x_p.tobytes() == x.tobytes()
