"""Sweeps (pelvisim.sweep), samplers (pelvisim.sampling) and results files."""
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import pelvisim
from pelvisim import results, sampling
from pelvisim.conventions import GRAVITY
from pelvisim.sensitivity import SobolSizeWarning
from pelvisim.sweep import parse_factors, sensitivity, sweep

SLS = pelvisim.task("single_leg_stance")


@pytest.fixture(scope="module")
def grid(model):
    return sweep(model, SLS, {"gluteus_medius": [1.0, 0.6, 0.2],
                              "task.swing_hip_flexion_deg": [20.0, 40.0]},
                 progress=False, chunk_size=2)


@pytest.fixture(scope="module")
def sobol_ds(model):
    return sweep(model, SLS, {"gluteus_medius": [1.0, 0.5],
                              "param.itb_gluteus_maximus_fraction": (0.5, 0.9),
                              "body.mass_kg": (60.0, 90.0)},
                 sampler="sobol", n=8, seed=3, progress=False)


# ------------------------------------------------------------------ layout
def test_grid_dims_coords_units(grid, model):
    assert grid["muscle_force"].dims == ("gluteus_medius", "task_swing_hip_flexion_deg", "muscle")
    assert grid.sizes["gluteus_medius"] == 3 and grid.sizes["task_swing_hip_flexion_deg"] == 2
    assert list(grid["muscle"].values) == list(model.muscles)
    assert list(grid["group"].values) == list(model.groups)
    assert list(grid["side"].values) == ["r", "l"]
    assert grid.sizes["dof"] == 11
    from pelvisim.solution import posture_dict
    names = list(posture_dict(np.zeros(13)))
    assert list(grid["angle"].values) == names
    for v in ("muscle_force", "activation", "group_force", "group_force_bw", "itb_tension",
              "hip_contact_force", "hip_contact_force_bw", "l5s1_compression", "l5s1_shear_ap",
              "l5s1_shear_lat", "reserve", "feasible", "posture"):
        assert v in grid, v
        assert "units" in grid[v].attrs and "long_name" in grid[v].attrs, v
    assert grid["muscle_force"].attrs["units"] == "N"
    assert grid["posture"].attrs["units"] == "deg"
    assert grid["reserve"].attrs["units"] == "N m"
    assert grid["task_swing_hip_flexion_deg"].attrs["units"] == "deg"


def _units_and_names_checked(ds):
    """Every name is an identifier; every numeric variable and coordinate has CF
    units and every one a long_name (string label coordinates have no units)."""
    for name in list(ds.variables):
        assert name.isidentifier(), name
        attrs = ds[name].attrs
        assert attrs.get("long_name"), name
        if ds[name].dtype.kind in "biuf":
            assert attrs.get("units") not in (None, ""), name
            assert attrs["units"] != "BW", name  # not a UDUNITS unit: "1" + display_units
    for d in ds.dims:
        assert d.isidentifier(), d


def test_every_variable_has_units_and_identifier_names(grid, sobol_ds, model):
    _units_and_names_checked(grid)
    _units_and_names_checked(sobol_ds)
    joined = sweep(model, SLS, {"gluteus_medius+gluteus_minimus": [0.5],
                                "tightness.hip_flexors": [0.0, 5.0],
                                "param.lumbopelvic_ratio": [0.5],
                                "compensation": ["none"], "criterion": ["minmax"]},
                   progress=False)
    _units_and_names_checked(joined)
    assert set(joined.dims) >= {"gluteus_medius_and_gluteus_minimus", "tightness_hip_flexors",
                                "param_lumbopelvic_ratio", "compensation", "criterion"}
    # the factor as spelled stays in the coordinate's attrs
    assert joined["gluteus_medius_and_gluteus_minimus"].attrs["factor"] == \
        "gluteus_medius+gluteus_minimus"
    assert joined["tightness_hip_flexors"].attrs["factor"] == "tightness.hip_flexors"
    assert joined["tightness_hip_flexors"].attrs["units"] == "deg"
    assert grid["task_swing_hip_flexion_deg"].attrs["factor"] == "task.swing_hip_flexion_deg"
    assert sobol_ds["param_itb_gluteus_maximus_fraction"].attrs["factor"] == \
        "param.itb_gluteus_maximus_fraction"
    assert grid["hip_contact_force_bw"].attrs["units"] == "1"
    assert grid["hip_contact_force_bw"].attrs["display_units"] == "BW"


def test_provenance(grid, model):
    a = grid.attrs
    assert a["pelvisim_version"] == pelvisim.__version__
    assert a["params_sha256"] == model.params.sha256
    assert a["params_path"] == str(model.params.path)
    assert a["task_name"] == "single_leg_stance" and a["criterion"] == "activation_squared"
    assert a["sampler"] == "grid" and a["compensation"] == "none"
    assert json.loads(a["factors"])["gluteus_medius"]["kind"] == "strength"
    assert a["created_utc"].endswith("+00:00")
    for v in a.values():
        assert isinstance(v, (str, int, float))


def test_group_force_sums_muscles(grid, model):
    tfl = [m for m in model.groups["tfl"] if m.endswith("_r")]
    np.testing.assert_allclose(grid["group_force"].sel(group="tfl", side="r"),
                               grid["muscle_force"].sel(muscle=tfl).sum("muscle"), rtol=1e-12)
    np.testing.assert_allclose(grid["hip_contact_force_bw"] * model.body_weight,
                               grid["hip_contact_force"], rtol=1e-12)


def test_grid_matches_point_by_point_solve(grid, model):
    """Batching parity: every grid point equals a separate pelvisim.solve."""
    for s in grid["gluteus_medius"].values:
        for h in grid["task_swing_hip_flexion_deg"].values:
            sol = pelvisim.solve(model.with_strength(gluteus_medius=s),
                                 SLS.replace(swing_hip_flexion_deg=h))
            pt = grid.sel({"gluteus_medius": s, "task_swing_hip_flexion_deg": h})
            f = np.array([sol.muscle_force[m] for m in model.muscles])
            np.testing.assert_allclose(pt["muscle_force"].values, f, rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(pt["itb_tension"].values,
                                       [sol.itb_tension["r"], sol.itb_tension["l"]],
                                       rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(pt["hip_contact_force"].sel(side="r"),
                                       sol.hip_contact_force["r"], rtol=1e-9)
            np.testing.assert_allclose(pt["l5s1_compression"], sol.l5s1_compression, rtol=1e-9)
            assert bool(pt["feasible"]) == sol.feasible
            np.testing.assert_allclose(pt["posture"].values, list(sol.posture.values()),
                                       atol=1e-9)


def test_optimal_compensation_factor_matches_solve(model):
    ds = sweep(model, SLS, {"gluteus_medius": [0.3], "compensation": ["none", "optimal"]},
               progress=False)
    sol = pelvisim.solve(model.with_strength(gluteus_medius=0.3), SLS, compensation="optimal")
    pt = ds.sel(gluteus_medius=0.3, compensation="optimal")
    np.testing.assert_allclose(pt["posture"].values, list(sol.posture.values()), atol=1e-8)
    np.testing.assert_allclose(pt["itb_tension"].sel(side="r"), sol.itb_tension["r"], rtol=1e-8)
    none = ds.sel(gluteus_medius=0.3, compensation="none")
    assert float(abs(none["posture"].sel(angle="trunk_lean_deg"))) < 1e-9


def test_joined_strength_factor(model):
    ds = sweep(model, SLS, {"gluteus_medius+gluteus_minimus": [0.5]}, progress=False)
    sol = pelvisim.solve(model.with_strength(gluteus_medius=0.5, gluteus_minimus=0.5), SLS)
    np.testing.assert_allclose(ds["itb_tension"].sel(side="r").item(), sol.itb_tension["r"],
                               rtol=1e-9)


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("factors, match", [
    ({"glutues_medius": [1.0]}, "did you mean gluteus_medius"),
    ({"task.stance_pct": [10.0]}, "has no parameter"),
    ({"param.specific_tension": [50.0]}, "specific_tension_n_per_cm2"),
    ({"gluteus_medius": [1.5]}, r"\[0, 1\]"),
    ({"compensation": ["optimall"]}, "allowed none, optimal"),
    ({"body.weight": [70.0]}, "body.mass_kg"),
])
def test_bad_factors(model, factors, match):
    with pytest.raises(ValueError, match=match):
        parse_factors(model, SLS, factors)


def test_lhs_needs_a_range(model):
    with pytest.raises(ValueError, match="range"):
        sweep(model, SLS, {"gluteus_medius": [1.0]}, sampler="lhs", n=4, progress=False)


# ------------------------------------------------------------------ samplers
def test_samplers_deterministic():
    dists = [sampling.Uniform(0, 1), sampling.Normal(75, 10, 50, 100)]
    a = sampling.lhs(dists, 16, seed=5)
    np.testing.assert_array_equal(a, sampling.lhs(dists, 16, seed=5))
    assert not np.array_equal(a, sampling.lhs(dists, 16, seed=6))
    np.testing.assert_array_equal(a, sampling.lhs(dists, 16, seed=np.random.default_rng(5)))
    # Latin hypercube: one point per stratum on each axis
    assert sorted(np.floor(a[:, 0] * 16).astype(int)) == list(range(16))
    assert np.all((a[:, 1] >= 50) & (a[:, 1] <= 100))
    s = sampling.sobol(dists, 8, seed=5)
    assert s.shape == (8 * 4, 2)
    np.testing.assert_array_equal(s, sampling.sobol(dists, 8, seed=5))
    with pytest.raises(ValueError, match="power of 2"):
        sampling.sobol(dists, 10, seed=1)


def test_sweep_deterministic_for_seed(model):
    f = {"param.itb_gluteus_maximus_fraction": (0.5, 0.9)}
    a = sweep(model, SLS, f, sampler="lhs", n=4, seed=11, progress=False)
    b = sweep(model, SLS, f, sampler="lhs", n=4, seed=11, progress=False)
    np.testing.assert_array_equal(a["param_itb_gluteus_maximus_fraction"],
                                  b["param_itb_gluteus_maximus_fraction"])
    np.testing.assert_array_equal(a["itb_tension"], b["itb_tension"])
    assert a.attrs["seed"] == 11
    c = sweep(model, SLS, f, sampler="lhs", n=4, progress=False)  # None: recorded seed
    d = sweep(model, SLS, f, sampler="lhs", n=4, seed=c.attrs["seed"], progress=False)
    np.testing.assert_array_equal(c["itb_tension"], d["itb_tension"])


def test_sobol_layout_and_sensitivity(sobol_ds):
    assert sobol_ds["itb_tension"].dims == ("gluteus_medius", "sample", "side")
    assert sobol_ds.sizes["sample"] == 8 * (2 + 2)
    assert sobol_ds["body_mass_kg"].dims == ("sample",)
    assert sobol_ds["body_mass_kg"].attrs["units"] == "kg"
    # body weight follows the sampled mass
    np.testing.assert_allclose(sobol_ds["body_weight"].isel(gluteus_medius=0),
                               sobol_ds["body_mass_kg"] * GRAVITY, rtol=1e-12)
    with pytest.warns(SobolSizeWarning):  # a small design, below SOBOL_MIN_N
        S = sensitivity(sobol_ds, ["hip_contact_force", "tfl"])
    assert set(S.data_vars) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert list(S["output"].values) == ["hip_contact_force_r", "hip_contact_force_l",
                                        "tfl_r", "tfl_l"]
    assert S["S1"].dims == ("output", "gluteus_medius", "factor")
    # the hip contact force scales with body mass far more than with the ITB share
    st = S["ST"].sel(output="hip_contact_force_r", gluteus_medius=1.0)
    assert float(st.sel(factor="body_mass_kg")) > float(st.sel(factor="param_itb_gluteus_maximus_fraction"))
    with pytest.raises(ValueError, match="sobol"):
        sensitivity(sobol_ds.assign_attrs(sampler="lhs"))


# ------------------------------------------------------------------ files
def test_netcdf_round_trip(grid, sobol_ds, tmp_path):
    for ds in (grid, sobol_ds):
        path = results.save(ds, tmp_path / "r.nc")
        back = results.load(path)
        xr.testing.assert_allclose(back, ds, rtol=0, atol=0)
        assert back.attrs == ds.attrs
        assert back["feasible"].dtype == bool
        assert back["itb_tension"].attrs["units"] == "N"
    with pytest.raises(FileNotFoundError):
        results.load(tmp_path / "missing.nc")


def test_tidy_csv(grid, tmp_path):
    path = results.to_tidy_csv(grid, tmp_path / "r.csv")
    df = pd.read_csv(path)
    assert list(df.columns) == ["gluteus_medius", "task_swing_hip_flexion_deg", "feasible",
                                "compensation_at_bound", "quantity", "item", "side", "value",
                                "unit"]
    assert set(df["quantity"]) >= {"group_force", "itb_tension", "hip_contact_force_bw",
                                   "l5s1_compression", "posture", "reserve", "muscle_force"}
    # every row carries its point's feasibility
    feas = grid["feasible"].to_dataframe().reset_index()
    merged = df.merge(feas, on=["gluteus_medius", "task_swing_hip_flexion_deg"])
    assert (merged["feasible_x"] == merged["feasible_y"].astype(int)).all()
    row = df[(df.quantity == "itb_tension") & (df.side == "r") & (df.gluteus_medius == 0.2)
             & (df["task_swing_hip_flexion_deg"] == 20.0)]
    assert len(row) == 1 and row.unit.item() == "N"
    np.testing.assert_allclose(row.value.item(), grid["itb_tension"].sel(
        {"gluteus_medius": 0.2, "task_swing_hip_flexion_deg": 20.0, "side": "r"}), rtol=1e-5)


def test_output_names(grid):
    assert results.output(grid, "tfl").dims[-1] == "side"
    am = results.output(grid, "gluteus_medius_posterior")
    assert am.attrs["units"] == "N"
    assert results.output(grid, "pelvic_list_deg").attrs["units"] == "deg"
    in_bw = results.output(grid, "itb_tension", bw=True)
    assert in_bw.attrs["units"] == "1" and results.display_units(in_bw) == "BW"
    with pytest.raises(ValueError, match="did you mean"):
        results.output(grid, "tensor_fascia_lata")


def test_sweep_on_dask_matches_local():
    """Chunks mapped on a dask.distributed client give the local answer."""
    distributed = pytest.importorskip("dask.distributed")
    import pelvisim
    from pelvisim.sweep import sweep

    model = pelvisim.load_model()
    task = pelvisim.task("single_leg_stance")
    factors = {"gluteus_medius": np.linspace(1.0, 0.2, 5)}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster, \
            distributed.Client(cluster) as client:
        remote = sweep(model, task, factors, progress=False, chunk_size=2, client=client)
    local = sweep(model, task, factors, progress=False, chunk_size=2)
    np.testing.assert_array_equal(remote.muscle_force.values, local.muscle_force.values)


def test_pelvisim_sweep_is_the_function_whatever_the_import_order():
    """`import pelvisim.sweep` (the module) must not shadow pelvisim.sweep (the function)."""
    import subprocess
    import sys

    code = "import pelvisim.sweep, pelvisim; assert callable(pelvisim.sweep), pelvisim.sweep"
    subprocess.run([sys.executable, "-c", code], check=True)
