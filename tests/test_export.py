"""Results out: OpenSim storage files, read back by pelvisim's own reader."""
import numpy as np
import pytest

import pelvisim
from pelvisim import results
from pelvisim.cli import main
from pelvisim.export import export_sto
from pelvisim.sweep import sweep
from pelvisim.io import read_opensim_table, write_opensim_table


@pytest.fixture(scope="module")
def gait_sweep(model):
    return sweep(model, pelvisim.task("gait_stance"),
                          {"task.stance_pct": [0.0, 30.0, 60.0, 100.0], "gluteus_medius": [1.0, 0.4]},
                          progress=False)


def test_sto_round_trip(gait_sweep, tmp_path):
    ds = gait_sweep
    files = export_sto(ds, tmp_path, prefix="walk")
    assert len(files) == 8  # four kinds x two strengths
    for strength in (1.0, 0.4):
        sub = ds.sel(gluteus_medius=strength)
        stem = tmp_path / f"walk_gluteus_medius={strength:g}"
        force = read_opensim_table(f"{stem}_StaticOptimization_force.sto")
        assert force.metadata["version"] == "1" and not force.in_degrees
        assert int(force.metadata["nRows"]) == 4 and int(force.metadata["nColumns"]) == len(force.columns)
        np.testing.assert_array_equal(force.time, ds["task_stance_pct"].values)
        for m in ds["muscle"].values[::7]:
            np.testing.assert_allclose(force.column(str(m)), sub["muscle_force"].sel(muscle=m).values,
                                       rtol=1e-9, atol=1e-9)
        for d in ds["dof"].values:
            np.testing.assert_allclose(force.column(f"{d}_reserve"), sub["reserve"].sel(dof=d).values,
                                       rtol=1e-9, atol=1e-9)
        act = read_opensim_table(f"{stem}_StaticOptimization_activation.sto")
        np.testing.assert_allclose(act.data[:, 1:], sub["activation"].transpose("task_stance_pct", "muscle").values,
                                   rtol=1e-9, atol=1e-12)
        jr = read_opensim_table(f"{stem}_JointReaction_ReactionLoads.sto")
        for k, ax in enumerate("xyz"):
            np.testing.assert_allclose(jr.column(f"hip_r_on_femur_r_in_pelvis_f{ax}"),
                                       sub["hip_contact_vector"].sel(side="r").isel(axis=k).values, rtol=1e-9)
        # the vector and the magnitude columns agree
        vec = np.stack([jr.column(f"hip_l_on_femur_l_in_pelvis_f{a}") for a in "xyz"])
        np.testing.assert_allclose(np.linalg.norm(vec, axis=0), jr.column("hip_contact_force_l"), rtol=1e-8)
        np.testing.assert_allclose(jr.column("l5s1_compression"), sub["l5s1_compression"].values, rtol=1e-9)
        post = read_opensim_table(f"{stem}_posture.sto")
        assert post.in_degrees
        np.testing.assert_allclose(post.column("hip_flexion_r"), sub["posture"].sel(angle="hip_flexion_r_deg").values,
                                   rtol=1e-9, atol=1e-12)


def test_export_cli(gait_sweep, tmp_path, capsys):
    nc = results.save(gait_sweep, tmp_path / "gait.nc")
    assert main(["export", str(nc), "--out", str(tmp_path / "sto")]) == 0
    assert len(list((tmp_path / "sto").glob("gait_*.sto"))) == 8
    assert main(["export", str(nc), "--format", "csv"]) == 2
    assert main(["export", str(nc), "--time-dim", "muscle"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("pelvisim: error: ") for line in err)


def test_writer_rejects_bad_tables(tmp_path):
    with pytest.raises(ValueError, match="increase strictly"):
        write_opensim_table(tmp_path / "a.sto", ["time", "x"], [[0.0, 1.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match="first column must be 'time'"):
        write_opensim_table(tmp_path / "a.sto", ["x", "time"], [[0.0, 1.0]])
    with pytest.raises(ValueError, match="non-finite"):
        write_opensim_table(tmp_path / "a.sto", ["time", "x"], [[0.0, np.nan]])


def test_export_needs_muscle_outputs(model, tmp_path):
    ds = sweep(model, pelvisim.task("standing"), {"gluteus_medius": [1.0, 0.5]}, progress=False,
                        muscle_outputs=False)
    with pytest.raises(ValueError, match="muscle-level outputs"):
        export_sto(ds, tmp_path)

