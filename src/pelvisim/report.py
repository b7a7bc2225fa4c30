"""Reports of experiments: result files, figures and the summary text.

:func:`run_and_report` (also :meth:`pelvisim.experiments.Experiment.run`) runs
an experiment and writes, per run, the dataset (``<label>.nc``), a tidy CSV
(``<label>.csv``), the figures the experiment asks for (``<label>_*.png``) and
one ``summary.txt``; ``pelvisim run`` and ``pelvisim plot`` are thin shells
around :func:`run_and_report` and :func:`plot_results`.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["run_and_report", "write_report", "plot_results", "make_plots", "summary",
           "DEFAULT_PLOT_OUTPUTS"]

DEFAULT_PLOT_OUTPUTS = ("tfl", "itb_tension", "quadratus_lumborum", "erector_spinae",
                        "hip_contact_force")


def run_and_report(exp, out=None, *, progress: bool = True, echo=None) -> dict:
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

    Returns
    -------
    dict
        ``{"datasets": {label: Dataset}, "files": [Path, ...], "summary": str,
        "out": Path}``.
    """
    from .experiments import Experiment, load_experiment, run_experiment

    if not isinstance(exp, Experiment):
        exp = load_experiment(exp)
    out = Path(out) if out is not None else Path("results") / exp.name
    out.mkdir(parents=True, exist_ok=True)
    if echo:
        echo(f"pelvisim run {exp.name}: {len(exp.runs)} run(s) -> {out}")
    datasets = run_experiment(exp, progress=progress)
    files, text = write_report(exp, datasets, out)
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
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    files.append(out / "summary.txt")
    return files, text


def plot_results(src, out=None) -> list[Path]:
    """Draw the figures of saved results (a ``.nc`` file or a folder of them)."""
    from . import results

    src = Path(src)
    if src.is_dir():
        paths = sorted(src.glob("*.nc"))
        if not paths:
            raise FileNotFoundError(f"plot: no .nc results in folder {str(src)!r}")
    elif src.is_file():
        paths = [src]
    else:
        raise FileNotFoundError(f"plot: results {str(src)!r} not found")
    out = Path(out) if out else (src if src.is_dir() else src.parent)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for p in paths:
        ds = results.load(p)
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
    from .results import output

    files = []
    outputs = [o for o in outputs if _has_output(ds, o)]
    forces = [o for o in outputs if output(ds, o).attrs.get("units") == "N"]
    angles = [o for o in outputs if o not in forces and output(ds, o).attrs.get("units") == "deg"]
    numeric = _numeric_factors(ds)
    sampled = "sample" in ds.dims

    def save(fig, name):
        path = out / f"{label}_{name}.png"
        fig.savefig(path, bbox_inches="tight")
        plt.close(fig)
        files.append(path)

    title = f"{ds.attrs.get('experiment', '')} / {label}: {ds.attrs.get('task', '')}"
    if "curves" in plots and numeric and not sampled:
        save(P.curves(ds, forces, title=title), "curves")
        if angles:
            save(P.curves(ds, angles, title=title + " (posture)"), "posture_curves")
    if "abductor_share" in plots and numeric and not sampled:
        save(P.abductor_share(ds, title=f"Share of the hip abductor force: {label}"),
             "abductor_share")
    if "heatmap" in plots and len(numeric) >= 2 and not sampled:
        for o in outputs:
            save(P.heatmap(ds, o), f"heatmap_{o}")
    if "bands" in plots and sampled and numeric:
        save(P.bands(ds, outputs, title=f"{label}: median and 5-95 % band"), "bands")
    if "sobol" in plots and ds.attrs.get("sampler") == "sobol":
        from .sweep import sensitivity

        idx = sensitivity(ds, [o for o in outputs if _sobol_ok(ds, o)])
        idx = idx.sel(output=[o for o in idx["output"].values if not str(o).endswith("_l")])
        save(P.sobol_bars(idx, title=f"Sobol indices ({label}, stance side)"), "sobol")
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
    """Solve the last grid point (weakest strength), optimal compensation if swept."""
    import pelvisim
    from .sweep import _apply, parse_factors

    run = next(r for r in exp.runs if r.label == label)
    facs = parse_factors(exp.model, run.task, run.factors, run.sampler, run.n)
    model, task, comp = exp.model, run.task, run.compensation
    strength = {}
    for f in facs:
        if f.values is None:
            return None
        v = f.values[-1] if f.kind != "compensation" else (
            "optimal" if "optimal" in f.values else f.values[-1])
        if f.kind == "strength":
            strength.update({k: v for k in f.target.split("+")})
        else:
            model, task, c = _apply(f, v, model, task)
            comp = c or comp
    if strength:
        model = model.with_strength(strength)
    return pelvisim.solve(model, task, compensation=comp, criterion=exp.criterion)


def summary(name, description, datasets, outputs) -> str:
    """Key numbers of an experiment as text: each output at the first and the
    last value of the curve factor, per compensation (median for samples)."""
    from .plots import _side, select_side, x_factor
    from .results import output

    lines = [f"experiment: {name}", description, ""]
    for label, ds in datasets.items():
        side = _side(ds)
        lines.append(f"== {label}: {ds.attrs.get('task', '')} (stance side {side}; trunk "
                     f"groups both sides); "
                     f"{int(ds['feasible'].sum())}/{ds['feasible'].size} points feasible")
        try:
            x = x_factor(ds)
        except ValueError:
            x = None
        comps = list(ds["compensation"].values) if "compensation" in ds.dims else [
            ds.attrs.get("compensation", "none")]
        if x is None:
            continue
        x0, x1 = ds[x].values[0], ds[x].values[-1]
        head = f"{'output':<28}{'unit':>6}"
        for c in comps:
            head += f"{c + ' @' + format(x0, 'g'):>16}{c + ' @' + format(x1, 'g'):>16}"
        lines.append(f"   x = {x}")
        lines.append(head)
        for o in outputs:
            if not _has_output(ds, o):
                continue
            da = select_side(output(ds, o), o, side)
            row = f"{o:<28}{da.attrs.get('units', ''):>6}"
            for c in comps:
                sub = da.sel(compensation=c) if "compensation" in da.dims else da
                for xv in (x0, x1):
                    v = sub.sel({x: xv})
                    v = v.median() if v.ndim else v
                    row += f"{float(v):>16.3g}" if abs(float(v)) < 1e4 else f"{float(v):>16.0f}"
            lines.append(row)
        bw = output(ds, "hip_contact_force_bw").sel(side=side)
        lines.append(f"   hip contact force range {float(bw.min()):.2f}-{float(bw.max()):.2f} BW")
        lines.append("")
    return "\n".join(lines).rstrip()
