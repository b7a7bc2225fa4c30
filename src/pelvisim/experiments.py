"""Experiment files: a sweep described in TOML, validated before it runs.

Shipped experiments live in the repository's ``experiments/`` folder (copied
into wheels; :func:`shipped` lists them). ``pelvisim run NAME`` runs one.

Schema
------
Every table and key is optional unless marked *required*; unknown keys are
errors (with close matches)::

    [experiment]                     # required
    name = "gluteus_medius_weakness" # required; also the default output folder
    description = "..."

    [model]
    params = "default"               # preset name (pelvisim.params.presets())
                                     # or a path to a parameter TOML or an
                                     # OpenSim .osim model (relative to the
                                     # experiment file)
    mass_kg = 75.0                   # [kg], 20-250
    height_m = 1.75                  # [m], 1.0-2.5
    strength = { deep_rotators = 0.8 }    # group/muscle -> [0, 1], every point
    tightness = { hip_flexors = 10.0 }    # [deg] lost passive range (Thomas test / SLR)
    slack_shortening = { tfl = 0.1 }      # group/muscle -> [0, 0.5], every point
    posture_model = "tissue"              # or "penalty" (earlier versions)
    params_override = { posture_cost_weight = 2.0 }  # pelvisim.model.TUNABLE

    [task]                           # one task ...
    name = "single_leg_stance"       # required in [task]: pelvisim.tasks()
    side = "r"                       # any parameter of that task

    [[runs]]                         # ... or several (not both)
    label = "walking"                # required, unique: the result file name
    task = "gait_stance"             # required
    stance_pct = 25.0                # task parameters
    factors = { ... }                # optional: replaces factors of the same name
    sampler = { kind = "sobol", n = 32, seed = 2 }  # optional: replaces [sampler]
    compensation = "optimal"         # optional: replaces the top-level one

    [factors]                        # at least one factor
    gluteus_medius = { from = 1.0, to = 0.1, num = 10 }   # linspace values
    gluteus_minimus = [1.0, 0.5, 0.1]                     # explicit values
    "param.specific_tension_n_per_cm2" = { low = 45, high = 75 }      # a range
    "body.mass_kg" = { dist = "normal", mean = 75, sd = 10, low = 50, high = 100 }

    [sampler]
    kind = "grid"                    # grid | lhs | sobol
    n = 64                           # lhs: samples; sobol: base samples (2^k);
                                     # grid: points per range factor
    seed = 1                         # non-negative integer

    compensation = ["none", "optimal"]   # a list becomes the factor "compensation"
    criterion = "activation_squared"     # pelvisim.CRITERIA; a list becomes the
                                         # factor "criterion"
    plots = ["curves", "abductor_share"] # see PLOTS
    outputs = ["tfl", "itb_tension"]     # groups or dataset variables to plot,
                                         # summarise and analyse (Sobol)

Factor names follow :mod:`pelvisim.sweep`: a group or muscle (strength),
``tightness.<group>``, ``task.<parameter>``, ``body.mass_kg``,
``body.height_m``, ``param.<name>``, ``compensation``, ``criterion``. In
the result each becomes a dimension named by
:func:`pelvisim.conventions.dim_name` (a valid identifier: ``"+"`` ->
``"_and_"``, ``"."`` -> ``"_"``; ``param.specific_tension_n_per_cm2`` ->
``param_specific_tension_n_per_cm2``), the spelling above in its
``attrs["factor"]``.

Errors are :class:`ExperimentError` (a ``ValueError``) with one line naming the
file, the key, the value and what is allowed.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conventions import COMPENSATIONS, CRITERIA, DEFAULT_OUTPUTS
from .errors import ExperimentError, MissingFileError, PelvisimError, read_text
from .resources import data_dir

__all__ = ["Experiment", "ExperimentError", "load_experiment", "shipped", "run_experiment",
           "PLOTS", "find_experiment"]

PLOTS = ("curves", "abductor_share", "heatmap", "bands", "sobol", "posture")
_TOP = ("experiment", "model", "task", "runs", "factors", "sampler", "compensation", "criterion",
        "plots", "outputs")
_MODEL = ("params", "mass_kg", "height_m", "strength", "tightness", "slack_shortening",
          "posture_model", "params_override")
_SAMPLER = ("kind", "n", "seed")


@dataclass(frozen=True)
class Run:
    """One task of an experiment and the factors it sweeps."""

    label: str
    task: Any
    factors: dict
    sampler: str = "grid"
    n: int | None = None
    seed: int | None = None
    compensation: str = "none"


@dataclass(frozen=True)
class Experiment:
    """A validated experiment (see the module docstring for the schema)."""

    name: str
    description: str
    path: Path
    model: Any
    runs: tuple
    criterion: str = "activation_squared"
    plots: tuple = ()
    outputs: tuple = DEFAULT_OUTPUTS
    raw: dict = field(default_factory=dict, repr=False)

    def run(self, out=None, *, progress: bool = True) -> dict:
        """Run the experiment and write what ``pelvisim run`` writes.

        Per run: ``<label>.nc``, ``<label>.csv``, the figures in ``plots``; and
        ``summary.txt``, all in ``out`` (default ``results/<name>``). Returns
        ``{"datasets", "files", "summary", "out"}`` (see
        :func:`pelvisim.report.run_and_report`).
        """
        from .report import run_and_report

        return run_and_report(self, out, progress=progress)


def shipped() -> dict[str, Path]:
    """Shipped experiments: name -> file."""
    try:
        folder = data_dir("experiments")
    except FileNotFoundError:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def find_experiment(name_or_path) -> Path:
    """A shipped experiment by name, or a TOML file by path."""
    p = Path(name_or_path)
    if p.is_dir():
        raise ExperimentError(f"{p}: <file>: is a folder: allowed an experiment .toml file or "
                              f"a shipped experiment name (pelvisim list experiments)")
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise MissingFileError(f"{p}: <file>: experiment file not found")
        return p
    files = shipped()
    if str(name_or_path) in files:
        return files[str(name_or_path)]
    close = difflib.get_close_matches(str(name_or_path), files, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ExperimentError(f"experiment {str(name_or_path)!r}: not a shipped experiment or a .toml file: "
                     f"allowed {', '.join(files)}{hint}")


def _err(file, key, value, allowed) -> ExperimentError:
    return ExperimentError(f"{file}: {key}: {value!r}: {allowed}")


def _check_keys(file, where, table, allowed):
    if not isinstance(table, dict):
        raise _err(file, where, table, "allowed a table")
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            prefix = f"{where}." if where else ""
            raise _err(file, f"{prefix}{key}", table[key],
                       f"unknown key: allowed {', '.join(allowed)}{hint}")


def _number(file, key, value, lo=None, hi=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err(file, key, value, "allowed a number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _err(file, key, value, f"allowed range [{lo}, {hi}]")
    return float(value)


def load_experiment(name_or_path) -> Experiment:
    """Read and validate an experiment (a shipped name or a TOML path).

    Raises
    ------
    ExperimentError, FileNotFoundError, tomllib.TOMLDecodeError (wrapped into
    an ExperimentError naming the file)
    """
    import pelvisim
    from .task_library import task as _task, tasks as _task_names
    from .params import presets as _presets
    from .sweep import parse_factors

    path = find_experiment(name_or_path)
    file = path.name
    try:
        data = tomllib.loads(read_text(path, "experiment .toml file"))
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{file}: <toml>: malformed TOML: {exc}") from None
    _check_keys(file, "", data, _TOP)

    exp = data.get("experiment")
    if not isinstance(exp, dict) or "name" not in exp:
        raise _err(file, "experiment.name", None, "required: a [experiment] table with a name")
    _check_keys(file, "experiment", exp, ("name", "description"))
    name = exp["name"]
    if not isinstance(name, str) or not name or any(c in name for c in "/\\ "):
        raise _err(file, "experiment.name", name, "allowed a non-empty name without spaces or /")

    # model
    mt = data.get("model", {})
    _check_keys(file, "model", mt, _MODEL)
    params = mt.get("params", "default")
    try:
        if not isinstance(params, str):
            raise _err(file, "model.params", params, "allowed a preset name or a file path")
        presets = _presets()
        body = {k: _number(file, f"model.{k}", mt[k]) for k in ("mass_kg", "height_m") if k in mt}
        if params in presets:
            model = pelvisim.load_model(preset=params, **body)
        elif params.endswith((".toml", ".osim")):
            p = Path(params)
            p = p if p.is_absolute() else path.parent / p
            if not p.is_file():
                raise _err(file, "model.params", params, "parameter file not found")
            model = pelvisim.load_model(**({"osim": p} if params.endswith(".osim") else {"path": p}), **body)
        else:
            close = difflib.get_close_matches(params, presets, n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise _err(file, "model.params", params,
                       f"allowed a preset ({', '.join(presets)}), a .toml or an OpenSim .osim path{hint}")
        if "posture_model" in mt:
            if mt["posture_model"] not in ("tissue", "penalty"):
                raise _err(file, "model.posture_model", mt["posture_model"],
                           "allowed tissue, penalty")
            model = model.with_posture_model(mt["posture_model"])
        for key, method in (("strength", "with_strength"), ("tightness", "with_tightness"),
                            ("slack_shortening", "with_slack_shortening")):
            if key in mt:
                if not isinstance(mt[key], dict):
                    raise _err(file, f"model.{key}", mt[key], "allowed a table group = value")
                model = getattr(model, method)(mt[key])
        if "params_override" in mt:
            if not isinstance(mt["params_override"], dict):
                raise _err(file, "model.params_override", mt["params_override"],
                           "allowed a table name = value")
            model = model.with_params(**mt["params_override"])
    except ExperimentError:
        raise
    except PelvisimError as exc:
        raise ExperimentError(f"{file}: model: {exc}") from None

    # top-level options
    crit_list = data.get("criterion", "activation_squared")
    crit_list = [crit_list] if isinstance(crit_list, str) else crit_list
    if not isinstance(crit_list, list) or not crit_list:
        raise _err(file, "criterion", data["criterion"], f"allowed {', '.join(CRITERIA)} or a list of them")
    for criterion in crit_list:
        if not isinstance(criterion, str) or criterion not in CRITERIA:
            close = difflib.get_close_matches(str(criterion), CRITERIA, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise _err(file, "criterion", criterion, f"allowed {', '.join(CRITERIA)}{hint}")
    criterion = crit_list[0]
    comp_list = _compensation(file, "compensation", data.get("compensation", "none"))
    plots = data.get("plots", ["curves"])
    if not isinstance(plots, list):
        raise _err(file, "plots", plots, f"allowed a list of {', '.join(PLOTS)}")
    for p in plots:
        if p not in PLOTS:
            close = difflib.get_close_matches(str(p), PLOTS, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise _err(file, "plots", p, f"allowed {', '.join(PLOTS)}{hint}")
    outputs = data.get("outputs", list(DEFAULT_OUTPUTS))
    allowed_out = list(model.groups) + _OUTPUT_VARIABLES + sorted({m[:-2] for m in model.muscles})
    if not isinstance(outputs, list):
        raise _err(file, "outputs", outputs, "allowed a list of group or output names")
    for o in outputs:
        if o not in allowed_out and not _is_muscle(model, o):
            close = difflib.get_close_matches(str(o), allowed_out, n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise _err(file, "outputs", o, f"allowed a muscle group or one of "
                       f"{', '.join(_OUTPUT_VARIABLES)}{hint}")

    kind, n, seed = _sampler(file, "sampler", data.get("sampler", {}))

    # runs
    factors = data.get("factors", {})
    _check_keys(file, "factors", factors, list(factors))
    if "task" in data and "runs" in data:
        raise _err(file, "task/runs", "both", "give either [task] or [[runs]], not both")
    specs = []
    if "runs" in data:
        if not isinstance(data["runs"], list) or not data["runs"]:
            raise _err(file, "runs", data["runs"], "allowed one or more [[runs]] tables")
        for k, r in enumerate(data["runs"]):
            if not isinstance(r, dict) or "label" not in r or "task" not in r:
                raise _err(file, f"runs[{k}]", r, "required keys: label, task")
            r = dict(r)
            where = f"runs[{k}]"
            rs = (_sampler(file, f"{where}.sampler", r.pop("sampler")) if "sampler" in r
                  else (kind, n, seed))
            rc = (_compensation(file, f"{where}.compensation", r.pop("compensation"))
                  if "compensation" in r else comp_list)
            specs.append((r.pop("label"), r.pop("task"), r.pop("factors", {}), r, where, rs, rc))
    elif "task" in data:
        if not isinstance(data["task"], dict):
            raise _err(file, "task", data["task"], "allowed a [task] table with a name")
        t = dict(data["task"])
        if "name" not in t:
            raise _err(file, "task.name", None, f"required: one of {', '.join(_task_names())}")
        tname = t.pop("name")
        specs.append((tname, tname, {}, t, "task", (kind, n, seed), comp_list))
    else:
        raise _err(file, "task", None, "required: a [task] table or [[runs]]")
    labels = [s[0] for s in specs]
    for label, *_, where, _, _ in specs:
        if not isinstance(label, str) or not label or any(c in label for c in "/\\ "):
            raise _err(file, f"{where}.label" if where != "task" else "task.name", label,
                       "allowed a name without spaces or /")
    if len(set(labels)) != len(labels):
        raise _err(file, "runs.label", labels, "labels must be unique")

    runs = []
    for label, tname, extra, tparams, where, (rkind, rn, rseed), rcomp in specs:
        if not isinstance(label, str) or not label or any(c in label for c in "/\\ "):
            raise _err(file, f"{where}.label", label, "allowed a name without spaces or /")
        if not isinstance(tname, str):
            raise _err(file, f"{where}.task", tname, f"allowed one of {', '.join(_task_names())}")
        if "table" in tparams:  # a file path: from the experiment file's folder
            tparams["table"] = _data_path(file, path, f"{where}.table", tparams["table"],
                                          "gait table (.csv)")
        try:
            task = _task(tname, **tparams)
        except PelvisimError as exc:
            raise ExperimentError(f"{file}: {where}: {exc}") from None
        if not isinstance(extra, dict):
            raise _err(file, f"{where}.factors", extra, "allowed a table of factors")
        fac = {**factors, **extra}
        if len(rcomp) > 1 and "compensation" not in fac:
            fac["compensation"] = list(rcomp)
        if len(crit_list) > 1 and "criterion" not in fac:
            fac["criterion"] = list(crit_list)
        if not fac:
            raise _err(file, "factors", {}, "at least one factor to sweep")
        try:
            parse_factors(model, task, fac, rkind, rn)
        except PelvisimError as exc:
            raise ExperimentError(f"{file}: factors: {exc}") from None
        if rkind == "sobol" and "sobol" in plots:
            from .sensitivity import SOBOL_MIN_N

            if rn < SOBOL_MIN_N:
                key = f"{where}.sampler.n" if where != "task" else "sampler.n"
                raise _err(file, key, rn, f"a Sobol analysis (plots = sobol) needs n >= "
                           f"{SOBOL_MIN_N} base samples for indices within about 0.02 "
                           f"(pelvisim.sensitivity); allowed {SOBOL_MIN_N} or more")
        runs.append(Run(label, task, fac, rkind, rn, rseed, rcomp[0]))
    return Experiment(name=name, description=str(exp.get("description", "")), path=path,
                      model=model, runs=tuple(runs), criterion=criterion, plots=tuple(plots),
                      outputs=tuple(outputs), raw=data)


def _data_path(file, exp_path, key, value, what) -> str:
    """A file named in an experiment, resolved from the experiment file's folder."""
    if not isinstance(value, str) or not value:
        raise _err(file, key, value, f"allowed a path to a {what}, relative to the experiment file")
    p = Path(value)
    p = p if p.is_absolute() else exp_path.parent / p
    if not p.is_file():
        raise _err(file, key, value, f"{what} not found (looked for {p}, relative to the "
                   f"experiment file's folder)")
    return str(p.resolve())


def _compensation(file, key, comp) -> list:
    comp_list = [comp] if isinstance(comp, str) else comp
    if not isinstance(comp_list, list) or not comp_list or \
            any(c not in COMPENSATIONS for c in comp_list):
        raise _err(file, key, comp, f"allowed {', '.join(COMPENSATIONS)} or a list of them")
    return comp_list


def _sampler(file, where, st):
    _check_keys(file, where, st, _SAMPLER)
    kind = st.get("kind", "grid")
    if kind not in ("grid", "lhs", "sobol"):
        close = difflib.get_close_matches(str(kind), ("grid", "lhs", "sobol"), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise _err(file, f"{where}.kind", kind, f"allowed grid, lhs, sobol{hint}")
    n = st.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise _err(file, f"{where}.n", n, "allowed a positive integer")
    seed = st.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise _err(file, f"{where}.seed", seed, "allowed a non-negative integer")
    if kind != "grid" and n is None:
        raise _err(file, f"{where}.n", None, f"required for sampler {kind}")
    return kind, n, seed


def _is_muscle(model, name) -> bool:
    return isinstance(name, str) and any(m[:-2].startswith(name + "_") for m in model.muscles)


_OUTPUT_VARIABLES = ["itb_tension", "itb_tension_bw", "hip_contact_force", "hip_contact_force_bw",
                     "l5s1_compression", "l5s1_compression_bw", "l5s1_shear_ap", "l5s1_shear_lat",
                     "ground_pair_force", "lumbar_passive_moment", "lumbar_passive_share",
                     "pelvic_tilt_deg", "pelvic_list_deg", "trunk_lean_deg", "trunk_flexion_deg",
                     "lumbar_flexion_deg", "lumbar_bending_deg", "hip_adduction_r_deg",
                     "hip_adduction_l_deg", "hip_flexion_r_deg", "hip_flexion_l_deg"]


def run_experiment(exp: Experiment, *, progress: bool = True, client=None, store=None,
                   chunk_size: int | None = None) -> dict:
    """Run every run of an experiment: ``{label: xarray.Dataset}``.

    ``client`` (dask.distributed) runs the chunks on a cluster; with a
    ``store`` folder each run keeps its finished chunks in ``store/<label>``
    and continues from them (see :func:`pelvisim.sweep.sweep`).
    """
    from pathlib import Path

    from .sweep import sweep

    out = {}
    extra = {} if chunk_size is None else {"chunk_size": chunk_size}
    for run in exp.runs:
        ds = sweep(exp.model, run.task, run.factors, sampler=run.sampler, n=run.n, seed=run.seed,
                   compensation=run.compensation, criterion=exp.criterion, progress=progress,
                   client=client, store=None if store is None else Path(store) / run.label,
                   **extra)
        ds.attrs.update(experiment=exp.name, experiment_file=str(exp.path), run=run.label,
                        experiment_outputs=",".join(exp.outputs),
                        experiment_plots=",".join(exp.plots))
        out[run.label] = ds
    return out
