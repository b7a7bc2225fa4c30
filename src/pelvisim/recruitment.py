"""Muscle recruitment by static optimization (SPEC section 6).

For each item of a batch::

    minimise   sum_i w_i a_i**p + rho * sum_j r_j**2
    subject to M a + r = tau,   0 <= a_i <= ub_i

with ``M`` (m, n) the moment of each muscle at full activation [N m], ``tau``
(m,) the moments to produce [N m], ``a`` the activations [-] and ``r`` the
reserve moments [N m]. Reserves only become large when the muscles cannot do
the task; the item is then flagged infeasible (never NaN).

:func:`solve` runs the Numba kernel (:mod:`pelvisim._recruitment_kernel`) on
the whole batch in parallel; :func:`solve_reference` solves the same problem
with SciPy one item at a time (slow; for tests and benchmarks).

Status codes (``RecruitmentResult.status``): :data:`CONVERGED` (0),
:data:`MAX_ITERATIONS` (1), :data:`LINE_SEARCH_FAILED` (2),
:data:`NUMERICAL_FAILURE` (3), :data:`INVALID_INPUT` (4, only from the kernel
called directly; :func:`solve` raises ``ValueError`` instead),
:data:`LP_FAILED` (5, min-max criterion), :data:`REFERENCE_FAILED` (6, SciPy
reference did not report success).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import NamedTuple

import numpy as np
from scipy.optimize import linprog, lsq_linear, minimize

from pelvisim import _recruitment_kernel as _k
from pelvisim._recruitment_kernel import (
    CONVERGED,
    INVALID_INPUT,
    LINE_SEARCH_FAILED,
    MAX_ITERATIONS,
    NUMERICAL_FAILURE,
)

__all__ = [
    "CONVERGED", "MAX_ITERATIONS", "LINE_SEARCH_FAILED", "NUMERICAL_FAILURE",
    "INVALID_INPUT", "LP_FAILED", "REFERENCE_FAILED", "DEFAULT_RESERVE_WEIGHT",
    "SolverOptions", "RecruitmentResult", "solve", "solve_reference",
]

LP_FAILED = 5
REFERENCE_FAILED = 6

#: Default ``rho`` [1/(N m)^2]. At the optimum ``r = lam / (2 rho)`` where
#: ``lam`` [1/(N m)] is the marginal cost of one N m; on realistic problems
#: (moments 1-300 N m, w = 1) ``lam`` is ~1e-3 to 1e-1, so reserves stay below
#: 1e-3 N m as long as ``lam < 20``, while ``rho`` is small enough for the
#: Newton system ``M D M.T + I/(2 rho)`` to stay well conditioned. Scale it with
#: the weights if they are far from 1 (e.g. muscle volumes).
DEFAULT_RESERVE_WEIGHT = 1.0e4

_CRITERIA = ("pnorm", "minmax")


class SolverOptions(NamedTuple):
    """Tolerances and limits of the solvers (all defaults in one place).

    Attributes
    ----------
    tol : float
        Newton convergence: ``max_j |tau - M a - lam/(2 rho)|_j <= tol (1 + max|tau|)``
        [-]. Default 1e-10.
    max_iter : int
        Maximum Newton iterations per item. Default 100.
    feasibility_tol : float
        An item is ``feasible`` when every ``|reserve_j| <= feasibility_tol``
        [N m]. Default 1e-2.
    parallel : bool
        Use the parallel batch kernel (results are bitwise identical either
        way). Default True.
    minmax_slack : float
        Min-max criterion: relative slack on the optimal largest activation
        allowed in the second (quadratic) stage that makes the answer unique
        [-]. Default 1e-9.
    reference_ftol : float
        ``ftol`` of SLSQP in :func:`solve_reference`. Default 1e-14.
    reference_max_iter : int
        ``maxiter`` of SLSQP in :func:`solve_reference`. Default 2000.
    fallback : bool
        Re-solve the items the Newton kernel leaves unconverged (in practice
        only tasks far beyond the muscles' capacity, where ``lam`` is huge and
        the dual is nearly piecewise linear) with SciPy: bounded least squares
        (BVLS) for p = 2, the LP path for ``exponent = inf``, SLSQP otherwise. Their status becomes ``CONVERGED``
        if SciPy succeeds. Default True.
    search_xtol : float
        Optimal compensation: the search stops when a step (accepted, or still
        to try along its direction) is shorter than this in every angle
        [rad]. Default 1e-4 (0.006 deg).
    search_max_evaluations : int
        Optimal compensation: most cost evaluations per point (each a
        recruitment solve, unless the posture cost alone rules the point
        out). Default 200.
    """

    tol: float = 1e-10
    max_iter: int = 100
    feasibility_tol: float = 1e-2
    parallel: bool = True
    minmax_slack: float = 1e-9
    reference_ftol: float = 1e-14
    reference_max_iter: int = 2000
    fallback: bool = True
    search_xtol: float = 1e-4
    search_max_evaluations: int = 200


@dataclass(frozen=True)
class RecruitmentResult:
    """Solution of a batch of recruitment problems (B items; B = 1 for one problem).

    Attributes
    ----------
    activation : ndarray, shape (B, n)
        Muscle activations ``a`` [-].
    reserve : ndarray, shape (B, m)
        Reserve moments ``r = tau - M a`` [N m] (equilibrium holds exactly).
    status : ndarray of int, shape (B,)
        0 (``CONVERGED``) or another status code of this module.
    iterations : ndarray of int, shape (B,)
        Newton iterations (SLSQP / LP iterations for the SciPy paths).
    feasible : ndarray of bool, shape (B,)
        All ``|reserve| <= options.feasibility_tol``.
    objective : ndarray, shape (B,)
        Criterion at the solution: ``sum w a**p + rho sum r**2`` for
        ``"pnorm"`` (``max(w a) + rho sum r**2`` with ``exponent=inf``),
        ``max(w a) + rho sum |r|`` for ``"minmax"`` [-].
    multiplier : ndarray, shape (B, m)
        Multipliers of the equilibrium [1/(N m)] (``"pnorm"``: the dual
        unknowns, reusable as ``warm_start``; NaN where not available).
    """

    activation: np.ndarray
    reserve: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    feasible: np.ndarray
    objective: np.ndarray
    multiplier: np.ndarray


class _Problem(NamedTuple):
    M: np.ndarray  # (1 or B, m, n)
    tau: np.ndarray  # (1 or B, m)
    weights: np.ndarray  # (1 or B, n)
    upper: np.ndarray  # (1 or B, n)
    B: int
    m: int
    n: int
    exponent: float
    reserve_weight: float
    options: SolverOptions
    criterion: str


def _options(options) -> SolverOptions:
    if options is None:
        return SolverOptions()
    if isinstance(options, SolverOptions):
        return options
    if isinstance(options, dict):
        bad = sorted(set(options) - set(SolverOptions._fields))
        if bad:
            raise ValueError(f"options: unknown key(s) {bad}; allowed: {list(SolverOptions._fields)}")
        return SolverOptions()._replace(**options)
    raise ValueError(f"options: got {type(options).__name__}; allowed: SolverOptions, dict or None")


def _real_array(name, value, ndims, check_finite=True):
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot convert {value!r} to a float array") from exc
    if arr.ndim not in ndims:
        raise ValueError(f"{name}: got {arr.ndim} dimensions (shape {arr.shape}); allowed: {ndims}")
    if check_finite and not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ValueError(f"{name}: contains non-finite value {bad}; all entries must be finite")
    return arr


def _batch_of(name, arr, B, size, what):
    """Return ``arr`` as (1 or B, size), checking its shape."""
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.shape[1] != size or arr.shape[0] not in (1, B):
        raise ValueError(f"{name}: shape {arr.shape} does not match; allowed: ({size},) or ({B}, {size}) ({what})")
    return np.ascontiguousarray(arr)


def _scalar(name, value, low, strict, allow_inf=False):
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise ValueError(f"{name}: got {value!r}; allowed: a real number")
    value = float(value)
    if allow_inf and value == math.inf:
        return value
    ok = math.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        also = " or inf" if allow_inf else ""
        raise ValueError(f"{name}: got {value}; allowed: a finite number {'>' if strict else '>='} {low}{also}")
    return value


def _validate(M, tau, exponent, weights, upper, reserve_weight, options, criterion, check_M=True) -> _Problem:
    """Checked, broadcast inputs. ``check_M=False`` skips the finiteness scan of
    ``M`` (the caller must then run the kernel, which flags non-finite ``M`` as
    ``INVALID_INPUT``, and call :func:`_check_finite_M`)."""
    if criterion not in _CRITERIA:
        raise ValueError(f"criterion: got {criterion!r}; allowed: {_CRITERIA}")
    opts = _options(options)
    exponent = _scalar("exponent", exponent, 2.0, strict=False, allow_inf=True)
    reserve_weight = _scalar("reserve_weight", reserve_weight, 0.0, strict=True)
    M = _real_array("M", M, (2, 3), check_finite=check_M)
    tau = _real_array("tau", tau, (1, 2))
    w = _real_array("weights", 1.0 if weights is None else weights, (0, 1, 2))
    ub = _real_array("upper", 1.0 if upper is None else upper, (0, 1, 2))
    m, n = M.shape[-2:]
    if m == 0 or n == 0:
        raise ValueError(f"M: shape {M.shape} has an empty axis; allowed: m >= 1 DOFs, n >= 1 muscles")
    if m > _k.MAX_DOF:
        raise ValueError(f"M: shape {M.shape} has m = {m} DOFs; allowed: m <= {_k.MAX_DOF} "
                         f"(the kernel is written out for up to {_k.MAX_DOF} DOFs; the model has 11)")
    if weights is None:
        w = np.ones(n)
    if upper is None:
        ub = np.ones(n)
    B = max(M.shape[0] if M.ndim == 3 else 1, *(x.shape[0] if x.ndim == 2 else 1 for x in (tau, w, ub)))
    M = M[None] if M.ndim == 2 else M
    if M.shape[0] not in (1, B):
        raise ValueError(f"M: batch size {M.shape[0]} does not match {B} (from tau, weights or upper)")
    M = np.ascontiguousarray(M)
    tau = _batch_of("tau", tau, B, m, "m DOFs, from M")
    w = _batch_of("weights", w, B, n, "n muscles, from M")
    ub = _batch_of("upper", ub, B, n, "n muscles, from M")
    if np.any(w <= 0.0):
        raise ValueError(f"weights: got {w[w <= 0.0].ravel()[0]}; allowed: > 0")
    if np.any(ub < 0.0):
        raise ValueError(f"upper: got {ub[ub < 0.0].ravel()[0]}; allowed: >= 0")
    return _Problem(M, tau, w, ub, B, m, n, exponent, reserve_weight, opts, criterion)


def _check_finite_M(pb: _Problem, status):
    """Raise the ``ValueError`` of :func:`_validate` if the kernel found a non-finite ``M``.

    Every other input is checked before the kernel runs, so ``INVALID_INPUT``
    can only come from ``M``; the full scan of ``M`` only runs in that case.
    """
    if np.any(status == INVALID_INPUT):
        _real_array("M", pb.M, (3,))


def _item(arr, b):
    return arr[b if arr.shape[0] != 1 else 0]


def _warm_multipliers(pb: _Problem, warm_start):
    """Initial multipliers (B, m) from ``warm_start``; None for a cold start."""
    if warm_start is None or math.isinf(pb.exponent):
        return None  # the min-max search starts cold (warm_start ignored)
    if isinstance(warm_start, RecruitmentResult):
        warm_start = warm_start.multiplier
    ws = _real_array("warm_start", warm_start, (1, 2))
    if ws.shape[-1] == pb.m:
        return np.ascontiguousarray(np.broadcast_to(_batch_of("warm_start", ws, pb.B, pb.m, "multipliers"),
                                                    (pb.B, pb.m)))
    if ws.shape[-1] != pb.n:
        raise ValueError(f"warm_start: shape {ws.shape}; allowed: multipliers ({pb.m},)/({pb.B}, {pb.m}) "
                         f"or activations ({pb.n},)/({pb.B}, {pb.n})")
    act = np.broadcast_to(_batch_of("warm_start", ws, pb.B, pb.n, "activations"), (pb.B, pb.n))
    # Least-squares fit of M.T lam = p w a**(p-1) on the muscles strictly inside their bounds.
    ub = np.broadcast_to(pb.upper, (pb.B, pb.n))
    free = (act > 0.0) & (act < ub)
    s = pb.exponent * pb.weights * np.clip(act, 0.0, None) ** (pb.exponent - 1.0) * free
    Mf = pb.M * free[:, None, :]
    A = Mf @ np.swapaxes(Mf, 1, 2)
    A += (1e-12 * np.trace(A, axis1=1, axis2=2)[:, None, None] + 1e-300) * np.eye(pb.m)
    return np.ascontiguousarray(np.linalg.solve(A, (Mf @ s[:, :, None]))[:, :, 0])


def _objective_feasible(pb, act, res, criterion):
    """Criterion value and feasibility flag of each item."""
    if criterion == "minmax":
        w = np.broadcast_to(pb.weights, act.shape)
        objective = np.max(w * act, axis=1) + pb.reserve_weight * np.sum(np.abs(res), axis=1)
        return objective, np.all(np.abs(res) <= pb.options.feasibility_tol, axis=1)
    # One parallel pass (NumPy's temporaries cost about as much as a Newton iteration per item).
    objective = np.empty(act.shape[0])
    feasible = np.empty(act.shape[0], dtype=bool)
    _k.objective_batch(np.ascontiguousarray(act), np.ascontiguousarray(res), pb.weights, pb.exponent,
                       pb.reserve_weight, pb.options.feasibility_tol, objective, feasible)
    return objective, feasible


def _result(pb, act, res, status, iters, lam, criterion):
    objective, feasible = _objective_feasible(pb, act, res, criterion)
    return RecruitmentResult(
        activation=act,
        reserve=res,
        status=np.asarray(status, dtype=np.int64),
        iterations=np.asarray(iters, dtype=np.int64),
        feasible=feasible,
        objective=objective,
        multiplier=lam,
    )


def _pnorm_kernel(pb: _Problem, lam0, tau=None, upper=None, exponent=None):
    tau = pb.tau if tau is None else tau
    upper = pb.upper if upper is None else upper
    exponent = pb.exponent if exponent is None else exponent
    B, m, n = pb.B, pb.m, pb.n
    act = np.empty((B, n))
    res = np.empty((B, m))
    status = np.empty(B, np.int64)
    iters = np.empty(B, np.int64)
    lam = np.zeros((B, m)) if lam0 is None else lam0.copy()
    args = (pb.M, tau, pb.weights, upper, exponent, pb.reserve_weight,
            float(pb.options.tol), int(pb.options.max_iter), lam, lam0 is not None)
    if pb.options.parallel:
        _k.solve_batch(*args, act, res, status, iters)
    else:
        for b in range(B):
            status[b], iters[b] = _k.solve_one_warm(
                _item(pb.M, b), _item(tau, b), _item(pb.weights, b), _item(upper, b),
                *args[4:8], lam[b], args[9], act[b], res[b])
    return act, res, status, iters, lam


MINMAX_REFINE_RESERVE_FACTOR = _k.MINMAX_RESERVE_FACTOR  # shared with the kernel's min-max


def _minmax_lp(pb: _Problem):
    """Stage 1 of min-max: HiGHS LP per item. Returns t (B,), reserves (B, m), status, nit."""
    B, m, n = pb.B, pb.m, pb.n
    t = np.zeros(B)
    r = np.zeros((B, m))
    status = np.zeros(B, np.int64)
    nit = np.zeros(B, np.int64)
    # x = [a (n), r+ (m), r- (m), t]
    c = np.concatenate([np.zeros(n), np.full(2 * m, pb.reserve_weight), [1.0]])
    eye = np.eye(m)
    for b in range(B):
        M, tau, w, ub = _item(pb.M, b), _item(pb.tau, b), _item(pb.weights, b), _item(pb.upper, b)
        A_eq = np.hstack([M, eye, -eye, np.zeros((m, 1))])
        A_ub = np.hstack([np.diag(w), np.zeros((n, 2 * m)), -np.ones((n, 1))])
        bounds = [(0.0, u) for u in ub] + [(0.0, None)] * (2 * m + 1)
        sol = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=tau, bounds=bounds, method="highs")
        if sol.status != 0 or sol.x is None:
            status[b] = LP_FAILED
            r[b] = tau
            continue
        t[b] = sol.x[-1]
        r[b] = sol.x[n:n + m] - sol.x[n + m:n + 2 * m]
        nit[b] = sol.nit
    return t, r, status, nit


def _solve_minmax(pb: _Problem):
    """Min-max LP, then the p = 2 optimum among the min-max solutions (makes it unique)."""
    t, r_lp, lp_status, nit = _minmax_lp(pb)
    cap = (t * (1.0 + pb.options.minmax_slack))[:, None] / pb.weights
    upper = np.ascontiguousarray(np.minimum(np.broadcast_to(pb.upper, cap.shape), cap))
    # the refinement's quadratic reserve penalty leaves r = lambda / (2 rho): with
    # the L1 weight rho that is ~1e-4 N m, which the L1 objective would count as
    # ~1; a larger weight there keeps it at the solver's tolerance
    refine = pb._replace(reserve_weight=pb.reserve_weight * MINMAX_REFINE_RESERVE_FACTOR)
    act, res, status, _, _ = _pnorm_kernel(refine, None, tau=np.ascontiguousarray(pb.tau - r_lp),
                                           upper=upper, exponent=2.0)
    res = res + r_lp
    status = np.where(lp_status != 0, lp_status, status)
    act[lp_status != 0] = 0.0
    res[lp_status != 0] = np.broadcast_to(pb.tau, res.shape)[lp_status != 0]
    return _result(pb, act, res, status, nit, np.full((pb.B, pb.m), np.nan), "minmax")


def solve(M, tau, *, exponent=2.0, weights=None, upper=None, reserve_weight=DEFAULT_RESERVE_WEIGHT,
          warm_start=None, options=None, criterion="pnorm") -> RecruitmentResult:
    """Distribute joint moments among muscles (static optimization), batched.

    For each item: minimise ``sum_i w_i a_i**p + rho sum_j r_j**2`` subject to
    ``M a + r = tau`` and ``0 <= a_i <= ub_i`` (``criterion="pnorm"``), or the
    largest weighted activation ``max_i w_i a_i`` plus ``rho sum_j |r_j|``
    (``criterion="minmax"``, AnyBody's default).

    Parameters
    ----------
    M : array_like, shape (m, n) or (B, m, n)
        Moment of each muscle about each DOF at full activation
        [N m per unit activation]; shared by the batch when 2-D. Columns of
        zeros (absent muscles) are allowed.
    tau : array_like, shape (m,) or (B, m)
        Moments the muscles must produce [N m].
    exponent : float, optional
        ``p >= 2`` [-]; default 2 (OpenSim's choice). ``inf``: min-max in the
        Numba kernel (the same problem as ``criterion="minmax"``, the largest
        weighted activation, then the least sum of squares under it; reserves
        weighed by ``MINMAX_REFINE_RESERVE_FACTOR * rho`` on feasible tasks;
        ``warm_start`` ignored); large finite exponents (p >= 8) do not
        converge (see :mod:`pelvisim._recruitment_kernel`). Not used by
        ``"minmax"``.
    weights : array_like, shape (n,) or (B, n), optional
        Positive weights ``w_i`` [-] (e.g. muscle volumes); default 1.
    upper : array_like, shape (n,) or (B, n), optional
        Upper bounds ``ub_i >= 0`` of activation [-]; default 1.
    reserve_weight : float, optional
        ``rho > 0``: [1/(N m)^2] for ``"pnorm"``, [1/(N m)] (L1 penalty) for
        ``"minmax"``. Default :data:`DEFAULT_RESERVE_WEIGHT` = 1e4, which keeps
        reserves below 1e-3 N m (below about 1e-7 N m for ``"minmax"``,
        whose least-squares refinement weighs reserves by
        ``MINMAX_REFINE_RESERVE_FACTOR * rho``) whenever the muscles can do
        the task with a marginal cost below ~20 per N m.
    warm_start : RecruitmentResult or array_like, optional
        Initial guess (``"pnorm"`` only): a previous result (its
        ``multiplier``), multipliers (m,) / (B, m) [1/(N m)], or activations
        (n,) / (B, n) [-] (if m == n the array is taken as multipliers).
    options : SolverOptions or dict, optional
        Overrides of :class:`SolverOptions`; defaults ``tol=1e-10``,
        ``max_iter=100``, ``feasibility_tol=1e-2`` [N m], ``parallel=True``,
        ``minmax_slack=1e-9``, ``reference_ftol=1e-14``,
        ``reference_max_iter=2000``, ``fallback=True``.
    criterion : {"pnorm", "minmax"}, optional
        ``"minmax"`` solves the LP with SciPy's HiGHS item by item (reserves
        as ``r+ - r-``, both >= 0), then, among the min-max solutions
        (``w_i a_i <= t* (1 + minmax_slack)``), returns the one with the least
        sum of squares, which makes the answer unique.

    Returns
    -------
    RecruitmentResult
        Arrays with a leading batch axis B; a single problem (2-D ``M`` and
        1-D ``tau``, per-muscle arrays 1-D) gives B = 1.

    Raises
    ------
    ValueError
        Shapes that do not match, non-finite entries, negative ``upper``,
        ``weights <= 0``, ``exponent < 2`` or NaN, ``reserve_weight <= 0``, an unknown
        criterion or option; the message names the argument and the value.

    Notes
    -----
    The ``"pnorm"`` problem is solved through its dual (m unknowns) by a
    semismooth Newton method in Numba, in parallel over the batch; see
    :mod:`pelvisim._recruitment_kernel`. Items are independent, so results do
    not depend on the number of threads.
    """
    # The finiteness of M (the largest input) is checked by the kernel, not by
    # a separate pass over it here (except with a warm start, which uses M
    # before the kernel runs); non-finite M still raises ValueError.
    pb = _validate(M, tau, exponent, weights, upper, reserve_weight, options, criterion,
                   check_M=criterion != "pnorm" or warm_start is not None)
    if criterion == "minmax":
        return _solve_minmax(pb)
    lam0 = _warm_multipliers(pb, warm_start)
    act, res, status, iters, lam = _pnorm_kernel(pb, lam0)
    _check_finite_M(pb, status)
    if pb.options.fallback:
        for b in np.flatnonzero(status != CONVERGED):
            if math.isinf(pb.exponent):
                solver = _lp_minmax_item
            else:
                solver = _bvls_pnorm if pb.exponent == 2.0 else _reference_pnorm
            act[b], res[b], status[b], nit, lam[b] = solver(pb, b)
            iters[b] += nit
    return _result(pb, act, res, status, iters, lam, "pnorm")


def _lp_minmax_item(pb: _Problem, b):
    """Fallback of ``exponent = inf``: item ``b`` by the LP path (:func:`_solve_minmax`)."""
    one = pb._replace(M=_item(pb.M, b)[None], tau=_item(pb.tau, b)[None], weights=_item(pb.weights, b)[None],
                      upper=_item(pb.upper, b)[None], B=1, criterion="minmax")
    r = _solve_minmax(one)
    return r.activation[0], r.reserve[0], r.status[0], r.iterations[0], r.multiplier[0]


def _reference_pnorm(pb: _Problem, b):
    M, tau, w, ub = _item(pb.M, b), _item(pb.tau, b), _item(pb.weights, b), _item(pb.upper, b)
    m, n, p = pb.m, pb.n, pb.exponent
    sr = math.sqrt(pb.reserve_weight)
    # Reserves scaled as u = sqrt(rho) r so that every variable weighs alike in the objective.
    scale = 1.0 / max(1.0, np.abs(M).max())

    def fun(x):
        a, u = x[:n], x[n:]
        return float(np.sum(w * a**p) + u @ u)

    def jac(x):
        a, u = x[:n], x[n:]
        return np.concatenate([p * w * a ** (p - 1.0), 2.0 * u])

    A = np.hstack([M, np.eye(m) / sr]) * scale
    cons = {"type": "eq", "fun": lambda x: A @ x - tau * scale, "jac": lambda x: A}
    x0 = np.concatenate([np.zeros(n), tau * sr])
    bounds = [(0.0, u) for u in ub] + [(None, None)] * m
    sol = minimize(fun, x0, jac=jac, bounds=bounds, constraints=[cons], method="SLSQP",
                   options={"ftol": pb.options.reference_ftol, "maxiter": pb.options.reference_max_iter})
    a = np.clip(sol.x[:n], 0.0, ub)
    lam = 2.0 * pb.reserve_weight * (tau - M @ a)
    return a, tau - M @ a, (CONVERGED if sol.success else REFERENCE_FAILED), sol.nit, lam


def _bvls_pnorm(pb: _Problem, b):
    """p = 2 as bounded least squares: ||[sqrt(rho) M; diag(sqrt w)] a - [sqrt(rho) tau; 0]||^2."""
    M, tau, w, ub = _item(pb.M, b), _item(pb.tau, b), _item(pb.weights, b), _item(pb.upper, b)
    sr = math.sqrt(pb.reserve_weight)
    A = np.vstack([sr * M, np.diag(np.sqrt(w))])
    rhs = np.concatenate([sr * tau, np.zeros(pb.n)])
    free = ub > 0.0  # BVLS needs lower < upper
    a = np.zeros(pb.n)
    nit = 0
    ok = True
    if np.any(free):
        sol = lsq_linear(A[:, free], rhs, bounds=(0.0, ub[free]), method="bvls", tol=1e-14)
        a[free] = np.clip(sol.x, 0.0, ub[free])
        nit, ok = sol.nit, sol.status >= 0
    r = tau - M @ a
    return a, r, (CONVERGED if ok else REFERENCE_FAILED), nit, 2.0 * pb.reserve_weight * r


def _reference_minmax(pb: _Problem, b):
    M, tau, w, ub = _item(pb.M, b), _item(pb.tau, b), _item(pb.weights, b), _item(pb.upper, b)
    m, n = pb.m, pb.n
    # x = [a (n), r+ (m), r- (m), t]; objective scaled by 1/rho.
    c = np.concatenate([np.zeros(n), np.ones(2 * m), [1.0 / pb.reserve_weight]])
    A = np.hstack([M, np.eye(m), -np.eye(m), np.zeros((m, 1))])
    G = np.hstack([-np.diag(w), np.zeros((n, 2 * m)), np.ones((n, 1))])
    cons = [{"type": "eq", "fun": lambda x: A @ x - tau, "jac": lambda x: A},
            {"type": "ineq", "fun": lambda x: G @ x, "jac": lambda x: G}]
    x0 = np.concatenate([np.zeros(n), np.maximum(tau, 0), np.maximum(-tau, 0), [0.0]])
    bounds = [(0.0, u) for u in ub] + [(0.0, None)] * (2 * m + 1)
    sol = minimize(lambda x: c @ x, x0, jac=lambda x: c, bounds=bounds, constraints=cons, method="SLSQP",
                   options={"ftol": pb.options.reference_ftol, "maxiter": pb.options.reference_max_iter})
    a = np.clip(sol.x[:n], 0.0, ub)
    return a, tau - M @ a, (CONVERGED if sol.success else REFERENCE_FAILED), sol.nit, np.full(m, np.nan)


def solve_reference(M, tau, *, exponent=2.0, weights=None, upper=None, reserve_weight=DEFAULT_RESERVE_WEIGHT,
                    warm_start=None, options=None, criterion="pnorm") -> RecruitmentResult:
    """Same problem and result as :func:`solve`, solved by SciPy's SLSQP item by item.

    Slow (tens of milliseconds per item); meant for tests and benchmarks. The
    reserves are scaled (``u = sqrt(rho) r``) and the equilibrium rows by
    ``1 / max|M|`` for conditioning; ``options.reference_ftol`` and
    ``options.reference_max_iter`` control SLSQP. ``warm_start`` is accepted
    for signature compatibility and ignored. Status is ``CONVERGED`` or
    ``REFERENCE_FAILED``; ``"minmax"`` returns one of possibly many optima.
    Parameters, returns and errors: see :func:`solve`.
    """
    pb = _validate(M, tau, exponent, weights, upper, reserve_weight, options, criterion)
    one = _reference_minmax if criterion == "minmax" or math.isinf(pb.exponent) else _reference_pnorm
    out = [one(pb, b) for b in range(pb.B)]
    act, res, status, nit, lam = (np.array(v) for v in zip(*out))
    return _result(pb, act, res, status, nit, lam, criterion)
