"""OpenSim reader (pelvisim.io) and the gait_stance table (pelvisim.gait)."""
from pathlib import Path

import numpy as np
import pytest

from pelvisim.gait import COLUMNS, GaitTable, build_reference_table, load_gait_table, table_from_opensim
from pelvisim.io import read_opensim_table

REF = Path(__file__).parents[1] / ".." / "shared" / "reference"
needs_ref = pytest.mark.skipif(
    not (REF / "subject01_walk1_inverse_dynamics.sto").exists(), reason="reference OpenSim files absent"
)

STO = """Inverse Dynamics
version=1
nRows=3
nColumns=3
inDegrees=no
endheader
time\thip_flexion_r_moment\tknee_angle_r_moment
      0.0\t 1.5\t-2.0
      0.1\t 2.5\t-3.0
      0.2\t 3.5\t-4.0
"""

MOT_SIMM = """first trial
nRows=2
nColumns=3

# SIMM Motion File Header:
name first trial
datarows 2
endheader
time hip_flexion_r knee_angle_r
0.5 10.0 -20.0
0.6 11.0 -21.0
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# --- reader on synthetic files -------------------------------------------------

def test_reads_sto_header_and_columns(tmp_path):
    t = read_opensim_table(write(tmp_path, "id.sto", STO))
    assert t.columns == ("time", "hip_flexion_r_moment", "knee_angle_r_moment")
    assert t.data.shape == (3, 3)
    assert t.in_degrees is False
    assert t.metadata["name"] == "Inverse Dynamics"
    assert t.metadata["nRows"] == "3"
    np.testing.assert_allclose(t.time, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(t.column("knee_angle_r_moment"), [-2.0, -3.0, -4.0])


def test_degrees_flag(tmp_path):
    yes = read_opensim_table(write(tmp_path, "a.sto", STO.replace("inDegrees=no", "inDegrees=yes")))
    assert yes.in_degrees is True
    # legacy SIMM .mot without inDegrees: degrees; space separated labels and values
    mot = read_opensim_table(write(tmp_path, "b.mot", MOT_SIMM))
    assert mot.in_degrees is True
    assert mot.columns == ("time", "hip_flexion_r", "knee_angle_r")
    assert mot.metadata["datarows"] == "2"
    assert "SIMM" in mot.metadata["comments"]
    np.testing.assert_allclose(mot.column("knee_angle_r"), [-20.0, -21.0])
    # explicit override
    assert read_opensim_table(tmp_path / "b.mot", in_degrees=False).in_degrees is False
    with pytest.raises(ValueError, match=r"a2\.sto.*inDegrees='maybe'.*yes.*no"):
        read_opensim_table(write(tmp_path, "a2.sto", STO.replace("inDegrees=no", "inDegrees=maybe")))


def test_column_keyerror_lists_close_matches(tmp_path):
    t = read_opensim_table(write(tmp_path, "id.sto", STO))
    with pytest.raises(KeyError, match="hip_flexion_r_moment"):
        t.column("hip_flexion_moment")


def test_data_is_read_only(tmp_path):
    t = read_opensim_table(write(tmp_path, "id.sto", STO))
    with pytest.raises(ValueError):
        t.data[0, 0] = 1.0


@pytest.mark.parametrize(
    "text, pattern",
    [
        (STO.replace("endheader\n", ""), r"bad\.sto: no 'endheader'.*expected"),
        (STO.replace("      0.1\t 2.5\t-3.0", "      0.1\t 2.5"), r"bad\.sto: ragged row at line 9: 2 values, expected 3"),
        (STO.replace("-3.0", "abc"), r"bad\.sto: non-numeric value 'abc' at line 9, column 'knee_angle_r_moment'; expected a number"),
        (STO.replace("nRows=3", "nRows=4"), r"bad\.sto: header declares 4 rows but the file has 3"),
        (STO.split("time\t")[0], r"bad\.sto: nothing after 'endheader'; expected a line of column labels"),
        (STO.replace("time\t", "t\t"), r"bad\.sto: line 7 should hold the column labels starting with 'time'"),
        (STO.replace("nRows=3", "nRows=0").split("      0.0")[0], r"bad\.sto: no data rows"),
    ],
    ids=["no_endheader", "ragged", "non_numeric", "row_count", "no_labels", "no_time", "no_rows"],
)
def test_bad_files_one_line_messages(tmp_path, text, pattern):
    path = write(tmp_path, "bad.sto", text)
    with pytest.raises(ValueError, match=pattern) as err:
        read_opensim_table(path)
    assert "\n" not in str(err.value)


# --- reader on the reference trial ----------------------------------------------

@needs_ref
def test_reads_reference_files():
    ids = read_opensim_table(REF / "subject01_walk1_inverse_dynamics.sto")
    assert ids.data.shape == (73, 24) and not ids.in_degrees
    assert "lumbar_extension_moment" in ids.columns
    ik = read_opensim_table(REF / "subject01_walk1_ik.mot")
    assert ik.data.shape == (211, 165) and ik.in_degrees
    assert ik.time[0] == pytest.approx(0.5) and ik.time[-1] == pytest.approx(4.0)
    grf = read_opensim_table(REF / "subject01_walk1_grf.mot")
    assert grf.data.shape == (1501, 19) and grf.in_degrees
    assert grf.columns[-1] == "1_ground_torque_z"  # trailing tabs ignored


@needs_ref
def test_shipped_csv_is_exactly_the_generator_output(tmp_path):
    out = build_reference_table(REF).to_csv(tmp_path / "gait.csv")
    shipped = Path(__file__).parents[1] / "params" / "gait_normative.csv"
    assert out.read_text() == shipped.read_text()


@needs_ref
def test_mass_estimated_from_grf_and_left_stance_mirrored():
    files = [REF / f for f in ("subject01_walk1_inverse_dynamics.sto", "subject01_walk1_ik.mot", "subject01_walk1_grf.mot")]
    est = table_from_opensim(*files)
    assert est.mass_kg == pytest.approx(72.6, rel=0.01)
    # no complete left stance inside the inverse-dynamics time range (0.4-1.6 s)
    with pytest.raises(ValueError, match="no complete stance"):
        table_from_opensim(*files, side="l", mass_kg=72.6)
    # mirroring, on a given window: left columns land in the right ones, frontal/transverse signs flip
    right = table_from_opensim(*files, mass_kg=72.6, stance=(0.7, 1.5))
    left = table_from_opensim(*files, side="l", mass_kg=72.6, stance=(0.7, 1.5))
    c, m = right.columns, left.columns
    np.testing.assert_allclose(m["hip_adduction_r_deg"], c["hip_adduction_l_deg"])
    np.testing.assert_allclose(m["knee_flexion_l_deg"], c["knee_flexion_r_deg"])
    np.testing.assert_allclose(m["pelvic_list_deg"], -c["pelvic_list_deg"])
    np.testing.assert_allclose(m["lumbar_rotation_moment"], -c["lumbar_rotation_moment"])
    np.testing.assert_allclose(m["lumbar_flexion_deg"], c["lumbar_flexion_deg"])


# --- the shipped table --------------------------------------------------------

def test_shipped_table_columns_and_grid():
    t = load_gait_table()
    assert set(COLUMNS) <= set(t.columns)
    np.testing.assert_allclose(t.stance_pct, np.arange(0, 101, 2))
    assert t.mass_kg == pytest.approx(72.6)
    assert "CC BY 3.0" in t.source and "20 N" in t.source
    for name in COLUMNS:
        assert np.all(np.isfinite(t.columns[name])), name


def test_shipped_table_vertical_grf_two_peaks_and_dip():
    t = load_gait_table()
    pct, fy = t.stance_pct, t.columns["grf_y_bw"]
    first = fy[(pct >= 10) & (pct <= 35)].max()
    dip = fy[(pct >= 35) & (pct <= 60)].min()
    second = fy[(pct >= 60) & (pct <= 90)].max()
    assert 0.95 < first < 1.3 and 0.95 < second < 1.3
    assert dip < min(first, second) - 0.1
    assert fy[0] < 0.1 and fy[-1] < 0.1
    # braking then propulsion
    fx = t.columns["grf_x_bw"]
    assert fx[(pct > 5) & (pct < 35)].min() < -0.08 and fx[(pct > 65) & (pct < 95)].max() > 0.08


def test_shipped_table_moment_signs():
    t = load_gait_table()
    pct = t.stance_pct
    mid = (pct >= 20) & (pct <= 80)
    abd = t.columns["hip_adduction_r_moment"]
    assert np.all(abd[mid] < 0)  # abduction demand (negative adduction moment) through mid stance
    assert 0.4 < -abd.min() < 1.0
    rot = t.columns["hip_rotation_r_moment"]
    assert np.all(rot[(pct >= 60) & (pct <= 96)] < 0)  # external-rotation demand in late stance
    hip = t.columns["hip_flexion_r_moment"]
    assert hip[pct <= 30].min() < -0.4 and hip[pct >= 70].max() > 0.4  # extension early, flexion late
    assert t.columns["knee_flexion_r_moment"][pct <= 30].min() < -0.3  # knee extensor demand in loading
    knee = t.columns["knee_flexion_r_deg"]
    assert knee[0] < 5 and 10 < knee[(pct > 5) & (pct < 30)].max() < 30


# --- GaitTable ----------------------------------------------------------------

def test_at_grid_points_returns_table_values():
    t = load_gait_table()
    for i in (0, 7, 25, 50):
        row = t.at(t.stance_pct[i])
        for name in COLUMNS:
            assert row[name] == t.columns[name][i]


def test_at_interpolates_and_rejects_out_of_range():
    t = load_gait_table()
    mid = t.at(1.0)["grf_y_bw"]
    assert mid == pytest.approx(0.5 * (t.columns["grf_y_bw"][0] + t.columns["grf_y_bw"][1]))
    for bad in (-0.5, 100.5, float("nan")):
        with pytest.raises(ValueError, match=r"outside the allowed range \[0, 100\]"):
            t.at(bad)


def test_csv_round_trip_and_missing_column(tmp_path):
    pct = np.array([0.0, 50.0, 100.0])
    cols = {name: np.array([0.0, 1.0, 2.0]) + i for i, name in enumerate(COLUMNS)}
    table = GaitTable(pct, cols, source="my trial\nline two", mass_kg=80.0)
    path = table.to_csv(tmp_path / "mine.csv")
    back = load_gait_table(path)
    assert back.source == "my trial\nline two" and back.mass_kg == 80.0
    np.testing.assert_allclose(back.columns["grf_z_bw"], cols["grf_z_bw"])
    text = path.read_text().replace("hip_rotation_r_moment", "hip_rot_moment")
    with pytest.raises(ValueError, match=r"bad\.csv: missing column 'hip_rotation_r_moment'"):
        load_gait_table(write(tmp_path, "bad.csv", text))


@needs_ref
def test_user_opensim_trial_drives_gait_stance(tmp_path):
    """A user's OpenSim ID/IK/GRF files -> table -> gait_stance solve, in equilibrium."""
    import pelvisim
    from conftest import assert_equilibrium
    from pelvisim.gait import table_from_opensim

    table = table_from_opensim(REF / "subject01_walk1_inverse_dynamics.sto",
                               REF / "subject01_walk1_ik.mot", REF / "subject01_walk1_grf.mot",
                               mass_kg=72.6)
    table.to_csv(tmp_path / "trial.csv")
    model = pelvisim.load_model(mass_kg=72.6)
    for source in (table, str(tmp_path / "trial.csv")):
        sol = pelvisim.solve(model, pelvisim.task("gait_stance", stance_pct=50, table=source))
        assert sol.feasible
        assert_equilibrium(sol)
    # the table's hip abduction moment is what the muscles produce (CSV keeps ~7 digits)
    expected = table.at(50)["hip_adduction_r_moment"] * 72.6
    assert sol.demanded_moment["hip_adduction_r"] == pytest.approx(expected, rel=1e-5)
