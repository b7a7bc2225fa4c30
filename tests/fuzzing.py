"""Fuzz targets shared by tests/test_fuzz.py (a small CI profile) and
benchmarks/fuzz.py (>= 5,000 cases with counts per outcome).

Each target takes hypothesis-drawn mutations of a real input (the shipped
parameter file, experiment files, command lines, gait tables and OpenSim
.sto/.mot files), feeds it to pelvisim and classifies what happened:

``error``      a PelvisimError with a one-line message (a user mistake, reported)
``ok``         a result with every number finite
``BAD:...``    anything else: another exception, a multi-line message, a NaN or
               inf in a result, a hang (over ``TIMEOUT`` seconds)
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import signal
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import pelvisim
from pelvisim.errors import PelvisimError

REPO = Path(__file__).resolve().parents[1]
PARAMS_TEXT = (REPO / "params" / "default.toml").read_text(encoding="utf-8")
GAIT_TEXT = (REPO / "params" / "gait_normative.csv").read_text(encoding="utf-8")
EXPERIMENT_TEXTS = {p.name: p.read_text(encoding="utf-8")
                    for p in sorted((REPO / "experiments").glob("*.toml"))}
TIMEOUT = 60  # [s] per case: longer is a hang
MAX_POINTS = 48  # experiments with more points are only validated

# A small experiment that touches most keys; mutated and then run
TINY_EXPERIMENT = """
compensation = ["none", "optimal"]
criterion = "activation_squared"
plots = ["curves"]
outputs = ["tfl", "itb_tension", "hip_contact_force"]

[experiment]
name = "fuzz"
description = "fuzzed"

[model]
params = "default"
mass_kg = 80.0
height_m = 1.8
strength = { gluteus_minimus = 0.8 }
tightness = { hip_flexors = 0.1 }

[task]
name = "single_leg_stance"
swing_hip_flexion_deg = 30.0

[factors]
gluteus_medius = { from = 1.0, to = 0.2, num = 3 }
"task.swing_knee_flexion_deg" = [40.0, 60.0]

[sampler]
kind = "grid"
seed = 3
"""

STO = """{name}
version=1
nRows={rows}
nColumns={cols}
inDegrees={deg}
endheader
{header}
{body}
"""

# ------------------------------------------------------------------ strategies
WEIRD_TOML_VALUES = st.sampled_from([
    "nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "0", "-1", "0.0", "true", '"x"',
    '"\u00e9\u2603"', '""', "[]", "[1, 2]", "{}", '{ a = 1 }', "[nan]", "99999999999999999999",
    "-0.0", "2.5", '"10"', "[[1], [2, 3]]", '"default"', '"female"', '"none"',
])
toml_value = st.one_of(
    WEIRD_TOML_VALUES,
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda x: "nan" if math.isnan(x) else ("inf" if x == math.inf else
                                              "-inf" if x == -math.inf else repr(x))),
    st.integers(-10**6, 10**6).map(str),
    st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
)


@st.composite
def mutated_toml(draw, text: str):
    """A TOML text with a few edits: a value replaced, a line dropped or
    duplicated, an unknown key added, unicode garbage, or the text truncated."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "value", "value", "drop", "dup", "unknown",
                                     "garbage", "truncate"]))
        assign = [i for i, l in enumerate(lines) if "=" in l and not l.lstrip().startswith("#")]
        if kind == "value" and assign:
            i = draw(st.sampled_from(assign))
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(toml_value)}"
        elif kind == "drop" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif kind == "dup" and assign:
            i = draw(st.sampled_from(assign))
            lines.insert(i, lines[i])
        elif kind == "unknown":
            i = draw(st.integers(0, len(lines)))
            lines.insert(i, f"{draw(st.sampled_from(['zzz', 'mass', 'n', 'name']))} = "
                            f"{draw(toml_value)}")
        elif kind == "garbage":
            i = draw(st.integers(0, len(lines)))
            lines.insert(i, draw(st.text(min_size=1, max_size=20)).replace("\x00", ""))
        elif kind == "truncate":
            joined = "\n".join(lines)
            lines = joined[:draw(st.integers(0, len(joined)))].split("\n")
    return "\n".join(lines)


@st.composite
def mutated_csv(draw):
    """The shipped gait table with a few cells, rows or columns broken."""
    lines = GAIT_TEXT.split("\n")
    header = next(i for i, l in enumerate(lines) if l.startswith("stance_pct"))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cell", "cell", "row", "column", "truncate", "header",
                                     "mass"]))
        rows = list(range(header + 1, len(lines)))
        if kind == "cell" and rows:
            i = draw(st.sampled_from(rows))
            cells = lines[i].split(",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e308", "x", "",
                                             "1e6", "-400", "\u00e9"]))
            lines[i] = ",".join(cells)
        elif kind == "row" and rows:
            del lines[draw(st.sampled_from(rows))]
        elif kind == "column":
            j = draw(st.integers(0, 40))
            lines = [",".join(c for k, c in enumerate(l.split(",")) if k != j)
                     if not l.startswith("#") else l for l in lines]
        elif kind == "header" and header < len(lines):
            cells = lines[header].split(",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from(["", "time", "zzz", cells[j] + "_"]))
            lines[header] = ",".join(cells)
        elif kind == "mass":
            lines.insert(0, f"# mass_kg = {draw(st.sampled_from(['x', 'nan', '-5', '1e9']))}")
        elif kind == "truncate":
            joined = "\n".join(lines)
            lines = joined[:draw(st.integers(0, len(joined)))].split("\n")
    return "\n".join(lines)


number_text = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e308", "x", "", "1,5", "\u00bd", "0x10", "-0"]),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.integers(-1000, 1000).map(str))


@st.composite
def opensim_text(draw):
    """A .sto/.mot-like file: header, labels and rows with random defects
    (about half of them well-formed tables with odd numbers)."""
    names = ["pelvis_tilt", "hip_flexion_r", "knee_angle_r", "ground_force_vy", "x", "\u00fc", ""]
    cols = draw(st.lists(st.sampled_from(names + ["time"]), min_size=1, max_size=6))
    if draw(st.integers(0, 3)):
        cols = ["time"] + cols
    if draw(st.booleans()):  # well formed: every row has one number per column
        num = st.floats(allow_nan=True, allow_infinity=True).map(repr)
        rows = draw(st.lists(st.lists(num, min_size=len(cols), max_size=len(cols)),
                             min_size=1, max_size=6))
    else:
        rows = draw(st.lists(st.lists(number_text, min_size=0, max_size=len(cols) + 1),
                             min_size=0, max_size=6))
    text = STO.format(name=draw(st.sampled_from(["walk", "", "#c"])),
                      rows=draw(st.sampled_from([str(len(rows))] * 3 + ["3", "x", "-1"])),
                      cols=len(cols), deg=draw(st.sampled_from(["yes", "no", "maybe"])),
                      header="\t".join(cols),
                      body="\n".join(draw(st.sampled_from(["\t", "\t", " ", ","])).join(r)
                                     for r in rows))
    if not draw(st.integers(0, 4)):
        text = text.replace("endheader", draw(st.sampled_from(["", "endheader", "ENDHEADER"])))
    if not draw(st.integers(0, 4)):
        text = text[:draw(st.integers(0, len(text)))]
    return text


@functools.lru_cache(maxsize=1)
def result_bytes() -> bytes:
    """A small pelvisim result (.nc) to mutate."""
    from pelvisim import results
    from pelvisim.sweep import sweep

    ds = sweep(pelvisim.load_model(), pelvisim.task("single_leg_stance"),
               {"gluteus_medius": [1.0, 0.5], "compensation": ["none", "optimal"]},
               progress=False, seed=0)
    ds.attrs.update(experiment_outputs="tfl,itb_tension,hip_contact_force",
                    experiment_plots="curves,abductor_share,heatmap,bands")
    path = results.save(ds, _FOLDER / "base.nc")
    return path.read_bytes()


@st.composite
def mutated_result(draw):
    """("bytes", data) with truncated or flipped bytes of a real result, or
    ("drop", names) for a result with variables, coordinates or attributes removed."""
    if draw(st.booleans()):
        data = bytearray(result_bytes())
        if draw(st.booleans()):
            data = data[:draw(st.integers(0, len(data)))]
        for _ in range(draw(st.integers(0, 5))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return ("bytes", bytes(data))
    names = ["feasible", "group_force", "group", "side", "muscle", "body_weight", "reserve",
             "itb_tension", "hip_contact_force", "posture", "angle", "muscle_force",
             "gluteus_medius", "compensation", "attrs", "experiment_outputs", "sampler"]
    return ("drop", draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)))


TASKS = ["standing", "single_leg_stance", "forward_bend", "gait_stance", "walking", "x"]
KEYS = ["stance_pct", "side", "table", "weight_split_r", "trunk_flexion_deg", "hand_load_kg",
        "hand_distance_m", "swing_hip_flexion_deg", "swing_knee_flexion_deg", "zzz", ""]
GROUPS = ["gluteus_medius", "gluteus_medius_r", "tfl", "hip_flexors", "hamstrings",
          "adductor_magnus", "erector_spinae", "x", ""]


@st.composite
def cli_args(draw):
    """A command line: solve with random options, list, or plot of a fuzzed file."""
    cmd = draw(st.sampled_from(["solve", "solve", "solve", "list", "plot", "run"]))
    if cmd == "list":
        return ["list", draw(st.sampled_from(["tasks", "groups", "muscles", "params", "x", ""]))]
    if cmd == "plot":
        return ["plot", draw(st.sampled_from(["", ".", "nope.nc", "/", "/dev/null"]))]
    if cmd == "run":
        return ["run", draw(st.sampled_from(["", ".", "nope", "x.toml", "/dev/null"])),
                *draw(st.sampled_from([[], ["--resume", "--overwrite"], ["--chunk-size", "0"],
                                       ["--workers", "-1"], ["--bogus"]]))]
    argv = ["solve", draw(st.sampled_from(TASKS))]
    for _ in range(draw(st.integers(0, 4))):
        opt = draw(st.sampled_from(["--param", "--strength", "--tightness", "--prescribe",
                                    "--compensation", "--criterion", "--mass-kg", "--height-m",
                                    "--preset"]))
        if opt == "--param":
            val = f"{draw(st.sampled_from(KEYS))}={draw(number_text | st.sampled_from(['r', 'l']))}"
        elif opt in ("--strength", "--tightness"):
            val = f"{draw(st.sampled_from(GROUPS))}={draw(number_text)}"
        elif opt == "--prescribe":
            val = (f"{draw(st.sampled_from(['pelvic_list', 'trunk_lean', 'pelvic_tilt', 'lumbar_flexion', 'x']))}"
                   f"={draw(number_text)}")
        elif opt == "--compensation":
            val = draw(st.sampled_from(["none", "optimal", "x"]))
        elif opt == "--criterion":
            val = draw(st.sampled_from(["activation_squared", "activation_cubed",
                                        "volume_weighted", "minmax", "x"]))
        elif opt == "--preset":
            val = draw(st.sampled_from(["default", "female", "x"]))
        else:
            val = draw(number_text)
        argv += [opt, val]
    return argv


def warm_up() -> None:
    """Compile (or load from the cache) every kernel a case can reach, so that
    the time limit measures the case and not Numba's first compile."""
    model = pelvisim.load_model()
    for name in ("standing", "gait_stance"):
        for criterion in pelvisim.CRITERIA:
            for comp in ("none", "optimal", pelvisim.Prescribed()):
                if criterion == "minmax" and comp == "optimal":
                    continue
                pelvisim.solve(model, pelvisim.task(name), compensation=comp,
                               criterion=criterion)


# ------------------------------------------------------------------ checks
class Hang(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds):
    def alarm(signum, frame):
        raise Hang(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _finite_solution(sol) -> bool:
    vals = [sol.objective, sol.body_weight, sol.l5s1_compression, sol.l5s1_shear_ap,
            sol.l5s1_shear_lat, sol.ground_pair_force]
    for d in (sol.muscle_force, sol.activation, sol.itb_tension, sol.hip_contact_force,
              sol.reserve, sol.demanded_moment, sol.posture):
        vals += list(d.values())
    for d in (sol.hip_contact_vector_pelvis, sol.hip_contact_vector_femur):
        for v in d.values():
            vals += list(np.ravel(v))
    return bool(np.all(np.isfinite(np.asarray(vals, dtype=float))))


def _finite_dataset(ds) -> bool:
    return all(np.isfinite(ds[k].values).all() for k in ds.data_vars if ds[k].dtype.kind == "f")


def classify(fn) -> str:
    """Run ``fn`` (returns True when its result is all finite) and name the outcome."""
    try:
        with _time_limit(TIMEOUT):
            finite = fn()
    except PelvisimError as exc:
        return "error" if "\n" not in str(exc) and str(exc).strip() else "BAD:multi-line error"
    except Hang:
        return "BAD:hang"
    except Exception as exc:  # noqa: BLE001 - any other exception is what we look for
        return f"BAD:{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    return "ok" if finite else "BAD:non-finite result"


_FOLDER = Path(tempfile.mkdtemp(prefix="pelvisim-fuzz-"))


def _tmp(text: str, suffix: str) -> Path:
    p = _FOLDER / f"case{suffix}"
    p.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return p


# ------------------------------------------------------------------ targets
def params_case(text: str) -> str:
    def run():
        path = _tmp(text, ".toml")
        model = pelvisim.load_model(path)
        return all(_finite_solution(pelvisim.solve(model, pelvisim.task(t), compensation=c))
                   for t, c in (("standing", "none"), ("single_leg_stance", "optimal")))
    return classify(run)


def _points(exp) -> int:
    from pelvisim.sweep import parse_factors

    total = 0
    for run in exp.runs:
        n = 1
        for f in parse_factors(exp.model, run.task, run.factors, run.sampler, run.n):
            n *= len(f.values) if f.values is not None else 1
        if run.sampler != "grid":
            n *= run.n * (1 if run.sampler == "lhs" else
                          sum(f.dist is not None for f in parse_factors(
                              exp.model, run.task, run.factors, run.sampler, run.n)) + 2)
        total += n
    return total


def experiment_case(text: str) -> str:
    def run():
        from pelvisim.experiments import load_experiment, run_experiment

        exp = load_experiment(_tmp(text, ".toml"))
        if _points(exp) > MAX_POINTS:
            return True  # valid; too big to run per case
        return all(_finite_dataset(ds) for ds in run_experiment(exp, progress=False).values())
    return classify(run)


def gait_case(text: str) -> str:
    def run():
        from pelvisim.gait import load_gait_table

        path = _tmp(text, ".csv")
        load_gait_table(path)
        model = pelvisim.load_model()
        return all(_finite_solution(pelvisim.solve(model, pelvisim.task(
            "gait_stance", stance_pct=pct, table=str(path)), compensation="optimal"))
            for pct in (0.0, 37.0, 100.0))
    return classify(run)


def opensim_case(text: str, suffix: str) -> str:
    def run():
        from pelvisim.io import read_opensim_table

        read_opensim_table(_tmp(text, suffix))  # values are read as written (nan allowed)
        return True
    return classify(run)


def plot_case(case) -> str:
    """``pelvisim plot`` of a damaged result file."""
    kind, what = case
    path = _FOLDER / "result.nc"
    if kind == "bytes":
        path.write_bytes(what)
    else:
        import xarray as xr

        from pelvisim import results

        base = _FOLDER / "base-copy.nc"
        base.write_bytes(result_bytes())
        with xr.open_dataset(base) as ds:
            ds = ds.load()
        for name in what:
            if name == "attrs":
                ds.attrs = {}
            elif name in ds.attrs:
                del ds.attrs[name]
            elif name in ds.variables:
                ds = ds.drop_vars(name)
        results.save(ds, path)
    return cli_case(["plot", str(path), "--out", str(_FOLDER / "plots")])


def cli_case(argv) -> str:
    from pelvisim import cli

    def run():
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = cli.main(argv)
        lines = err.getvalue().strip().splitlines()
        if code == 2:
            if len(lines) != 1 or not lines[0].startswith("pelvisim: error: "):
                raise AssertionError(f"exit 2 with stderr {err.getvalue()!r}")
            raise PelvisimError(lines[0])
        if code != 0:
            raise AssertionError(f"exit code {code}")
        words = re.split(r"[\s,=():\[\]]+", out.getvalue().lower())
        return not any(w in ("nan", "inf", "-inf", "+inf") for w in words)
    return classify(run)
