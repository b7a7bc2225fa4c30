"""Nothing lost: a real ``pelvisim run`` killed midway (SIGKILL, SIGINT) resumes
to a result bitwise identical to an uninterrupted run; results are never
overwritten without --overwrite; the CLI runs on Dask worker processes."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pelvisim import cli, results
from pelvisim.outdir import PARTIAL

from test_determinism import assert_identical

EXPERIMENT = """
compensation = "optimal"
plots = []
outputs = ["tfl", "itb_tension"]

[experiment]
name = "killme"

[task]
name = "single_leg_stance"

[factors]
gluteus_medius = {{ from = 1.0, to = 0.1, num = {num} }}
gluteus_minimus = [1.0, 0.5, 0.2]

[sampler]
seed = 7
"""
CHUNK = "4"


def _env():
    env = dict(os.environ)
    src = str(Path(cli.__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    path = d / "killme.toml"
    path.write_text(EXPERIMENT.format(num=60))  # 180 points, 45 chunks
    ref = d / "reference"
    assert cli.main(["run", str(path), "--out", str(ref), "--no-progress",
                     "--chunk-size", CHUNK]) == 0
    return path, results.load(ref / "single_leg_stance.nc")


def _start(path, out):
    return subprocess.Popen(
        [sys.executable, "-m", "pelvisim.cli", "run", str(path), "--out", str(out),
         "--no-progress", "--chunk-size", CHUNK],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _wait_for_chunks(proc, out, deadline=120.0):
    store = out / PARTIAL / "single_leg_stance"
    t0 = time.time()
    while time.time() - t0 < deadline:
        if list(store.glob("chunk-*.nc")):
            return
        if proc.poll() is not None:
            pytest.fail(f"run ended before any chunk: {proc.stderr.read()}")
        time.sleep(0.005)
    pytest.fail("no chunk written in time")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_run_resumes_identical(experiment, tmp_path, capsys, sig):
    path, reference = experiment
    out = tmp_path / "out"
    proc = _start(path, out)
    _wait_for_chunks(proc, out)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    kept = sorted((out / PARTIAL / "single_leg_stance").glob("chunk-*.nc"))
    assert 0 < len(kept) < 45, "killed after the end: make the sweep longer"
    assert not (out / "single_leg_stance.nc").exists()
    if sig == signal.SIGINT:  # Ctrl-C: one line saying what is kept and how to resume
        assert proc.returncode == 130
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "interrupted" in lines[0] and "--resume" in lines[0], err
    else:
        assert proc.returncode == -signal.SIGKILL
    # without --resume the interrupted run is not overwritten
    assert cli.main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    code = cli.main(["run", str(path), "--out", str(out), "--no-progress", "--chunk-size", CHUNK,
                     "--resume"])
    assert code == 0
    assert_identical(results.load(out / "single_leg_stance.nc"), reference)
    assert not (out / PARTIAL).exists()  # the store goes once the report is written
    # a finished run is not overwritten without --overwrite
    assert cli.main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_overwrite_and_dask_workers_from_the_cli(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    path = tmp_path / "small.toml"
    path.write_text(EXPERIMENT.format(num=4))
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert cli.main(["run", str(path), "--out", str(local), "--no-progress"]) == 0
    assert cli.main(["run", str(path), "--out", str(dask), "--no-progress", "--workers", "2",
                     "--chunk-size", "3"]) == 0
    a = results.load(local / "single_leg_stance.nc")
    assert_identical(a, results.load(dask / "single_leg_stance.nc"))
    before = (local / "single_leg_stance.nc").stat().st_mtime_ns
    assert cli.main(["run", str(path), "--out", str(local), "--no-progress",
                     "--overwrite"]) == 0
    assert (local / "single_leg_stance.nc").stat().st_mtime_ns != before
    assert_identical(a, results.load(local / "single_leg_stance.nc"))
    capsys.readouterr()
    assert cli.main(["run", str(path), "--scheduler", "tcp://127.0.0.1:1", "--out",
                     str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot connect" in err[0]
    assert not (tmp_path / "x").exists()


def test_ctrl_c_during_a_write_takes_effect_after_it(tmp_path):
    """SIGINT inside a netCDF write is held until the write ends (raised
    inside it, it left xarray's HDF5 lock held and the run hung)."""
    from pelvisim.results import interrupts_deferred

    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            signal.raise_signal(signal.SIGINT)
            done.append("after the signal")
    assert done == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with interrupts_deferred():  # nothing pending: nothing raised
        done.append("quiet")
    assert done[-1] == "quiet"
