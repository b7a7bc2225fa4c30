"""Honest reports (pelvisim.report, pelvisim.bounds): conditions named,
infeasible values marked, compensation at a bound flagged."""
import numpy as np
import pytest

import pelvisim
from pelvisim import report
from pelvisim.bounds import at_bound
from pelvisim.sweep import sweep

SLS = pelvisim.task("single_leg_stance")
FACTOR = "gluteus_medius+gluteus_minimus"
DIM = "gluteus_medius_and_gluteus_minimus"  # its dimension (pelvisim.conventions.dim_name)


@pytest.fixture(scope="module")
def weak_ds(model):
    return sweep(model, SLS, {FACTOR: [1.0, 0.5, 0.05], "compensation": ["none", "optimal"]},
                 progress=False)


def test_bound_flag_matches_the_parameter_file(model):
    """Weak abductors (0.2) and no frontal-orientation cost: optimal compensation
    hikes the swing-side pelvis and leans the trunk to the ends of the
    [compensation] bounds; healthy: inside."""
    weak = model.with_params(frontal_orientation_weight=0.0).with_strength(
        {"gluteus_medius": 0.2, "gluteus_minimus": 0.2})
    sol = pelvisim.solve(weak, SLS, compensation="optimal")
    bounds = {b.angle: b for b in sol.compensation_at_bound}
    lo_list, _ = np.rad2deg(model.params.compensation.bounds["pelvic_list"])
    assert bounds["pelvic_list"].bound == "lower"
    assert bounds["pelvic_list"].value_deg == pytest.approx(lo_list)
    assert sol.posture["pelvic_list_deg"] == pytest.approx(lo_list, abs=0.05)  # q0 list is 0
    assert "AT BOUND: pelvic_list" in sol.summary()
    healthy = pelvisim.solve(model, SLS, compensation="optimal")
    assert healthy.compensation_at_bound == []
    assert "AT BOUND" not in healthy.summary()
    # posture fixed: never flagged, even at the same posture
    assert at_bound(model, SLS, healthy.posture) == []


def test_dataset_flags_agree_with_solutions(model, weak_ds):
    flags = weak_ds["compensation_at_bound"]
    assert flags.sel(compensation="none").values.sum() == 0
    for s in weak_ds[DIM].values:
        sol = pelvisim.solve(model.with_strength({"gluteus_medius": s, "gluteus_minimus": s}),
                             SLS, compensation="optimal")
        row = flags.sel({DIM: s, "compensation": "optimal"})
        expect = {b.angle: (-1 if b.bound == "lower" else 1) for b in sol.compensation_at_bound}
        got = {str(a): int(v) for a, v in zip(row["compensation_angle"].values, row.values) if v}
        assert got == expect


def test_summary_marks_infeasible_and_names_conditions(weak_ds):
    text = report.summary("t", "d", {"sls": weak_ds}, ["tfl", "hip_contact_force"])
    assert not weak_ds["feasible"].all()  # the weakest points need reserves
    n_bad = int((~weak_ds["feasible"]).sum())
    assert f"{n_bad} infeasible" in text
    # a block per compensation, no value averaged over it
    assert "-- posture fixed (no compensation)" in text and "-- optimal compensation" in text
    tfl_rows = [line for line in text.splitlines() if line.strip().startswith("tfl")]
    assert len(tfl_rows) == 2 and all(r.rstrip().split()[-2].endswith(("*", "*^"))
                                      for r in tfl_rows)
    assert "compensation at a bound" in text
    # the range is over feasible points only
    feas_max = float(weak_ds["hip_contact_force_bw"].sel(side="r").where(
        weak_ds["feasible"]).max())
    assert f"to {feas_max:.2f} BW" in text and "infeasible points left out" in text


def test_summary_shows_every_level_of_a_second_factor(model):
    ds = sweep(model, pelvisim.task("forward_bend"),
               {"gluteus_maximus": [1.0, 0.3], "task.hand_load_kg": [0.0, 5.0, 10.0]},
               progress=False)
    text = report.summary("t", "d", {"bend": ds}, ["erector_spinae"])
    for kg in ("0", "5", "10"):
        assert f"-- hand load {kg} kg" in text
    es = ds["group_force"].sel(group="erector_spinae").sum("side")
    rows = [line.split() for line in text.splitlines() if line.strip().startswith("erector")]
    for row, kg in zip(rows, (0.0, 5.0, 10.0)):
        assert float(row[2]) == pytest.approx(float(es.sel(gluteus_maximus=1.0,
                                                           task_hand_load_kg=kg)), abs=0.6)
