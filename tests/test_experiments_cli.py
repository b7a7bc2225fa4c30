"""Experiment files (pelvisim.experiments) and the command line (pelvisim.cli)."""
import subprocess
import sys

import pytest

from pelvisim import cli
from pelvisim.experiments import ExperimentError, load_experiment, shipped

GOOD = """
compensation = "none"
plots = ["curves"]
outputs = ["tfl", "itb_tension"]

[experiment]
name = "tiny"

[task]
name = "single_leg_stance"

[factors]
gluteus_medius = [1.0, 0.5]
"""


def test_every_shipped_experiment_validates():
    files = shipped()
    assert {"gluteus_medius_weakness", "gluteus_maximus_weakness", "deep_rotator_weakness",
            "glute_grid", "tight_hip_flexors", "uncertainty"} <= set(files)
    for name, path in files.items():
        exp = load_experiment(path)
        assert exp.name == name and exp.runs and exp.description
    flagship = load_experiment("gluteus_medius_weakness")
    assert {r.task.name for r in flagship.runs} == {"single_leg_stance", "gait_stance"}


@pytest.mark.parametrize("edit, match", [
    (("gluteus_medius = [1.0, 0.5]", "glutues_medius = [1.0, 0.5]"), "did you mean gluteus_medius"),
    (("gluteus_medius = [1.0, 0.5]", "gluteus_medius = [1.0, 1.5]"), r"\[0, 1\]"),
    (('name = "single_leg_stance"', 'name = "single_leg_stanse"'), "did you mean single_leg_stance"),
    (('compensation = "none"', 'compensation = "sometimes"'), "compensation"),
    (('plots = ["curves"]', 'plots = ["curvs"]'), "did you mean curves"),
    (("[factors]", "[factorz]"), "unknown key"),
    (('name = "tiny"', 'name = "tiny"\nauthor = "x"'), "experiment.author"),
    (("[task]", "[task"), "malformed TOML"),
])
def test_bad_experiment_one_line(tmp_path, edit, match):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*edit))
    with pytest.raises(ExperimentError, match=match) as info:
        load_experiment(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("bad.toml: ")


def test_good_tiny_experiment(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(GOOD)
    assert load_experiment(path).runs[0].factors == {"gluteus_medius": [1.0, 0.5]}


def _main(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list(capsys):
    code, out, _ = _main(["list", "tasks"], capsys)
    assert code == 0 and "single_leg_stance" in out and "gait_stance" in out
    code, out, _ = _main(["list", "groups"], capsys)
    assert code == 0 and "gluteus_medius" in out and "tensor_fasciae_latae" in out
    code, out, _ = _main(["list", "muscles"], capsys)
    assert "gluteus_medius_posterior_r" in out
    code, out, _ = _main(["list", "experiments"], capsys)
    assert "gluteus_medius_weakness" in out


def test_cli_solve(capsys):
    code, out, err = _main(["solve", "single_leg_stance", "--strength", "gluteus_medius=0.5",
                            "--param", "swing_hip_flexion_deg=20"], capsys)
    assert code == 0, err
    assert "ITB tension" in out and "hip contact" in out and "L5/S1 compression" in out
    assert "swing hip flexion 20 deg" in out and "gluteus medius strength 0.5" in out
    assert "feasible" in out


def test_cli_solve_prescribed(capsys):
    code, base, err = _main(["solve", "forward_bend"], capsys)
    assert code == 0, err
    code, out, err = _main(["solve", "forward_bend", "--prescribe", "pelvic_tilt=5",
                            "--prescribe", "lumbar_flexion=3"], capsys)
    assert code == 0, err
    assert "prescribed compensation: pelvic tilt +5 deg, lumbar flexion +3 deg" in out
    posture = lambda text: dict(kv.split("=") for kv in
                                text.split("posture [deg]: ")[1].splitlines()[0].split(", "))
    assert float(posture(out)["pelvic_tilt"]) == pytest.approx(
        float(posture(base)["pelvic_tilt"]) + 5, abs=0.06)
    assert float(posture(out)["trunk_flexion"]) == pytest.approx(
        float(posture(base)["trunk_flexion"]) + 8, abs=0.06)


@pytest.mark.parametrize("argv, match", [
    (["solve", "single_leg_stanse"], "did you mean single_leg_stance"),
    (["solve", "standing", "--strength", "glutues_medius=0.5"], "did you mean gluteus_medius"),
    (["solve", "standing", "--strength", "gluteus_medius=1.5"], "[0, 1]"),
    (["solve", "standing", "--strength", "gluteus_medius"], "KEY=VALUE"),
    (["solve", "gait_stance", "--param", "stance_pct=120"], "stance_pct"),
    (["solve", "standing", "--compensation", "maybe"], "none"),
    (["solve", "standing", "--prescribe", "pelvic_tlt=5"], "did you mean pelvic_tilt"),
    (["solve", "standing", "--prescribe", "pelvic_tilt=five"], "a number"),
    (["solve", "standing", "--prescribe", "pelvic_tilt=5", "--compensation", "optimal"],
     "--compensation none"),
    (["solve", "single_leg_stance", "--prescribe", "pelvic_tilt=5"], "pelvic_list, trunk_lean"),
    (["run", "gluteus_medius_weaknes"], "did you mean gluteus_medius_weakness"),
    (["run", "missing.toml"], "not found"),
    (["list", "muscels"], "did you mean muscles"),
    (["plot", "nowhere.nc"], "not found"),
    (["frobnicate"], "invalid choice"),
])
def test_cli_bad_input(capsys, argv, match):
    code, out, err = _main(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pelvisim: error: ")
    assert match in lines[0]
    assert "Traceback" not in err


def test_cli_subprocess_bad_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[experiment\nname = 1\n")
    proc = subprocess.run([sys.executable, "-m", "pelvisim.cli", "run", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "broken.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_run_tiny(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(GOOD)
    out_dir = tmp_path / "out"
    code, out, err = _main(["run", str(path), "--out", str(out_dir), "--no-progress"], capsys)
    assert code == 0, err
    for name in ("single_leg_stance.nc", "single_leg_stance.csv", "single_leg_stance_curves.png",
                 "summary.txt"):
        assert (out_dir / name).stat().st_size > 0, name
    assert "itb_tension" in (out_dir / "summary.txt").read_text()
    code, out, err = _main(["plot", str(out_dir / "single_leg_stance.nc"), "--out",
                            str(tmp_path / "replot")], capsys)
    assert code == 0, err
    assert (tmp_path / "replot" / "single_leg_stance_curves.png").stat().st_size > 0
