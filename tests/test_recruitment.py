"""Tests of the static-optimization solver (pelvisim.recruitment)."""

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from pelvisim import recruitment as rec
from pelvisim._recruitment_kernel import solve_one

M_DOF, N_MUS = 11, 60


def random_problem(rng, batch=None, m=M_DOF, n=N_MUS, a_max=0.5):
    """Moment-arm-like M [N m] with mixed signs; tau = M a_true, feasible by construction."""
    shape = () if batch is None else (batch,)
    arm = rng.uniform(-0.08, 0.08, shape + (m, n))  # [m]
    fmax = rng.uniform(100.0, 2000.0, shape + (1, n))  # [N]
    M = arm * fmax
    a_true = rng.uniform(0.0, a_max, shape + (n,))
    tau = np.einsum("...mn,...n->...m", M, a_true)
    return M, tau


def check_kkt(M, tau, res, w, ub, p, rho, tol_stat):
    """Equilibrium, r = lam / (2 rho), stationarity and sign conditions at the bounds."""
    a = res.activation[0]
    r = res.reserve[0]
    lam = res.multiplier[0]
    assert np.all(a >= 0.0) and np.all(a <= ub)
    atol = rec.SolverOptions().tol * (1 + np.abs(tau).max())
    assert_allclose(M @ a + r, tau, rtol=0, atol=atol)
    assert_allclose(M @ a + lam / (2 * rho), tau, rtol=0, atol=atol)
    grad = p * w * a ** (p - 1) - M.T @ lam  # gradient of the Lagrangian in a
    scale = tol_stat * (1.0 + np.abs(M.T @ lam).max())
    free = (a > 1e-12) & (a < ub - 1e-12)
    assert np.all(np.abs(grad[free]) <= scale)
    assert np.all(grad[a <= 1e-12] >= -scale)  # at 0: cost rises faster than the help
    assert np.all(grad[a >= ub - 1e-12] <= scale)  # at ub: would like more


# --- closed forms -----------------------------------------------------------------


def test_one_dof_two_muscles_closed_form():
    # min a1^2 + a2^2 s.t. 100 a1 + 50 a2 = 60  ->  a = 60 (100, 50) / (100^2 + 50^2)
    M = np.array([[100.0, 50.0]])
    tau = np.array([60.0])
    res = rec.solve(M, tau)
    expected = 60.0 * np.array([100.0, 50.0]) / (100.0**2 + 50.0**2)
    assert res.activation.shape == (1, 2) and res.reserve.shape == (1, 1)
    assert_allclose(res.activation[0], expected, rtol=0, atol=2e-6)
    assert abs(res.reserve[0, 0]) < 1e-3
    assert res.status[0] == rec.CONVERGED and res.feasible[0]


def test_one_dof_two_muscles_bound_active():
    # Unbounded optimum a = 90 (100, 50) / 12500 = (0.72, 0.36); a1 > ub1 = 0.5, so
    # a1 = 0.5 and a2 = (90 - 50) / 50 = 0.8.
    M = np.array([[100.0, 50.0]])
    res = rec.solve(M, np.array([90.0]), upper=np.array([0.5, 1.0]))
    assert_allclose(res.activation[0], [0.5, 0.8], rtol=0, atol=1e-5)
    assert res.feasible[0] and res.status[0] == rec.CONVERGED


def test_one_dof_weights_and_exponent_closed_form():
    # min w1 a1^3 + w2 a2^3 s.t. a1 + a2 = 1 (unit moments), 3 w1 a1^2 = 3 w2 a2^2.
    M = np.array([[10.0, 10.0]])
    w = np.array([1.0, 4.0])
    res = rec.solve(M, np.array([10.0]), exponent=3.0, weights=w)
    a1 = 1.0 / (1.0 + np.sqrt(w[0] / w[1]))
    assert_allclose(res.activation[0], [a1, 1.0 - a1], rtol=0, atol=1e-5)


# --- KKT (property based) -----------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), p=st.sampled_from([2.0, 2.5, 3.0, 4.0]),
       m=st.integers(1, 11), n=st.integers(1, 90))
def test_kkt_random_feasible(seed, p, m, n):
    rng = np.random.default_rng(seed)
    M, tau = random_problem(rng, m=m, n=n)
    M[:, rng.random(n) < 0.1] = 0.0  # absent muscles
    tau = M @ rng.uniform(0.0, 0.5, n)
    w = rng.uniform(0.5, 2.0, n)
    ub = rng.uniform(0.6, 1.0, n)
    res = rec.solve(M, tau, exponent=p, weights=w, upper=ub)
    assert res.status[0] == rec.CONVERGED
    assert np.all(np.isfinite(res.activation)) and np.all(np.isfinite(res.reserve))
    check_kkt(M, tau, res, w, ub, p, rec.DEFAULT_RESERVE_WEIGHT, tol_stat=1e-6)
    assert res.feasible[0]


# --- parity with the SciPy reference ------------------------------------------------


def test_parity_with_reference_default_size():
    rng = np.random.default_rng(7)
    M, tau = random_problem(rng, batch=12)
    fast = rec.solve(M, tau)
    ref = rec.solve_reference(M, tau)
    assert np.all(fast.status == rec.CONVERGED) and np.all(ref.status == rec.CONVERGED)
    assert np.max(np.abs(fast.activation - ref.activation)) <= 1e-6
    assert np.all(fast.objective <= ref.objective + 1e-9)


def test_parity_exponent_3_and_weights():
    rng = np.random.default_rng(8)
    M, tau = random_problem(rng, batch=6)
    w = rng.uniform(0.5, 3.0, (6, N_MUS))
    fast = rec.solve(M, tau, exponent=3.0, weights=w)
    ref = rec.solve_reference(M, tau, exponent=3.0, weights=w)
    assert np.all(fast.status == rec.CONVERGED)
    assert np.max(np.abs(fast.activation - ref.activation)) <= 1e-6
    assert np.all(fast.objective <= ref.objective + 1e-9)


def test_shared_M_equals_repeated_M():
    rng = np.random.default_rng(9)
    M, _ = random_problem(rng)
    tau = np.stack([M @ rng.uniform(0, 0.5, N_MUS) for _ in range(5)])
    shared = rec.solve(M, tau)
    repeated = rec.solve(np.repeat(M[None], 5, axis=0), tau)
    assert np.array_equal(shared.activation, repeated.activation)


def test_warm_start_converges_at_once():
    rng = np.random.default_rng(10)
    M, tau = random_problem(rng, batch=50)
    cold = rec.solve(M, tau)
    warm = rec.solve(M, tau, warm_start=cold)
    assert np.all(warm.iterations <= 1)
    assert_allclose(warm.activation, cold.activation, rtol=0, atol=1e-9)
    from_act = rec.solve(M, tau, warm_start=cold.activation)
    assert np.all(from_act.status == rec.CONVERGED)
    assert_allclose(from_act.activation, cold.activation, rtol=0, atol=1e-9)


# --- infeasible demands ------------------------------------------------------------


def test_infeasible_reserves_carry_deficit():
    M = np.array([[100.0, 50.0], [0.0, 0.0]])
    tau = np.array([400.0, 20.0])  # muscles give at most 150 N m on DOF 0, none on DOF 1
    res = rec.solve(M, tau)
    assert np.all(np.isfinite(res.activation)) and np.all(np.isfinite(res.reserve))
    assert_allclose(res.activation[0], [1.0, 1.0], rtol=0, atol=1e-9)
    assert_allclose(res.reserve[0], [250.0, 20.0], rtol=0, atol=1e-9)
    assert not res.feasible[0]
    assert res.status[0] == rec.CONVERGED


@pytest.mark.parametrize("overload", [3.0, 20.0])
def test_infeasible_random_batch_no_nan(overload):
    rng = np.random.default_rng(11)
    M, tau = random_problem(rng, batch=200)
    tau = tau * rng.uniform(1.0, overload, (200, 1))
    M[:, :, :5] = 0.0
    res = rec.solve(M, tau)
    assert np.all(res.status == rec.CONVERGED)
    # the kernel alone converges too (before the exact line search: 62 of 200 at 20x did not)
    alone = rec.solve(M, tau, options={"fallback": False})
    assert np.all(alone.status == rec.CONVERGED)
    assert np.all(np.isfinite(res.activation)) and np.all(np.isfinite(res.reserve))
    assert np.all(res.activation >= 0.0) and np.all(res.activation <= 1.0)
    assert_allclose(np.einsum("bmn,bn->bm", M, res.activation) + res.reserve, tau, rtol=0, atol=1e-8)
    assert not np.all(res.feasible)


def _kernel_solve(M, tau, w, ub, p, rho, max_iter=100):
    """The Numba kernel alone (no SciPy fallback): (status, iterations, a, r, lam)."""
    from pelvisim._recruitment_kernel import solve_one_warm

    m, n = M.shape
    a, r, lam = np.zeros(n), np.zeros(m), np.zeros(m)
    st, it = solve_one_warm(M, tau, w, ub, p, rho, rec.SolverOptions().tol, max_iter, lam, False, a, r)
    return st, it, a, r, lam


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_infeasible_kernel_converges_to_the_optimum(p):
    """Tasks the muscles cannot do converge in the kernel itself, to the optimum.

    With the full Newton step and Armijo backtracking alone, 15 of these 60
    items (p = 2; 18 for p = 3) stopped at 100 iterations, with objectives up
    to 21 times the optimum (the multipliers ~2 rho r are huge and the
    Jacobian is I/(2 rho) where every muscle is saturated or off); now they
    take 8.2 iterations on average (p = 2), at most 26. p = 2 is checked against BVLS on
    ``min |[sqrt(rho) M; sqrt(w)] a - [sqrt(rho) tau; 0]|^2, 0 <= a <= ub``
    (the same problem), p = 3 against L-BFGS-B.
    """
    from scipy.optimize import lsq_linear, minimize

    rng = np.random.default_rng(21)
    M, tau = random_problem(rng, batch=60)
    tau = tau * rng.uniform(1.5, 20.0, (60, 1))
    M[:, :, :5] = 0.0
    n = M.shape[2]
    w = rng.uniform(0.5, 2.0, n)
    ub = np.ones(n)
    rho = 1e4
    iters = []
    for b in range(60):
        st, it, a, r, lam = _kernel_solve(M[b], tau[b], w, ub, p, rho)
        assert st == rec.CONVERGED, (b, it)
        iters.append(it)
        assert_allclose(M[b] @ a + r, tau[b], rtol=0, atol=1e-8)
        obj = np.sum(w * a ** p) + rho * r @ r
        if p == 2.0:
            A = np.vstack([np.sqrt(rho) * M[b], np.diag(np.sqrt(w))])
            ref = lsq_linear(A, np.concatenate([np.sqrt(rho) * tau[b], np.zeros(n)]),
                             bounds=(0.0, ub), method="bvls", tol=1e-14).x
            r_ref = tau[b] - M[b] @ ref
            assert_allclose(obj, np.sum(w * ref ** 2) + rho * r_ref @ r_ref, rtol=1e-9)
        else:
            # convex: L-BFGS-B from the kernel's answer and from a = 0.5 finds nothing lower
            def f(x, Mb=M[b], tb=tau[b]):
                return (np.sum(w * x ** p) + rho * np.sum((tb - Mb @ x) ** 2)) / rho

            def grad(x, Mb=M[b], tb=tau[b]):
                return (p * w * x ** (p - 1) - 2 * rho * Mb.T @ (tb - Mb @ x)) / rho

            ref = min(minimize(f, x0, jac=grad, bounds=[(0.0, 1.0)] * n, method="L-BFGS-B",
                               options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 20000}).fun
                      for x0 in (a, np.full(n, 0.5)))
            assert obj / rho <= ref * (1 + 1e-9)
    assert max(iters) <= 60, iters


# --- determinism -------------------------------------------------------------------


def test_deterministic_serial_vs_parallel():
    rng = np.random.default_rng(12)
    M, tau = random_problem(rng, batch=500)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = rec.solve(M, tau)
    finally:
        numba.set_num_threads(before)
    parallel = rec.solve(M, tau)
    again = rec.solve(M, tau)
    python_loop = rec.solve(M, tau, options={"parallel": False})
    for other in (parallel, again, python_loop):
        assert np.array_equal(serial.activation, other.activation)
        assert np.array_equal(serial.reserve, other.reserve)
        assert np.array_equal(serial.iterations, other.iterations)


# --- njit callable -----------------------------------------------------------------


@numba.njit
def _pipeline(M, tau):
    n = M.shape[1]
    act = np.empty(n)
    res = np.empty(M.shape[0])
    status, it = solve_one(M, tau, np.ones(n), np.ones(n), 2.0, 1e4, 1e-10, 100, act, res)
    return status, act


def test_solve_one_from_njit():
    rng = np.random.default_rng(13)
    M, tau = random_problem(rng)
    status, act = _pipeline(M, tau)
    assert status == rec.CONVERGED
    assert np.array_equal(act, rec.solve(M, tau).activation[0])
    status, _ = _pipeline(M, tau * np.nan)
    assert status == rec.INVALID_INPUT


# --- min-max -----------------------------------------------------------------------


def test_minmax_known_answer():
    # Two muscles on one DOF: min max(a) -> both equal, a = tau / (m1 + m2).
    M = np.array([[100.0, 50.0]])
    res = rec.solve(M, np.array([60.0]), criterion="minmax")
    assert_allclose(res.activation[0], [0.4, 0.4], rtol=0, atol=1e-6)
    assert res.feasible[0] and res.status[0] == rec.CONVERGED
    ref = rec.solve_reference(M, np.array([60.0]), criterion="minmax")
    assert_allclose(ref.activation[0], [0.4, 0.4], rtol=0, atol=1e-6)
    # Second muscle capped at 0.2: a1 = (60 - 10) / 100 = 0.5.
    res = rec.solve(M, np.array([60.0]), upper=np.array([1.0, 0.2]), criterion="minmax")
    assert_allclose(res.activation[0], [0.5, 0.2], rtol=0, atol=1e-6)


def test_minmax_random_max_matches_reference():
    rng = np.random.default_rng(14)
    M, tau = random_problem(rng, batch=3, m=4, n=12)
    res = rec.solve(M, tau, criterion="minmax")
    ref = rec.solve_reference(M, tau, criterion="minmax")
    assert np.all(res.status == rec.CONVERGED)
    assert_allclose(res.activation.max(axis=1), ref.activation.max(axis=1), rtol=0, atol=1e-6)
    assert np.all(res.feasible)


def test_minmax_infeasible():
    M = np.array([[100.0, 50.0]])
    res = rec.solve(M, np.array([400.0]), criterion="minmax")
    assert_allclose(res.activation[0], [1.0, 1.0], atol=1e-6)
    assert_allclose(res.reserve[0], [250.0], atol=1e-6)
    assert not res.feasible[0]


# --- validation --------------------------------------------------------------------

M2 = np.array([[100.0, 50.0]])
T1 = np.array([60.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"M": np.ones((2, 2, 2, 2))}, r"M: got 4 dimensions"),
        ({"tau": np.array([1.0, 2.0])}, r"tau: shape \(1, 2\) does not match; allowed: \(1,\)"),
        ({"M": np.array([[np.nan, 1.0]])}, r"M: contains non-finite value nan"),
        ({"tau": np.array([np.inf])}, r"tau: contains non-finite value inf"),
        ({"upper": np.array([1.0, -0.5])}, r"upper: got -0.5; allowed: >= 0"),
        ({"weights": np.array([1.0, 0.0])}, r"weights: got 0.0; allowed: > 0"),
        ({"weights": np.ones(3)}, r"weights: shape \(1, 3\) does not match"),
        ({"exponent": 1.5}, r"exponent: got 1.5; allowed: a finite number >= 2.0 or inf"),
        ({"exponent": "2"}, r"exponent: got '2'; allowed: a real number"),
        ({"reserve_weight": 0.0}, r"reserve_weight: got 0.0; allowed: a finite number > 0"),
        ({"criterion": "sum"}, r"criterion: got 'sum'"),
        ({"options": {"tolerance": 1.0}}, r"options: unknown key\(s\) \['tolerance'\]"),
        ({"M": np.ones((3, 1, 2)), "tau": np.ones((2, 1))}, r"tau: shape \(2, 1\) does not match"),
        ({"M": np.ones((2, 1, 2)), "tau": np.ones((3, 1))}, r"M: batch size 2 does not match 3"),
        ({"M": np.ones((13, 2)), "tau": np.ones(13)}, r"M: shape \(13, 2\) has m = 13 DOFs; allowed: m <= 12"),
    ],
)
def test_validation_errors(kwargs, match):
    args = {"M": M2, "tau": T1} | kwargs
    M, tau = args.pop("M"), args.pop("tau")
    with pytest.raises(ValueError, match=match):
        rec.solve(M, tau, **args)


def test_options_and_single_problem_shapes():
    res = rec.solve(M2, T1, options=rec.SolverOptions(feasibility_tol=1e-12))
    assert res.activation.shape == (1, 2) and res.status.shape == (1,)
    assert res.objective.shape == (1,) and res.feasible.dtype == bool
    assert not res.feasible[0]  # reserve ~1e-6 N m > 1e-12
    assert rec.SolverOptions().tol == 1e-10


# --- compiled once per type ----------------------------------------------------------


def _cached_signatures(dispatcher):
    """Signatures in the Numba cache index of ``dispatcher`` (None: no index)."""
    import pickle

    impl = dispatcher._cache._impl
    index = impl.locator.get_cache_path() + "/" + impl.filename_base + ".nbi"
    try:
        with open(index, "rb") as fh:
            pickle.load(fh)  # Numba version
            _, overloads = pickle.loads(fh.read())
    except (OSError, ValueError, pickle.UnpicklingError):
        return None
    return [key[0] for key in overloads]


def test_kernels_compiled_without_literal_arguments():
    """A literal argument (a module constant, True, 0) in a call between
    kernels compiles one more copy of the callee and all it calls (compile
    time), so every helper has one signature per argument type, none literal."""
    from pelvisim import _recruitment_kernel as k
    from pelvisim._kernels.jit import Step

    rng = np.random.default_rng(15)
    M, tau = random_problem(rng, batch=3)
    for crit in ("pnorm", "minmax"):  # solve_batch; the min-max search
        rec.solve(M, tau, criterion=crit)
    rec.solve(M, tau, options={"parallel": False})  # solve_one_warm
    status, _ = _pipeline(M[0], tau[0])  # solve_one, a literal max_iter from the caller
    assert status == rec.CONVERGED
    checked = 0
    steps = [name for name, v in vars(k).items() if isinstance(v, Step)]
    assert len(steps) > 20
    for name in steps:
        sigs = _cached_signatures(getattr(k, name))
        if sigs is None:
            continue
        checked += 1
        assert not any("Literal" in str(t) for sig in sigs for t in sig), (name, sigs)
        assert len(sigs) == 1, (name, sigs)
    if not checked:
        pytest.skip("no Numba cache index to read")


def test_kernel_rejects_more_dofs_than_it_is_written_for():
    from pelvisim import _recruitment_kernel as k

    m, n = k.MAX_DOF + 1, 4
    M = np.ones((m, n))
    tau = np.arange(m, dtype=float)
    lam, act, res = np.ones(m), np.ones(n), np.ones(m)
    status, _ = k.solve_one_warm(M, tau, np.ones(n), np.ones(n), 2.0, 1e4, 1e-10, 100, lam, False,
                                 act, res)
    assert status == rec.INVALID_INPUT
    assert_allclose(act, 0.0, atol=0)
    assert_allclose(res, tau, atol=0)
