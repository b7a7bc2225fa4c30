"""One vocabulary, one result type (issue 14): the names defined once in
pelvisim.conventions, a solve as a one-point sweep, models compared by
identity, and a plotting module that leaves matplotlib's state alone."""
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pelvisim
from pelvisim import conventions as C

SLS = pelvisim.task("single_leg_stance")
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def model():
    return pelvisim.load_model()


# ------------------------------------------------------------------ vocabulary
def test_names_are_defined_once_and_reexported():
    import importlib

    from pelvisim import experiments, model, params, report, sampling, simulate, task_library

    sweep = importlib.import_module("pelvisim.sweep")  # the module (pelvisim.sweep is the function)

    assert model.GRAVITY is C.GRAVITY and task_library.GRAVITY is C.GRAVITY
    assert model.GROUPS is C.GROUPS and params.GROUPS is C.GROUPS
    assert simulate.CRITERIA is C.CRITERIA and pelvisim.CRITERIA is C.CRITERIA
    assert sampling.SAMPLERS is C.SAMPLERS and sweep.COMPENSATIONS is C.COMPENSATIONS
    assert experiments.DEFAULT_OUTPUTS is C.DEFAULT_OUTPUTS
    assert report.DEFAULT_PLOT_OUTPUTS is C.DEFAULT_OUTPUTS
    assert task_library.SHOULDER_HEIGHT_M is C.SHOULDER_HEIGHT_M
    assert params.COMPENSATION_ANGLES is C.COMPENSATION_ANGLES
    assert sweep.ANGLES == tuple(f"{a}_deg" for a in C.POSTURE_ANGLES)


def test_body_weight_and_gait_table_use_one_gravity(model):
    assert model.body_weight == model.mass_kg * C.GRAVITY
    from pelvisim import gait

    assert gait.G == C.GRAVITY


def test_trunk_angles_formula():
    q = np.zeros((2, C.N_COORD))
    i = C.COORD_INDEX
    q[0, i["pelvic_tilt"]], q[0, i["lumbar_flexion"]] = 10.0, 25.0
    q[1, i["pelvic_list"]], q[1, i["lumbar_bending"]] = 4.0, -3.0
    flexion, lean = C.trunk_angles(q)
    assert_allclose(flexion, [35.0, 0.0], rtol=0, atol=0)
    assert_allclose(lean, [0.0, -7.0], rtol=0, atol=0)
    # the posture of a solution reports the same
    from pelvisim.solution import posture_dict

    post = posture_dict(np.deg2rad(q[1]))
    assert post["trunk_lean_deg"] == pytest.approx(-7.0, abs=1e-12)


@pytest.mark.parametrize("factor,dim", [
    ("gluteus_medius", "gluteus_medius"),
    ("gluteus_medius+gluteus_minimus", "gluteus_medius_and_gluteus_minimus"),
    ("param.itb_gluteus_maximus_fraction", "param_itb_gluteus_maximus_fraction"),
    ("tightness.hip_flexors", "tightness_hip_flexors"),
    ("task.stance_pct", "task_stance_pct"),
    ("body.mass_kg", "body_mass_kg"),
    ("compensation", "compensation"),
])
def test_dim_name_rule(factor, dim):
    assert C.dim_name(factor) == dim and dim.isidentifier()


# ------------------------------------------------------------------ one result type
def _same_structure(point, one):
    """Same variables, dims, attrs; numbers equal to rtol 1e-12."""
    assert set(point.variables) == set(one.variables)
    for v in one.variables:
        assert one[v].dims == point[v].dims, v
        assert one[v].attrs == point[v].attrs, v
        if one[v].dtype.kind in "biuf":
            assert_allclose(one[v].values, point[v].values, rtol=1e-12, atol=1e-12, err_msg=v)
        else:
            assert (one[v].values == point[v].values).all(), v


@pytest.mark.parametrize("compensation", ["none", "optimal"])
def test_solution_to_xarray_is_the_one_point_sweep(model, compensation):
    ds = pelvisim.sweep(model, SLS, {"gluteus_medius+gluteus_minimus": [1.0, 0.4]},
                        compensation=compensation, progress=False)
    point = ds.sel(gluteus_medius_and_gluteus_minimus=0.4, drop=True)
    sol = pelvisim.solve(model.with_strength(gluteus_medius=0.4, gluteus_minimus=0.4), SLS,
                         compensation=compensation)
    one = sol.to_xarray()
    _same_structure(point, one)
    for key in ("task", "criterion", "compensation", "params_sha256", "posture_model"):
        assert one.attrs[key] == ds.attrs[key], key
    assert one["hip_contact_force_bw"].sel(side="r").item() == \
        pytest.approx(sol.hip_contact_force_bw["r"], rel=1e-12)


def test_solution_to_xarray_prescribed_bend(model):
    bend = pelvisim.task("forward_bend", trunk_flexion_deg=30.0, hand_load_kg=5.0)
    comp = pelvisim.Prescribed(pelvic_tilt_deg=5.0)
    ds = pelvisim.sweep(model, bend, {"gluteus_maximus": [0.5]}, compensation=comp,
                        progress=False)
    one = pelvisim.solve(model.with_strength(gluteus_maximus=0.5), bend,
                         compensation=comp).to_xarray()
    _same_structure(ds.isel(gluteus_maximus=0, drop=True), one)


# ------------------------------------------------------------------ Model identity
def test_model_compares_by_identity_and_hashes(model):
    other = model.with_strength(gluteus_medius=0.5)
    same_values = model.with_strength(gluteus_medius=1.0)
    assert model == model
    assert (model == other) is False and (model != other) is True
    assert (model == same_values) is False  # a distinct object: identity, no array compare
    cache = {model: 1, other: 2}  # usable as a dict key
    assert cache[model] == 1 and cache[other] == 2


# ------------------------------------------------------------------ plots
def test_importing_plots_leaves_backend_and_rcparams_alone():
    code = textwrap.dedent("""
        import matplotlib
        matplotlib.use("svg")
        before = dict(matplotlib.rcParams)
        import pelvisim.plots, pelvisim.report, pelvisim.walking, pelvisim.posture_plot
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        after = dict(matplotlib.rcParams)
        changed = {k for k in before if before[k] != after[k]}
        assert not changed, changed
        print("ok")
    """)
    env = {k: v for k, v in __import__("os").environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(SRC)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_plots_style_applies_only_while_drawing(model):
    import matplotlib
    import matplotlib.pyplot as plt

    from pelvisim import plots

    before = dict(matplotlib.rcParams)
    ds = pelvisim.sweep(model, SLS, {"gluteus_medius": [1.0, 0.5]}, progress=False)
    fig = plots.curves(ds, ["tfl"])
    assert fig.dpi == plots.STYLE["figure.dpi"]
    drawn = [ax for ax in fig.axes if ax.get_visible()]
    assert drawn and all(ax.xaxis.get_gridlines()[0].get_visible() for ax in drawn)
    plt.close(fig)
    assert dict(matplotlib.rcParams) == before
