"""Every user mistake of issue 13: exit code 2, ONE line on stderr naming what is
allowed, nothing left behind; a bug keeps its traceback."""
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import pelvisim
from pelvisim import cli
from pelvisim.errors import (ExperimentError, InputFileError, OutputError, ParameterError,
                             PelvisimError, TaskError, UsageError)

TINY = """
[experiment]
name = "tiny"

[task]
name = "single_leg_stance"

[factors]
gluteus_medius = {{ from = 1.0, to = 0.5, num = {num} }}
"""

SOBOL = """
[experiment]
name = "sob"

[task]
name = "single_leg_stance"

[factors]
gluteus_medius = { low = 0.3, high = 1.0 }

[sampler]
kind = "sobol"
n = 30
"""


def _read_only_folder(tmp_path) -> Path:
    """A folder this process cannot write into (chmod for users; /sys for root)."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return d
    try:
        tempfile.mkstemp(dir="/sys")
    except OSError:
        return Path("/sys")
    pytest.skip("no folder this (root) process cannot write")


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _nc_foreign(tmp_path):
    p = tmp_path / "foreign.nc"
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(p)
    return str(p)


# (case id, argv builder, fragment of the one-line message)
CASES = [
    ("prescribe-trunk-lean-80", lambda t: ["solve", "single_leg_stance", "--prescribe",
                                           "trunk_lean=80"], "trunk_lean_deg: 80: allowed"),
    ("prescribe-pelvic-list-60", lambda t: ["solve", "single_leg_stance", "--prescribe",
                                            "pelvic_list=-60"], "[-10, 10] deg"),
    ("prescribe-tilt-beyond-lumbar", lambda t: ["solve", "forward_bend", "--prescribe",
                                                "pelvic_tilt=40"], "pelvic_tilt_deg"),
    ("param-table-123", lambda t: ["solve", "gait_stance", "--param", "table=123"],
     "table: 123.0: allowed a gait-table .csv"),
    ("param-table-missing", lambda t: ["solve", "gait_stance", "--param", "table=nope.csv"],
     "gait table (.csv) not found"),
    ("num-0", lambda t: ["run", _write(t, "e.toml", TINY.format(num="0"))], "num = 0"),
    ("num-string", lambda t: ["run", _write(t, "e.toml", TINY.format(num='"10"'))],
     "num = '10': allowed a positive integer"),
    ("num-float", lambda t: ["run", _write(t, "e.toml", TINY.format(num="2.5"))],
     "num = 2.5"),
    ("plot-empty", lambda t: ["plot", _write(t, "empty.nc", "")], "not a pelvisim result"),
    ("plot-text", lambda t: ["plot", _write(t, "notes.txt", "hello\n")],
     "not a pelvisim result"),
    ("plot-csv", lambda t: ["plot", _write(t, "r.csv", "a,b\n1,2\n")], "not a pelvisim result"),
    ("plot-foreign-netcdf", lambda t: ["plot", _nc_foreign(t)], "not a pelvisim result"),
    ("plot-empty-folder", lambda t: ["plot", str(t)], "no .nc results"),
    ("out-read-only", lambda t: ["run", _write(t, "e.toml", TINY.format(num=2)), "--out",
                                 str(_read_only_folder(t))], "cannot write"),
    ("out-parent-not-writable", lambda t: ["run", _write(t, "e.toml", TINY.format(num=2)),
                                           "--out", str(_read_only_folder(t) / "out")],
     "cannot create"),
    ("out-is-a-file", lambda t: ["run", _write(t, "e.toml", TINY.format(num=2)), "--out",
                                 _write(t, "taken.txt", "x")], "is a file"),
    ("sobol-n-30", lambda t: ["run", _write(t, "s.toml", SOBOL)],
     "s.toml: factors: sampler sobol: n = 30: allowed a power of 2"),
    ("run-a-folder", lambda t: ["run", str(t)], "is a folder"),
    ("run-missing", lambda t: ["run", str(t / "missing.toml")], "not found"),
    ("mass-zero", lambda t: ["solve", "standing", "--mass-kg", "0"], "mass_kg: 0.0"),
    ("mass-nan", lambda t: ["solve", "standing", "--mass-kg", "nan"], "mass_kg: nan"),
    ("strength-inf", lambda t: ["solve", "standing", "--strength", "gluteus_medius=inf"],
     "[0, 1]"),
    ("bad-option", lambda t: ["run", "--frobnicate"], "unrecognized arguments"),
]


@pytest.mark.parametrize("argv, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_mistake_one_line_exit_2_nothing_left(tmp_path, monkeypatch, capsys, argv, match):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the default output folder would appear here
    args = argv(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pelvisim: error: "), err
    assert match in lines[0], lines[0]
    assert "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before, "left files or folders behind"


def test_table_resolves_from_experiment_folder(tmp_path, monkeypatch, capsys):
    """A task's ``table`` and the model's ``params`` resolve from the experiment
    file's folder, whatever the current folder; a missing one names the key."""
    from pelvisim.experiments import load_experiment
    from pelvisim.gait import load_gait_table

    exp_dir = tmp_path / "exp"
    exp_dir.mkdir()
    load_gait_table().to_csv(exp_dir / "my_gait.csv")
    text = ('[experiment]\nname = "g"\n[task]\nname = "gait_stance"\ntable = "my_gait.csv"\n'
            '[factors]\ngluteus_medius = [1.0]\n')
    (exp_dir / "g.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    exp = load_experiment(exp_dir / "g.toml")
    assert Path(exp.runs[0].task.params["table"]) == (exp_dir / "my_gait.csv").resolve()
    (exp_dir / "h.toml").write_text(text.replace("my_gait.csv", "other.csv"))
    with pytest.raises(ExperimentError, match=r"h.toml: task.table: 'other.csv': gait table "
                                              r"\(.csv\) not found"):
        load_experiment(exp_dir / "h.toml")


@pytest.mark.parametrize("call, cls, match", [
    (lambda m: m.with_body(mass_kg=0), ParameterError, "mass_kg: 0"),
    (lambda m: m.with_body(height_m=0.0), ParameterError, "height_m: 0.0"),
    (lambda m: m.with_body(mass_kg=float("nan")), ParameterError, "mass_kg: nan"),
    (lambda m: pelvisim.load_model("x.osim"), ParameterError,
     "an OpenSim model.*load_model\\(osim=...\\)"),
    (lambda m: pelvisim.load_model(Path(__file__).parent), ParameterError, "is a folder"),
    (lambda m: pelvisim.Prescribed(trunk_lean_deg=float("nan")), TaskError, "finite"),
    (lambda m: pelvisim.task("gait_stance", table=123), TaskError, "table: 123"),
    (lambda m: pelvisim.task("standing", weight_split_r=True), TaskError, "weight_split_r"),
    (lambda m: m.with_params(specific_tension_n_per_cm2="60"), ParameterError, "'60'"),
])
def test_api_mistakes(model, call, cls, match):
    with pytest.raises(cls, match=match) as info:
        call(model)
    assert "\n" not in str(info.value)


def test_error_classes_keep_their_homes():
    from pelvisim.cli import UsageError as U
    from pelvisim.experiments import ExperimentError as E
    from pelvisim.params import ParameterError as P

    assert (U, E, P) == (UsageError, ExperimentError, ParameterError)
    for cls in (UsageError, ExperimentError, ParameterError, InputFileError, TaskError,
                OutputError):
        assert issubclass(cls, PelvisimError) and issubclass(cls, ValueError)


def test_a_bug_keeps_its_traceback(monkeypatch):
    """Only pelvisim errors become one line: anything else propagates (exit 1)."""
    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "cmd_list", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["list"])


def test_ctrl_c_before_any_chunk_leaves_nothing(tmp_path, monkeypatch, capsys):
    """Ctrl-C before a chunk finished: exit 130, one line, no folder left."""
    import pelvisim.experiments as E

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(E, "run_experiment", interrupted)
    out = tmp_path / "new" / "out"
    code = cli.main(["run", _write(tmp_path, "e.toml", TINY.format(num=2)), "--out", str(out),
                     "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130 and len(err) == 1 and "nothing finished" in err[0]
    assert not (tmp_path / "new").exists()
