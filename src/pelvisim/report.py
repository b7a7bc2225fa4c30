"""Reports of experiments: result files, figures and the summary text.

:func:`run_and_report` (also :meth:`pelvisim.experiments.Experiment.run`) runs
an experiment and writes, per run, the dataset (``<label>.nc``), a tidy CSV
(``<label>.csv``), the figures the experiment asks for (``<label>_*.png``) and
one ``summary.txt``; ``pelvisim run`` and ``pelvisim plot`` are thin shells
around :func:`run_and_report` and :func:`plot_results`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .conventions import DEFAULT_OUTPUTS as DEFAULT_PLOT_OUTPUTS

__all__ = ["run_and_report", "write_report", "plot_results", "make_plots", "summary",
           "DEFAULT_PLOT_OUTPUTS"]



def run_and_report(exp, out=None, *, progress: bool = True, echo=None, resume: bool = False,
                   overwrite: bool = False, client=None, chunk_size: int | None = None) -> dict:
    """Run an experiment and write its results, figures and summary.

    Parameters
    ----------
    exp : Experiment or str or path
        A loaded experiment, a shipped experiment name or a TOML path.
    out : str or Path, optional
        Output folder (default ``results/<experiment name>``), created if needed.
    progress : bool
        Show a progress bar while sweeping.
    echo : callable, optional
        Called with progress text (e.g. ``print``); silent when None.
    resume, overwrite : bool
        Continue an interrupted run in ``out`` / replace an earlier run's
        results (see :mod:`pelvisim.outdir`; without either, a folder holding
        results is an error). Finished chunks are kept in
        ``out/.pelvisim-partial`` until the report is written.
    client : dask.distributed.Client, optional; run the sweeps' chunks on it
    chunk_size : int, optional; points per chunk (default :func:`pelvisim.sweep.sweep`'s)

    Returns
    -------
    dict
        ``{"datasets": {label: Dataset}, "files": [Path, ...], "summary": str,
        "out": Path}``.
    """
    from .experiments import Experiment, load_experiment, run_experiment

    if not isinstance(exp, Experiment):
        exp = load_experiment(exp)
    from . import outdir

    out = Path(out) if out is not None else Path("results") / exp.name
    created = outdir.prepare(out, resume=resume, overwrite=overwrite)
    if echo:
        echo(f"pelvisim run {exp.name}: {len(exp.runs)} run(s) -> {out}")
    try:
        datasets = run_experiment(exp, progress=progress, client=client,
                                  store=out / outdir.PARTIAL, chunk_size=chunk_size)
    except BaseException:
        outdir.cleanup(created, out)
        raise
    files, text = write_report(exp, datasets, out)
    shutil.rmtree(out / outdir.PARTIAL, ignore_errors=True)
    return {"datasets": datasets, "files": files, "summary": text, "out": out}


def write_report(exp, datasets: dict, out) -> tuple[list[Path], str]:
    """Write the files of an experiment's results: ``(files, summary text)``."""
    from . import results

    out = Path(out)
    files = []
    for label, ds in datasets.items():
        files.append(results.save(ds, out / f"{label}.nc"))
        files.append(results.to_tidy_csv(ds, out / f"{label}.csv"))
        files += make_plots(ds, label, exp.outputs, exp.plots, out, exp=exp)
    text = summary(exp.name, exp.description, datasets, exp.outputs)
    with results.atomic_path(out / "summary.txt") as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    files.append(out / "summary.txt")
    return files, text


def plot_results(src, out=None) -> list[Path]:
    """Draw the figures of saved results (a ``.nc`` file or a folder of them)."""
    from . import results

    from . import outdir
    from .errors import MissingFileError, UsageError

    src = Path(src)
    if src.is_dir():
        paths = sorted(src.glob("*.nc"))
        if not paths:
            raise UsageError(f"plot: {str(src)!r}: no .nc results in this folder: allowed a "
                             f"results .nc file or a folder of them")
    elif src.is_file():
        paths = [src]
    else:
        raise MissingFileError(f"plot: results {str(src)!r} not found")
    loaded = [(p, results.load(p)) for p in paths]  # every file checked before any output
    out = Path(out) if out else (src if src.is_dir() else src.parent)
    outdir.prepare(out, results=False)
    files = []
    for p, ds in loaded:
        outputs = [o for o in ds.attrs.get("experiment_outputs", "").split(",") if o] or \
            list(DEFAULT_PLOT_OUTPUTS)
        plots = [o for o in ds.attrs.get("experiment_plots", "").split(",") if o] or ["curves"]
        files += make_plots(ds, p.stem, outputs, plots, out)
    return files


def _posture_plot(sol, path) -> bool:
    try:
        from . import posture_plot
    except ImportError:
        return False
    import matplotlib.pyplot as plt

    fig = posture_plot.plot_posture(sol, path)
    plt.close(fig)
    return True


def make_plots(ds, label, outputs, plots, out: Path, exp=None) -> list[Path]:
    """Draw the figures ``plots`` of one dataset into ``out``; returns the files."""
    import matplotlib.pyplot as plt

    from . import plots as P
    from .results import atomic_path, display_units, output

    files = []
    outputs = [o for o in outputs if _has_output(ds, o)]
    forces = [o for o in outputs if display_units(output(ds, o)) == "N"]
    angles = [o for o in outputs if o not in forces and display_units(output(ds, o)) == "deg"]
    numeric = _numeric_factors(ds)
    sampled = "sample" in ds.dims

    def save(fig, name):
        path = out / f"{label}_{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, bbox_inches="tight", format="png", dpi=P.STYLE["savefig.dpi"])
        plt.close(fig)
        files.append(path)

    if "curves" in plots and numeric and not sampled:
        if forces:
            save(P.curves(ds, forces), "curves")
        if angles:
            save(P.curves(ds, angles, title=P.title_words(ds, "Posture used")),
                 "posture_curves")
    if "abductor_share" in plots and numeric and not sampled:
        save(P.abductor_share(ds), "abductor_share")
    if "heatmap" in plots and len(numeric) >= 2 and not sampled:
        for o in outputs:
            save(P.heatmap(ds, o), f"heatmap_{o}")
    if "bands" in plots and sampled and numeric:
        save(P.bands(ds, outputs), "bands")
    if "sobol" in plots and ds.attrs.get("sampler") == "sobol":
        from .sweep import sensitivity

        idx = sensitivity(ds, [o for o in outputs if _sobol_ok(ds, o)])
        idx = idx.sel(output=[o for o in idx["output"].values if not str(o).endswith("_l")])
        n = idx.attrs.get("sobol_base_n")
        warn = "" if idx.attrs.get("converged", 1) else "; NOT CONVERGED"
        save(P.sobol_bars(idx, title=P.title_words(
            ds, f"Sobol indices, base n = {n} ({ds.sizes['sample']} points per level{warn})")),
            "sobol")
    if "posture" in plots and exp is not None and not sampled:
        sol = _weakest_solution(ds, exp, label)
        if sol is not None and _posture_plot(sol, out / f"{label}_posture.png"):
            files.append(out / f"{label}_posture.png")
    return files


def _has_output(ds, name) -> bool:
    from .results import output

    try:
        output(ds, name)
        return True
    except ValueError:
        return False


def _sobol_ok(ds, name) -> bool:
    return name in ds.data_vars or name in ds["group"].values


def _numeric_factors(ds) -> list[str]:
    return [d for d in ds.dims if d in ds.coords and "factor_kind" in ds[d].attrs
            and ds[d].dtype.kind in "fi"]


def _weakest_solution(ds, exp, label):
    """Solve the weakest feasible point of the curve factor (the last grid
    value where the muscles do the task; the last value if none is), other
    factors at their last value, optimal compensation if swept."""
    import pelvisim
    from .plots import x_factor
    from .sweep import _apply, parse_factors

    run = next(r for r in exp.runs if r.label == label)
    facs = parse_factors(exp.model, run.task, run.factors, run.sampler, run.n)
    model, task, comp = exp.model, run.task, run.compensation
    try:
        x = x_factor(ds)
    except ValueError:
        x = None
    pick = {}  # dimension -> value
    for f in facs:
        if f.values is None:
            return None
        if f.dim != x:
            pick[f.dim] = f.values[-1] if f.kind != "compensation" else (
                "optimal" if "optimal" in f.values else f.values[-1])
    if x is not None:
        feas = ds["feasible"].sel({k: v for k, v in pick.items() if k in ds.dims})
        ok = [v for v, good in zip(ds[x].values, feas.values) if good]
        pick[x] = ok[-1] if ok else ds[x].values[-1]
    strength = {}
    criterion = exp.criterion
    for f in facs:
        v = pick[f.dim]
        if f.kind == "strength":
            strength.update({k: v for k in f.target.split("+")})
        elif f.kind == "criterion":
            criterion = str(v)
        else:
            model, task, c = _apply(f, v, model, task)
            comp = c or comp
    if strength:
        model = model.with_strength(strength)
    return pelvisim.solve(model, task, compensation=comp, criterion=criterion)


MAX_LEVELS = 3  # levels of a secondary factor shown in full; more: first and last


def summary(name, description, datasets, outputs) -> str:
    """Key numbers of an experiment as text, every number with its condition.

    Per run: the task, what is fixed and what is swept, how many points are
    feasible (and which are not), where optimal compensation sits on a bound;
    then a block per combination of the other factors (compensation, load,
    a second strength, ...; a factor with more than ``MAX_LEVELS`` levels is
    shown at its first and last, the rest is in the CSV) with each output at
    the first and the last value of the curve factor and the change. Values
    marked ``*`` are infeasible (reserve moments help; not results), ``^``
    with compensation at a bound. Sampled factors give the median and the
    5-95 % range over the feasible samples. Ranges are over feasible points
    only, with the number left out.
    """
    lines = [f"experiment: {name}", description, "",
             "* infeasible: reserve moments help, the value is not a result; "
             "! a muscle at full activation (near saturation); "
             "^ optimal compensation at a bound", ""]
    for label, ds in datasets.items():
        lines += _run_summary(label, ds, outputs)
        lines.append("")
    return "\n".join(lines).rstrip()


def _run_summary(label, ds, outputs) -> list[str]:
    import itertools
    import json

    import numpy as np

    from .conventions import dim_name
    from .labels import factor_words, fixed_conditions, task_words
    from .plots import BILATERAL, _side, x_factor
    from .results import at_bound_text

    side = _side(ds)
    facs = json.loads(ds.attrs.get("factors", "{}"))
    swept_task = [f["target"] for f in facs.values() if f["kind"] == "task"]
    tw = task_words(name=ds.attrs.get("task_name", ""), params=ds.attrs.get("task_params", ""),
                    skip=swept_task)
    out = [f"== {label}: {tw}", f"   fixed: {fixed_conditions(ds)}"]
    swept = []
    for n in map(dim_name, facs):
        if n in ds.dims:
            v = ds[n].values
            what = f"{factor_words(ds, n, v[0])} -> {_w(v[-1])}" if len(v) > 1 \
                else factor_words(ds, n, v[0])
            swept.append(f"{what} ({len(v)} values)" if v.dtype.kind in "fi" and len(v) > 2
                         else ", ".join(factor_words(ds, n, x) for x in v))
        elif n in ds.coords:
            v = ds[n].values
            swept.append(f"{ds[n].attrs.get('factor', n)} sampled {v.min():.4g}..{v.max():.4g} ({ds.sizes['sample']} "
                         f"samples, {ds.attrs.get('sampler', '')})")
    out.append("   swept: " + "; ".join(swept))
    stance = " (stance)" if ds.attrs.get("task_name") in ("single_leg_stance", "gait_stance") \
        else ""
    out.append(f"   forces: {'right' if side == 'r' else 'left'}{stance} side; trunk groups "
               f"({', '.join(b.replace('_', ' ') for b in BILATERAL)}) both sides summed")
    feas = ds["feasible"]
    nbad = int((~feas).sum())
    text = f"   feasible: {int(feas.sum())} of {feas.size} points"
    if nbad:
        res = np.abs(ds["reserve"]).max("dof").where(~feas)
        text += (f"; {nbad} infeasible (largest reserve moment {float(res.max()):.3g} N m): "
                 + _conditions(ds, ~feas))
    out.append(text)
    if "activation" in ds:
        sat = (ds["activation"] >= 0.999).any("muscle") & feas
        if bool(sat.any()):
            out.append(f"   muscles at full activation at {_points(int(sat.sum()), 'feasible')} "
                       f"(marked !; the solver is near saturation there): "
                       + _conditions(ds, sat))
    bound = at_bound_text(ds)
    nb = int((bound != "").sum())
    if nb:
        kinds = sorted({k for t in bound.values.reshape(-1) for k in t.split("; ") if k})
        out.append(f"   compensation at a bound at {_points(nb)} ({', '.join(kinds)}; bounds "
                   f"{_bounds_words(ds)}): " + _conditions(ds, bound != ""))
    try:
        x = x_factor(ds)
    except ValueError:
        x = None
    sampled = "sample" in ds.dims
    others = [d for d in feas.dims if d not in (x, "sample")]
    shown = {}
    for d in others:
        v = list(ds[d].values)
        shown[d] = v if len(v) <= MAX_LEVELS else [v[0], v[-1]]
        if len(v) > MAX_LEVELS:
            out.append(f"   {d}: shown at {_w(v[0])} and {_w(v[-1])} of {len(v)} levels "
                       f"(all levels in {label}.csv)")
    names = [o for o in outputs if _has_output(ds, o)]
    combos = list(itertools.product(*[shown[d] for d in others])) or [()]
    xs = [ds[x].values[0], ds[x].values[-1]] if x is not None else [None]
    if x is not None:
        out.append(f"   columns: {factor_words(ds, x, xs[0])} and {_w(xs[1])}"
                   + (" (median [5 %, 95 %] over the feasible samples; (n*) infeasible ones "
                      "left out)" if sampled else
                      "; where the last is infeasible, also the last feasible value; "
                      "change = last feasible - first"))
    width = 26 if sampled else 12
    for combo in combos:
        sel = dict(zip(others, combo))
        if sel:
            out.append("   -- " + ", ".join(factor_words(ds, d, v) for d, v in sel.items()))
        cols = list(xs)
        if x is not None and not sampled:
            f = ds["feasible"].sel(sel) if sel else ds["feasible"]
            ok = [v for v, good in zip(ds[x].values, f.values) if good]
            if ok and not bool(f.sel({x: xs[-1]})) and ok[-1] != xs[0]:
                cols = [xs[0], ok[-1], xs[-1]]
        head = f"   {'output':<28}{'unit':>5}"
        head += "".join(f"{('at ' + _w(c)) if c is not None else 'value':>{width}}"
                        for c in cols)
        if x is not None and not sampled:
            head += f"{'change':>{width}}"
        out.append(head)
        for o in names:
            da = _named(ds, o, side)
            row = f"   {o:<28}{da.attrs.get('units', ''):>5}"
            vals = []
            for xv in cols:
                pt = {**sel, **({x: xv} if x is not None else {})}
                cell, v = _cell(ds, da, pt, bound)
                row += f"{cell:>{width}}"
                vals.append(v)
            if x is not None and not sampled:
                good = [v for v in vals if v is not None]
                row += f"{_fmt(good[-1] - vals[0], True, da.attrs.get('units')):>{width}}" \
                    if vals[0] is not None and len(good) > 1 else f"{'n/a':>{width}}"
            out.append(row)
    if not sampled:
        out += _ranges(ds, side)
    elif ds.attrs.get("sampler") == "sobol":
        out += _sobol_lines(ds, names, side)
    return out


def _sobol_lines(ds, names, side) -> list[str]:
    """First-order and total indices per output and level (no average over levels)."""
    import warnings

    import numpy as np

    from .labels import factor_words
    from .sensitivity import sensitivity

    ok = [o for o in names if _sobol_ok(ds, o)]
    if not ok:
        return []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        idx = sensitivity(ds, ok)
    lines = [f"   Sobol indices S1 / ST (+/- 95 % half-width), base n = "
             f"{idx.attrs['sobol_base_n']}" + ("" if idx.attrs["converged"] else
                                              f": NOT CONVERGED ({caught[0].message})"
                                              if caught else "")]
    rest = [d for d in idx["S1"].dims if d not in ("output", "factor")]
    levels = [dict(zip(rest, v if isinstance(v, tuple) else (v,)))
              for v in idx["S1"].isel(output=0, factor=0).stack(_l=rest)["_l"].values] \
        if rest else [{}]
    spelled = idx["factor_name"] if "factor_name" in idx.coords else idx["factor"]
    factors = [str(f) for f in spelled.values]
    lines.append(f"   {'output':<24}{'condition':<30}"
                 + "".join(f"{f.split('.')[-1][:28]:>30}" for f in factors))
    for o in ok:
        label = f"{o}_{side}" if f"{o}_{side}" in idx["output"].values else o
        if label not in idx["output"].values:
            continue
        for lv in levels:
            sel = idx.sel(output=label, **lv)
            cond = ", ".join(factor_words(ds, d, v) for d, v in lv.items())
            cells = "".join(
                f"{sel['S1'].values[k]:>8.2f}/{sel['ST'].values[k]:.2f}"
                f" +/-{max(sel['S1_conf'].values[k], sel['ST_conf'].values[k]):.2f}".rjust(30)
                if np.isfinite(sel["S1"].values[k]) else f"{'n/a':>30}"
                for k in range(len(factors)))
            lines.append(f"   {label:<24}{cond[:29]:<30}{cells}")
    return lines


def _w(v):
    from .labels import value_words

    return value_words(v)


def _fmt(v, signed=False, unit=""):
    """Forces [N] to 1 N (0.1 N below 10 N), angles to 0.1 deg, BW to 0.01."""
    sign = "+" if signed else ""
    if unit == "N":
        return f"{v:{sign}.0f}" if abs(v) >= 10 else f"{v:{sign}.1f}"
    if unit == "deg":
        return f"{v:{sign}.1f}"
    if unit == "BW":
        return f"{v:{sign}.2f}"
    if abs(v) >= 1e4:
        return f"{v:{sign}.0f}"
    return f"{v:{sign}.4g}"


def _named(ds, name, side):
    from .plots import select_side
    from .results import output

    return select_side(output(ds, name), name, side)


def _cell(ds, da, pt, bound):
    """Text of one value (marks) and the number (None when infeasible)."""
    import numpy as np

    from .results import display_units

    unit = display_units(da)

    v = da.sel(pt)
    f = ds["feasible"].sel(pt)
    b = bound.sel(pt)
    if "sample" in v.dims:
        ok = f.values.astype(bool)
        if not ok.any():
            return f"all {ok.size} infeasible", None
        y = v.values[ok]
        lo, med, hi = np.percentile(y, [5, 50, 95])
        n_bad = int((~ok).sum())
        mark = f" ({n_bad}*)" if n_bad else ""
        mark += "^" if (b.values != "").any() else ""
        return f"{_fmt(med, unit=unit)} [{_fmt(lo, unit=unit)}, {_fmt(hi, unit=unit)}]{mark}", \
            float(med)
    val = float(v)
    feasible = bool(f)
    saturated = feasible and "activation" in ds and \
        bool((ds["activation"].sel(pt) >= 0.999).any())
    mark = ("" if feasible else "*") + ("!" if saturated else "") + \
        ("^" if str(b.values) else "")
    return _fmt(val, unit=unit) + mark, (val if feasible else None)


def _points(n: int, kind: str = "") -> str:
    """``"1 infeasible point"``, ``"3 infeasible points"``."""
    return f"{n} {kind + ' ' if kind else ''}point{'' if n == 1 else 's'}"


def _conditions(ds, mask, limit=6) -> str:
    """The conditions (factor values) where ``mask`` holds, in words, at most ``limit``."""
    from .labels import factor_words

    dims = [d for d in mask.dims if d != "sample"]
    if "sample" in mask.dims:
        mask = mask.any("sample")
    if not dims:
        return "every point" if bool(mask) else ""
    flat = mask.stack(_p=dims)
    hits = [k for k in range(flat.sizes["_p"]) if bool(flat.values[k])]
    words = [", ".join(factor_words(ds, d, flat[d].values[k]) for d in dims) for k in hits[:limit]]
    more = f"; and {len(hits) - limit} more" if len(hits) > limit else ""
    return "; ".join(f"({w})" for w in words) + more


def _bounds_words(ds) -> str:
    import json

    attrs = ds["compensation_at_bound"].attrs
    b = json.loads(attrs.get("bounds_deg", "{}"))
    return ", ".join(f"{k} {v[0]:g}..{v[1]:g} deg" for k, v in b.items()) + \
        " (list and lean: change from the task posture)"


def _ranges(ds, side) -> list[str]:
    """Range of the hip contact force over feasible points, naming where."""
    from .labels import factor_words
    from .results import output

    bw = output(ds, "hip_contact_force_bw").sel(side=side)
    feas = ds["feasible"]
    good = bw.where(feas)
    nbad = int((~feas).sum())
    if not bool(feas.any()):
        return [f"   hip contact force: no feasible point ({nbad} infeasible)"]
    dims = list(bw.dims)

    def where(fn):
        if not dims:
            return ""
        idx = getattr(good, fn)(dim=dims)
        return " (" + ", ".join(factor_words(ds, d, ds[d].values[int(idx[d])]) for d in dims) + ")"

    text = (f"   hip contact force ({side}) over feasible points: {float(good.min()):.2f} BW"
            f"{where('argmin')} to {float(good.max()):.2f} BW{where('argmax')}")
    text += f"; {_points(nbad, 'infeasible')} left out" if nbad else "; no infeasible points"
    return [text]
