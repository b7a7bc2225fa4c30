"""Command line: ``pelvisim run | solve | list | plot | validate | gait | import-osim | export`` (and ``--version``).

A user mistake (a :class:`pelvisim.errors.PelvisimError`: unknown name, value
out of range, malformed file, unusable output folder) prints ONE line
``pelvisim: error: ...`` on stderr and exits with code 2, before any work or
output folder is made; anything else is a bug and shows its traceback (exit 1).
``pelvisim run`` keeps finished chunks on disk: after Ctrl-C (exit 130) or a
kill, ``--resume`` continues; ``--overwrite`` replaces an earlier run's results.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
from pathlib import Path

from .errors import MissingFileError, OutputError, PelvisimError, UsageError, one_line
from .conventions import COMPENSATION_ANGLES, COMPENSATIONS

__all__ = ["main"]

LIST_WHAT = ("tasks", "groups", "muscles", "experiments", "params")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pelvisim", description="Where the load goes when hip muscles are weak.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    r = sub.add_parser("run", help="run an experiment (default: gluteus_medius_weakness)")
    r.add_argument("experiment", nargs="?", default="gluteus_medius_weakness",
                   help="shipped experiment name or path to a TOML file")
    r.add_argument("--out", help="output folder (default results/<experiment>)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --out (finished chunks are kept)")
    r.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier run in --out")
    r.add_argument("--chunk-size", type=int, metavar="N",
                   help="points per chunk (the unit that is kept when a run is interrupted)")
    r.add_argument("--workers", type=int, metavar="N",
                   help="run the chunks on a local Dask cluster of N worker processes")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the chunks on the Dask scheduler at ADDRESS (tcp://host:port)")

    s = sub.add_parser("solve", help="solve one task and print the summary")
    s.add_argument("task", help="task name (pelvisim list tasks)")
    s.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="task parameter, e.g. stance_pct=25")
    s.add_argument("--strength", action="append", default=[], metavar="GROUP=VALUE",
                   help="strength factor in [0, 1] of a group or muscle")
    s.add_argument("--tightness", action="append", default=[], metavar="GROUP=DEG",
                   help="clinical tightness [deg] of lost passive range (hip_flexors: "
                        "modified Thomas test; hamstrings: straight-leg raise)")
    s.add_argument("--posture-model", default=None, choices=("tissue", "penalty"),
                   help="posture model: tissue (default) or penalty (earlier versions)")
    s.add_argument("--compensation", default="none", help="none or optimal")
    s.add_argument("--prescribe", action="append", default=[], metavar="ANGLE=DEG",
                   help="prescribed compensation [deg] from the task's posture: "
                        f"{', '.join(COMPENSATION_ANGLES)} (instead of --compensation)")
    s.add_argument("--criterion", default="activation_squared", help="recruitment criterion")
    s.add_argument("--mass-kg", type=float, help="body mass [kg]")
    s.add_argument("--height-m", type=float, help="body height [m]")
    s.add_argument("--preset", help="parameter preset (default, female)")
    s.add_argument("--model", help="parameter file (.toml) or OpenSim model (.osim)")
    s.add_argument("--posture-plot", metavar="PNG", help="also draw the posture to this file")

    li = sub.add_parser("list", help="list tasks, groups, muscles, experiments or params")
    li.add_argument("what", nargs="?", default="tasks", help=", ".join(LIST_WHAT))

    v = sub.add_parser("validate", help="measure every published target (SPEC section 10); "
                       "exit 1 if one regressed from the recorded result")
    v.add_argument("--out", default="docs/validation", help="report folder (default %(default)s)")
    v.add_argument("--recorded", default="docs/validation/recorded.json",
                   help="recorded results to compare with (default %(default)s)")
    v.add_argument("--record", action="store_true", help="store these results as the record")
    v.add_argument("--readme", metavar="MD", help="rewrite the validation table in this file")
    v.add_argument("--no-figures", action="store_true", help="skip the figures")
    v.add_argument("--preset", help="parameter preset (default, female)")

    g = sub.add_parser("gait", help="the whole stance phase of an OpenSim walking trial")
    g.add_argument("id_sto", help="inverse dynamics .sto (joint moments)")
    g.add_argument("ik_mot", help="inverse kinematics .mot (joint angles)")
    g.add_argument("grf_mot", help="ground reactions .mot (both feet)")
    g.add_argument("--model", help="the subject's model: an OpenSim .osim or a pelvisim .toml")
    g.add_argument("--strength", action="append", default=[], metavar="GROUP=V[,V...]",
                   help="strength factor(s) in [0, 1]; several values are swept")
    g.add_argument("--side", default="r", help="stance leg: r or l")
    g.add_argument("--mass-kg", type=float, help="subject mass [kg] (default: from the GRF)")
    g.add_argument("--step-pct", type=float, default=2.0, help="stance step [%%] (divides 100)")
    g.add_argument("--no-passive-fibres", action="store_true",
                   help="leave out passive fibre force (as OpenSim static optimization)")
    g.add_argument("--out", help="output folder (default results/gait)")

    pl = sub.add_parser("plot", help="draw the figures of saved results")
    pl.add_argument("results", help="a results .nc file or a folder of them")
    pl.add_argument("--out", help="output folder (default: beside the results)")

    im = sub.add_parser("import-osim", help="turn an OpenSim .osim model into a parameter file")
    im.add_argument("osim", help="OpenSim 4 model (gait2392/gait2354 or Rajagopal family)")
    im.add_argument("--out", help="parameter file to write (default <model>.toml here)")
    im.add_argument("--keep-lengths", action="store_true",
                    help="keep the file's fibre and tendon lengths even if they look unscaled")

    ex = sub.add_parser("export", help="write saved results as OpenSim storage files")
    ex.add_argument("results", help="a results .nc file")
    ex.add_argument("--format", default="sto", help="sto (the only format)")
    ex.add_argument("--out", help="output folder (default: beside the results)")
    ex.add_argument("--time-dim", help="sweep dimension used as the time column "
                                       "(default stance_pct, else the first numeric one)")
    return p


def _prescribed(items):
    """``--prescribe`` pairs -> pelvisim.Prescribed (None when none given)."""
    from .simulate import Prescribed

    angles = _pairs(items, "prescribe")
    for name in angles:
        if name not in COMPENSATION_ANGLES:
            close = difflib.get_close_matches(name, COMPENSATION_ANGLES, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise UsageError(f"--prescribe: {name!r}: allowed {', '.join(COMPENSATION_ANGLES)}{hint}")
    if not angles:
        return None
    return Prescribed(**{f"{k}_deg": _number(v, f"--prescribe {k}") for k, v in angles.items()})


def _pairs(items, what) -> dict:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--{what}: {item!r}: allowed KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _number(value, where):
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{where}: {value!r}: allowed a number") from None


# ------------------------------------------------------------------ commands
def cmd_list(args) -> int:
    import pelvisim
    from .task_library import task as _task, tasks as _task_names
    from .experiments import shipped

    what = args.what
    if what not in LIST_WHAT:
        close = difflib.get_close_matches(what, LIST_WHAT, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageError(f"list: {what!r}: allowed {', '.join(LIST_WHAT)}{hint}")
    if what == "tasks":
        for name in _task_names():
            print(_task(name).describe())
    elif what in ("groups", "muscles"):
        model = pelvisim.load_model()
        if what == "groups":
            for g, ms in model.groups.items():
                print(f"{g:<20} {', '.join(sorted({m[:-2] for m in ms}))}")
        else:
            for m, g in zip(model.muscles, model.muscle_group):
                print(f"{m:<34} {g}")
    elif what == "experiments":
        from .experiments import load_experiment

        for name, path in shipped().items():
            desc = load_experiment(path).description.split(".")[0]
            print(f"{name:<26} {desc}")
    else:
        from .params import presets

        print("\n".join(presets()))
    return 0


def cmd_solve(args) -> int:
    import pelvisim
    from .task_library import task as _task

    params = {}
    for k, v in _pairs(args.param, "param").items():
        try:
            params[k] = float(v)
        except ValueError:
            params[k] = v
    task = _task(args.task, **params)
    model = _load_model(args.model, preset=args.preset, mass_kg=args.mass_kg, height_m=args.height_m)
    strength = {k: _number(v, f"--strength {k}") for k, v in _pairs(args.strength, "strength").items()}
    tight = {k: _number(v, f"--tightness {k}") for k, v in _pairs(args.tightness, "tightness").items()}
    if strength:
        model = model.with_strength(strength)
    if tight:
        model = model.with_tightness(tight)
    if args.posture_model:
        model = model.with_posture_model(args.posture_model)
    if args.compensation not in COMPENSATIONS:
        raise UsageError(f"--compensation: {args.compensation!r}: allowed {', '.join(COMPENSATIONS)}")
    comp = _prescribed(args.prescribe)
    if comp is not None and args.compensation != "none":
        raise UsageError(f"--prescribe: given with --compensation {args.compensation}: "
                         f"allowed with --compensation none (the default)")
    sol = pelvisim.solve(model, task, compensation=comp or args.compensation,
                         criterion=args.criterion)
    print(sol.summary())
    if args.posture_plot:
        _posture_plot(sol, args.posture_plot)
    return 0


def _load_model(path, **kw):
    """A model from ``--model`` (.toml parameter file or .osim OpenSim model) or a preset."""
    import pelvisim

    if path is None:
        return pelvisim.load_model(**kw)
    if kw.get("preset") is not None:
        raise UsageError(f"--model: {path!r}: given with --preset {kw['preset']}: allowed one of them")
    kw.pop("preset", None)
    if str(path).lower().endswith(".osim"):
        return pelvisim.load_model(osim=path, **kw)
    return pelvisim.load_model(path, **kw)


def cmd_import_osim(args) -> int:
    from .osim import import_osim

    src = Path(args.osim)
    if not src.is_file():
        raise MissingFileError(f"import-osim: model {str(src)!r} not found")
    out = Path(args.out) if args.out else Path(src.stem + ".toml")
    params, report = import_osim(src, out, scale_lengths=False if args.keep_lengths else None)
    print(report)
    print(f"wrote: {out} ({len(params.muscles)} muscle lines per side, {params.mass_kg:g} kg)")
    return 0


def cmd_export(args) -> int:
    from . import results
    from .export import export_sto

    if args.format != "sto":
        raise UsageError(f"export: --format: {args.format!r}: allowed sto")
    src = Path(args.results)
    if not src.is_file():
        raise MissingFileError(f"export: results {str(src)!r} not found")
    out = Path(args.out) if args.out else src.parent
    files = export_sto(results.load(src), out, prefix=src.stem, time_dim=args.time_dim)
    print("wrote: " + ", ".join(str(f) for f in files))
    return 0


def _posture_plot(sol, path) -> bool:
    from .report import _posture_plot as draw

    return draw(sol, path)


def cmd_run(args) -> int:
    from . import outdir
    from .experiments import load_experiment
    from .report import run_and_report

    if args.chunk_size is not None and args.chunk_size < 1:
        raise UsageError(f"--chunk-size: {args.chunk_size}: allowed a positive integer")
    if args.workers is not None and (args.workers < 1 or args.scheduler):
        raise UsageError(f"--workers: {args.workers}: allowed a positive integer, without "
                         f"--scheduler")
    exp = load_experiment(args.experiment)
    out = Path(args.out) if args.out else Path("results") / exp.name
    with _dask_client(args) as client:
        try:
            rep = run_and_report(exp, out, progress=not args.no_progress, echo=print,
                                 resume=args.resume, overwrite=args.overwrite, client=client,
                                 chunk_size=args.chunk_size)
        except KeyboardInterrupt:
            kept = outdir.chunks_kept(out)
            how = (f"{kept} finished chunk(s) kept in {out / outdir.PARTIAL}; continue with: "
                   f"pelvisim run {args.experiment} --out {out} --resume" if kept else
                   "nothing finished yet, nothing kept")
            print(f"pelvisim: interrupted: {how}", file=sys.stderr)
            return 130
    print(rep["summary"])
    print("wrote: " + ", ".join(str(f) for f in rep["files"]))
    return 0


@contextlib.contextmanager
def _dask_client(args):
    """A dask.distributed client for --workers / --scheduler (None without them)."""
    if args.workers is None and args.scheduler is None:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--workers/--scheduler: dask.distributed is not installed: allowed "
                         "after pip install 'pelvisim[dask]'") from None
    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"--scheduler: {args.scheduler!r}: cannot connect ({one_line(exc)}): "
                             f"allowed the address of a running Dask scheduler") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
        yield client


def cmd_gait(args) -> int:
    """``pelvisim gait ID.sto IK.mot GRF.mot``: solve every % of stance, write
    the dataset, a tidy CSV, the gait figure, and print the peaks."""
    from pathlib import Path

    import pelvisim

    from . import results
    from .walking import gait_trial, plot_gait

    for f in (args.id_sto, args.ik_mot, args.grf_mot):
        if not Path(f).is_file():
            raise MissingFileError(f"gait: trial file {f!r} not found")
    if args.side not in ("r", "l"):
        raise UsageError(f"--side: {args.side!r}: allowed r, l")
    strength = {}
    for k, v in _pairs(args.strength, "strength").items():
        vals = [_number(x, f"--strength {k}") for x in v.split(",")]
        strength[k] = vals if len(vals) > 1 else vals[0]
    from .gait import table_from_opensim

    table = table_from_opensim(args.id_sto, args.ik_mot, args.grf_mot, side=args.side,
                               mass_kg=args.mass_kg, step_pct=args.step_pct)
    # mass: --mass-kg, else the model file's own, else the trial's (from the GRF)
    if not args.model:
        model = pelvisim.load_model(mass_kg=table.mass_kg)
    elif not Path(args.model).is_file():
        raise MissingFileError(f"--model: file {args.model!r} not found")
    elif args.model.lower().endswith(".osim"):
        model = pelvisim.load_model(osim=args.model, mass_kg=args.mass_kg)
    else:
        model = pelvisim.load_model(args.model, mass_kg=args.mass_kg)
    if args.no_passive_fibres:
        model = model.without_passive_fibres()
    ds = gait_trial(args.id_sto, args.ik_mot, args.grf_mot, model=model, strength=strength,
                    side=args.side, step_pct=args.step_pct, table=table)
    out = Path(args.out) if args.out else Path("results") / "gait"
    out.mkdir(parents=True, exist_ok=True)
    files = [results.save(ds, out / "gait.nc"), results.to_tidy_csv(ds, out / "gait.csv")]
    import matplotlib.pyplot as plt

    fig = plot_gait(ds, out / "gait_curves.png")
    plt.close(fig)
    files.append(out / "gait_curves.png")
    print(_gait_summary(ds, args.side))
    print("wrote: " + ", ".join(str(f) for f in files))
    return 0


def _gait_summary(ds, side) -> str:
    """Peak of each gait output over stance (and where), per strength condition."""
    from .plots import select_side
    from .results import output
    from .walking import GAIT_OUTPUTS, _strength_dims

    sdims = _strength_dims(ds)
    lines = [f"gait trial, {side} stance: {ds.sizes['stance_pct']} frames, "
             f"{int(ds['feasible'].sum())}/{ds['feasible'].size} points feasible, "
             f"{int((ds['status'] != 0).sum())} not converged "
             f"(body weight {float(ds['body_weight'].max()):.0f} N)"]
    conds = [{}] if not sdims else [dict(zip(sdims, c if isinstance(c, tuple) else (c,)))
                                    for c in ds.stack(_c=sdims)["_c"].values]
    for c in conds:
        label = ", ".join(f"{d}={v:g}" for d, v in c.items()) or "as given"
        lines.append(f"  {label}: peak over stance [at % stance]")
        for name, pretty, bw in GAIT_OUTPUTS:
            da = select_side(output(ds, name, bw=bw), name, side)
            da = da.sel(c) if c else da
            i = int(da.argmax("stance_pct"))
            lines.append(f"    {pretty:<34}{float(da[i]):9.3g} {'BW' if bw else 'N ':<3}"
                         f"[{float(ds['stance_pct'][i]):g}]")
    return "\n".join(lines)


def cmd_plot(args) -> int:
    from .report import plot_results

    files = plot_results(args.results, args.out)
    print("wrote: " + ", ".join(str(f) for f in files))
    return 0


def cmd_validate(args) -> int:
    import pelvisim
    from .validation import validate

    model = pelvisim.load_model(preset=args.preset)
    res = validate(model, out=args.out, recorded=args.recorded, record=args.record,
                   readme=args.readme, figures=not args.no_figures)
    for r in res.rows:
        mark = "inside " if r["inside"] else "OUTSIDE"
        print(f"{mark} {r['name']}: {r['value']:.4g} {r['unit']} "
              f"(published {r['published']}){' [informative]' if r['informative'] else ''}")
    print("wrote: " + ", ".join(str(f) for f in res.files))
    if res.regressions:
        print(f"pelvisim: validate: regressed from the record: {', '.join(res.regressions)}",
              file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    """Entry point (``pelvisim``). Returns the exit code: 0 ok, 2 a user mistake
    (one line ``pelvisim: error: ...`` on stderr), 130 interrupted (Ctrl-C).
    Anything but a :class:`pelvisim.errors.PelvisimError` is a bug and keeps
    its traceback (exit code 1)."""
    # figures are written to files: the Agg backend unless the user chose one
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from . import __version__

            print(f"pelvisim {__version__}")
            return 0
        if args.command is None:
            parser.print_help()
            return 0
        return {"run": cmd_run, "solve": cmd_solve, "list": cmd_list, "plot": cmd_plot,
                "validate": cmd_validate, "import-osim": cmd_import_osim,
                "export": cmd_export, "gait": cmd_gait}[args.command](args)
    except PelvisimError as exc:
        print(f"pelvisim: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pelvisim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
