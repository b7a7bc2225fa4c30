"""Recruitment criteria: min-max in the Numba kernel (exponent = inf) against
the SciPy LP and closed forms, with optimal compensation, and ``criterion`` as a
sweep factor."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pelvisim
from conftest import assert_bounds, assert_equilibrium
from pelvisim import recruitment as rec
from pelvisim.sweep import parse_factors, sweep

SLS = pelvisim.task("single_leg_stance")
GLUTES = ("gluteus_medius", "gluteus_minimus")


def assembled(model, task):
    """Moment matrix M [N m] and the moments the muscles must produce [N m] at
    the task's posture (the recruitment problem the pipeline solves)."""
    from pelvisim._kernels.jit import from_python
    from pelvisim._kernels.pipeline import posture_steps
    from pelvisim._kernels.recruit import assemble
    from pelvisim._kernels.workspace import new_workspace

    arr, ta = model.arrays, task.arrays(model)
    ws = from_python(new_workspace)(arr, ta, 0)
    from_python(posture_steps)(arr, ta, np.zeros(2), ws)
    from_python(assemble)(arr, model.strength, ws)
    M, rhs = ws.M.copy(), ws.rhs.copy()
    return M, rhs


# ------------------------------------------------------------------ closed forms
def test_minmax_two_dofs_closed_form():
    """DOF 1: muscles 1 and 3 (100, 50 N m); DOF 2: muscles 2 and 3 (100, 50 N m);
    tau = (40, 20) N m. Muscle 3 helps both, so it sits at the cap t; DOF 1 then
    needs a1 = 0.4 - t/2 <= t, so t* = 4/15, a1 = a3 = 4/15, a2 = 0.2 - t*/2 = 1/15
    (unique: a3 < t would need a1 > t)."""
    M = np.array([[100.0, 0.0, 50.0], [0.0, 100.0, 50.0]])
    tau = np.array([40.0, 20.0])
    res = rec.solve(M, tau, exponent=np.inf)
    assert res.status[0] == rec.CONVERGED and res.feasible[0]
    assert_allclose(res.activation[0], [4 / 15, 1 / 15, 4 / 15], rtol=0, atol=1e-7)
    assert_allclose(res.objective[0], 4 / 15, rtol=0, atol=1e-7)
    # weights w = (2, 1, 1): 2 a1 <= t, a3 <= t; 100 t/2 + 50 t = 40 -> t = 0.4,
    # a = (0.2, 0, 0.4) (a2 = 0.2 - 0.4/2 = 0)
    res = rec.solve(M, tau, exponent=np.inf, weights=np.array([2.0, 1.0, 1.0]))
    assert_allclose(res.activation[0], [0.2, 0.0, 0.4], rtol=0, atol=1e-7)
    assert_allclose(res.objective[0], 0.4, rtol=0, atol=1e-7)


def test_minmax_one_dof_ties_and_bounds():
    """One DOF, moments (100, 50) N m, tau = 60: both at 60/150 = 0.4; with the
    second capped at 0.2: a1 = (60 - 10)/100 = 0.5. Beyond capacity (400 N m):
    both at 1, reserve 250 N m, flagged infeasible, no NaN."""
    M = np.array([[100.0, 50.0]])
    assert_allclose(rec.solve(M, [60.0], exponent=np.inf).activation[0], [0.4, 0.4], atol=1e-7)
    capped = rec.solve(M, [60.0], exponent=np.inf, upper=np.array([1.0, 0.2]))
    assert_allclose(capped.activation[0], [0.5, 0.2], atol=1e-7)
    over = rec.solve(M, [400.0], exponent=np.inf)
    assert_allclose(over.activation[0], [1.0, 1.0], atol=1e-7)
    assert_allclose(over.reserve[0], [250.0], rtol=1e-6)
    assert not over.feasible[0] and np.all(np.isfinite(over.objective))


def test_minmax_unconverged_is_flagged():
    """No Newton iteration allowed: the kernel says so (not CONVERGED), with
    finite activations within the bounds and reserves that close the equilibrium."""
    M = np.array([[100.0, 0.0, 50.0], [0.0, 100.0, 50.0]])
    tau = np.array([40.0, 20.0])
    res = rec.solve(M, tau, exponent=np.inf, options={"max_iter": 0, "fallback": False})
    assert res.status[0] != rec.CONVERGED
    a = res.activation[0]
    assert np.all(np.isfinite(a)) and np.all((a >= 0.0) & (a <= 1.0))
    assert_allclose(M @ a + res.reserve[0], tau, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ parity
def test_minmax_kernel_matches_lp_and_scipy_reference():
    """Random feasible problems: the kernel's min-max equals the HiGHS LP path
    (same tie-break, least squares under the cap: activations within 1e-6) and
    the SLSQP reference's largest activation (within 1e-6)."""
    from test_recruitment import random_problem

    # small problems (as in test_recruitment): SLSQP's min-max is unreliable on larger ones
    M, tau = random_problem(np.random.default_rng(14), batch=3, m=4, n=12)
    kern = rec.solve(M, tau, exponent=np.inf, options={"fallback": False})
    lp = rec.solve(M, tau, criterion="minmax")
    ref = rec.solve_reference(M, tau, exponent=np.inf)
    assert np.all(kern.status == rec.CONVERGED) and np.all(kern.feasible)
    # (SLSQP flags these LPs as not converged, "positive directional derivative",
    # at the optimum; its value is what is compared, as in test_recruitment)
    assert_allclose(kern.activation, lp.activation, rtol=0, atol=1e-6)
    assert_allclose(kern.activation.max(axis=1), ref.activation.max(axis=1), rtol=0, atol=1e-6)
    assert np.max(np.abs(kern.reserve)) < 1e-6


@pytest.mark.parametrize("strength", [1.0, 0.5])
def test_minmax_matches_lp_on_single_leg_stance(model, strength):
    """Default model, right single-leg stance (gluteus medius + minimus at 1.0
    and 0.5), the recruitment problem of the pipeline: the kernel's largest
    activation is the LP's within 1e-6 and every muscle's recruited force
    within 0.1 N (measured: 1e-7 in activation); the solve through the
    pipeline is in equilibrium."""
    weak = model.with_strength({g: strength for g in GLUTES})
    M, rhs = assembled(weak, SLS)
    lp = rec.solve(M, rhs, criterion="minmax")
    kern = rec.solve(M, rhs, exponent=np.inf, options={"fallback": False})
    assert kern.status[0] == rec.CONVERGED and kern.feasible[0]
    assert_allclose(kern.activation.max(), lp.activation.max(), rtol=0, atol=1e-6)
    fa = weak.arrays.fmax * weak.strength
    assert_allclose(kern.activation[0] * fa, lp.activation[0] * fa, rtol=0, atol=0.1)
    sol = pelvisim.solve(weak, SLS, criterion="minmax")
    assert sol.feasible and sol.status == rec.CONVERGED
    assert_equilibrium(sol)
    assert_bounds(sol)


# ------------------------------------------------------------------ optimal compensation
@pytest.mark.parametrize("strength", [1.0, 0.3])
def test_minmax_with_optimal_compensation(model, strength):
    """Min-max works with optimal compensation: in equilibrium, and the search
    (which starts at the neutral posture) ends no worse than neutral:
    max activation + posture cost <= the max activation with no compensation."""
    weak = model.with_strength({g: strength for g in GLUTES})
    none = pelvisim.solve(weak, SLS, criterion="minmax")
    opt = pelvisim.solve(weak, SLS, criterion="minmax", compensation="optimal")
    assert opt.feasible
    assert_equilibrium(opt)
    assert_bounds(opt)
    scale = np.rad2deg(weak.params.compensation.angle_scale)
    w = weak.param("posture_cost_weight")
    x = [opt.posture["pelvic_list_deg"] - none.posture["pelvic_list_deg"],
         opt.posture["trunk_lean_deg"] - none.posture["trunk_lean_deg"]]
    cost = opt.objective + w * sum((v / scale) ** 2 for v in x)
    assert cost <= none.objective + 1e-9
    assert_allclose(opt.objective, max(opt.activation.values()), atol=1e-6)


# ------------------------------------------------------------------ sweep factor
@pytest.fixture(scope="module")
def crit_ds(model):
    return sweep(model, SLS, {"gluteus_medius+gluteus_minimus": [1.0, 0.5],
                              "criterion": ["activation_squared", "minmax"]}, progress=False)


def test_criterion_factor_dims_and_values(model, crit_ds):
    ds = crit_ds
    assert ds["muscle_force"].dims == ("gluteus_medius_and_gluteus_minimus", "criterion", "muscle")
    assert list(ds["criterion"].values) == ["activation_squared", "minmax"]
    assert ds["criterion"].attrs["factor_kind"] == "criterion"
    assert ds.attrs["criterion"] == "activation_squared,minmax"
    for crit in ("activation_squared", "minmax"):
        for s in (1.0, 0.5):
            sol = pelvisim.solve(model.with_strength({g: s for g in GLUTES}), SLS, criterion=crit)
            pt = ds.sel({"gluteus_medius_and_gluteus_minimus": s, "criterion": crit})
            assert_allclose(pt["muscle_force"].values, list(sol.muscle_force.values()),
                            rtol=1e-9, atol=1e-9)
            assert_allclose(float(pt["objective"]), sol.objective, rtol=1e-9)
    # min-max lowers the largest activation
    a = ds["activation"].max("muscle")
    assert np.all(a.sel(criterion="minmax") < a.sel(criterion="activation_squared"))


def test_criterion_factor_errors(model):
    with pytest.raises(ValueError, match="did you mean minmax"):
        parse_factors(model, SLS, {"criterion": ["minmx"]})
    with pytest.raises(ValueError, match="criterion"):
        parse_factors(model, SLS, {"criterio": ["minmax"]})


def test_experiment_criterion_list_becomes_factor(tmp_path):
    from pelvisim.experiments import ExperimentError, load_experiment

    text = """criterion = [{crit}]
[experiment]
name = "crit"
[task]
name = "single_leg_stance"
[factors]
gluteus_medius = [1.0, 0.5]
"""
    f = tmp_path / "crit.toml"
    f.write_text(text.format(crit='"activation_squared", "minmax"'))
    exp = load_experiment(f)
    assert exp.runs[0].factors["criterion"] == ["activation_squared", "minmax"]
    f.write_text(text.format(crit='"activation_squared", "minimax"'))
    with pytest.raises(ExperimentError, match=r"crit.toml: criterion: 'minimax': allowed .*did you mean minmax"):
        load_experiment(f)
