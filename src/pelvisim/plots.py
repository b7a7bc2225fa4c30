"""Figures of sweep results (matplotlib).

Every function takes a sweep dataset (:func:`pelvisim.sweep.sweep`), writes a
PNG when ``path`` is given and returns the Figure.

- :func:`curves`: load-redistribution curves against the first strength (or
  other numeric) factor, a panel per output, one unit per figure (N or BW, or
  deg), a line per combination of the other factors; infeasible points left
  out and shaded; y ranges of at least 10 N / 2 deg (``MIN_SPAN``).
- :func:`abductor_share`: stacked share of the stance-side hip abductor
  *force* by muscle (forces of the muscles with an abductor action; moment
  arms are not stored in the sweep, so this is a force share).
- :func:`heatmap`: one output over a two-factor grid (infeasible cells
  hatched; a note when the range is below ``MIN_SPAN``).
- :func:`bands`: median and 5-95 % band over the feasible samples.
- :func:`sobol_bars`: first-order and total Sobol indices with confidence
  intervals, per level of any other factor.

Titles name the task and the fixed conditions in words (:mod:`pelvisim.labels`).
Importing this module chooses no backend and changes no ``rcParams``: each
function draws inside ``matplotlib.rc_context(STYLE)`` (the command line picks
the Agg backend unless ``MPLBACKEND`` says otherwise).
"""
from __future__ import annotations

import functools
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from .results import display_units, output
from .errors import ExperimentError

__all__ = ["curves", "abductor_share", "heatmap", "bands", "sobol_bars", "x_factor",
           "ABDUCTORS", "MIN_SPAN", "title_words", "STYLE", "styled"]

BACK = ("quadratus_lumborum", "erector_spinae", "multifidus", "l5s1_compression",
        "l5s1_shear_ap", "l5s1_shear_lat")
# Muscles with a hip-abductor action at neutral (SPEC section 10 / Delp 1990).
ABDUCTORS = ("gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
             "gluteus_minimus", "tfl", "gluteus_maximus_superior", "piriformis", "sartorius")
_STYLES = ("-", "--", ":", "-.")
# rcParams of every figure here, applied only while it is drawn (styled)
STYLE = {"figure.dpi": 110, "savefig.dpi": 150, "font.size": 10, "axes.grid": True,
         "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False}


def styled(func):
    """Run a plotting function inside ``matplotlib.rc_context(STYLE)``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return func(*args, **kwargs)
    return wrapper


def _label(name: str) -> str:
    pretty = {"itb_tension": "ITB tension", "tfl": "TFL", "l5s1_compression": "L5/S1 compression",
              "l5s1_shear_ap": "L5/S1 AP shear", "l5s1_shear_lat": "L5/S1 lateral shear",
              "hip_contact_force": "hip contact force", "hip_contact_force_bw": "hip contact force",
              "quadratus_lumborum": "quadratus lumborum"}
    if name in pretty:
        return pretty[name]
    if "+" in name:
        return " + ".join(_label(n) for n in name.split("+"))
    if name.startswith(("task.", "body.", "param.", "tightness.", "slack_shortening.")):
        kind, _, rest = name.partition(".")
        return f"{kind}: {rest.replace('_', ' ')}"
    return name.replace("_deg", "").replace("_", " ")


def _factor_label(ds, name) -> str:
    """Label of a factor dimension, from the factor as spelled (``attrs["factor"]``)."""
    return _label(ds[name].attrs.get("factor", name)) if name in ds.coords else _label(name)


def _factor_axis_label(ds, name):
    units = ds[name].attrs.get("units", "")
    kind = ds[name].attrs.get("factor_kind", "")
    text = _factor_label(ds, name) + (" strength" if kind == "strength" else "")
    return f"{text} [{units}]" if units and units != "1" else \
        f"{text} [-]" if kind in ("strength", "slack_shortening") else text


def x_factor(ds: xr.Dataset) -> str:
    """The factor a curve is drawn against: the first numeric sweep dimension,
    strength factors first."""
    dims = [d for d in ds.dims if d in ds.coords and "factor_kind" in ds[d].attrs
            and ds[d].dtype.kind in "fi"]
    strength = [d for d in dims if ds[d].attrs["factor_kind"] == "strength"]
    if strength or dims:
        return (strength or dims)[0]
    raise ExperimentError("plots: the sweep has no numeric factor dimension to draw curves against")


def _side(ds) -> str:
    return "l" if "side='l'" in ds.attrs.get("task", "") else "r"


def _save(fig, path):
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
    return fig


# Trunk muscle groups work in pairs (the left erector spinae holds a trunk
# leaning right), so their curves show both sides together.
BILATERAL = ("erector_spinae", "multifidus", "quadratus_lumborum", "abdominals")


def select_side(da, name, side):
    """The stance side of a per-side output, or both sides summed for trunk groups."""
    if "side" not in da.dims:
        return da
    if name in BILATERAL:
        return da.sum("side", keep_attrs=True)
    return da.sel(side=side)


def _series(ds, name, bw, side):
    return select_side(output(ds, name, bw=bw), name, side)


def _fmt(v):
    if isinstance(v, (float, np.floating, int, np.integer)):
        return f"{float(v):.3g}"
    return str(v)


MIN_SPAN = {"N": 10.0, "deg": 2.0, "BW": 0.02, "%": 5.0}  # smallest y range drawn per unit


def _unit_span(unit, ds=None):
    return MIN_SPAN.get(unit, 0.0)


def _ylim(ax, values, unit):
    """Y-limits from the (feasible) values drawn, at least MIN_SPAN[unit] wide;
    returns the span of the values (nan when none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo
    need = _unit_span(unit)
    if span < need:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - need / 2, mid + need / 2
        if lo < 0 <= float(v.min()):  # forces and shares do not go below zero
            lo, hi = 0.0, need
    pad = 0.06 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    return span


def _small_note(ax, text):
    ax.text(0.02, 0.97, text, transform=ax.transAxes, fontsize=7.5, va="top", color="0.25",
            bbox=dict(facecolor="white", alpha=0.8, edgecolor="none", pad=1.5))


def title_words(ds, extra="") -> str:
    """Figure title: the task and the fixed conditions in words."""
    import json

    from .labels import fixed_conditions, task_words

    facs = json.loads(ds.attrs.get("factors", "{}"))
    swept = [f["target"] for f in facs.values() if f["kind"] == "task"]
    tw = task_words(name=ds.attrs.get("task_name", ""), params=ds.attrs.get("task_params", ""),
                    skip=swept)
    head = f"{extra}: " if extra and not extra.endswith("\n") else extra
    return f"{head}{tw}\n{fixed_conditions(ds)}"


def _combos(ds, da, x, limit=None):
    """(selection, words) for every combination of the dimensions besides x."""
    from .labels import factor_words

    rest = [d for d in da.dims if d != x]
    if not rest:
        return [({}, "")]
    stacked = da.stack(_c=rest)
    out = []
    for k in range(stacked.sizes["_c"]):
        sel = {d: stacked[d].values[k] for d in rest}
        out.append((sel, ", ".join(factor_words(ds, d, v) for d, v in sel.items())))
    return out


def _where_label(name, side):
    if name in BILATERAL:
        return "both sides"
    return f"{'right' if side == 'r' else 'left'} side"


def _strength_axis(ax, ds, x):
    v = ds[x].values
    if ds[x].attrs.get("factor_kind") == "strength" and v[0] > v[-1]:
        ax.set_xlim(max(v) + 0.02, min(v) - 0.02)


@styled
def curves(ds: xr.Dataset, outputs, path=None, *, x: str | None = None, bw: bool = False,
           title: str | None = None):
    """Load-redistribution curves: a panel per output against a factor.

    One unit per figure: forces in N (``bw=False``) or in body weight
    (``bw=True``); angles [deg] as they are (give forces and angles in separate
    calls). A line per compensation strategy (if swept); any other factor
    (a load, a second strength, ...) gives a column of panels per level (its
    first and last when it has more than 3), so that its effect does not
    squash the curve factor's. Infeasible points (reserve moments) are left out
    of the lines and shaded; y-limits come from the feasible values and span
    at least ``MIN_SPAN`` (10 N, 0.02 BW, 2 deg), so that a change smaller
    than that reads as flat, and such panels say so. Squares mark optimal
    compensation at a bound. Forces are those of the stance side (``side``
    task parameter; right otherwise); trunk groups sum both sides.
    """
    from .labels import factor_words
    from .results import at_bound_text

    x = x or x_factor(ds)
    side = _side(ds)
    feas = ds["feasible"]
    bound = at_bound_text(ds)
    facet_dims = [d for d in feas.dims if d not in (x, "compensation")]
    if facet_dims:
        levels = {d: (list(ds[d].values) if ds.sizes[d] <= 3 else [ds[d].values[0],
                                                                   ds[d].values[-1]])
                  for d in facet_dims}
        import itertools

        facets = [dict(zip(facet_dims, c)) for c in itertools.product(*levels.values())]
        nrow, ncol = len(outputs), len(facets)
        panels = [(name, f) for name in outputs for f in facets]
    else:
        n = len(outputs)
        ncol = min(n, 3)
        nrow = -(-n // ncol)
        facets = [{}]
        panels = [(name, {}) for name in outputs]
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.3 * ncol + 0.4, 2.9 * nrow + 1.3),
                             squeeze=False, sharex=True)
    handles = {}
    for k, (name, fsel) in enumerate(panels):
        ax = axes.flat[k]
        sub = ds.sel(fsel) if fsel else ds
        sub_feas = feas.sel(fsel) if fsel else feas
        sub_bound = bound.sel(fsel) if fsel else bound
        combos = _combos(sub, sub_feas, x)
        many = len(combos) > 6
        cmap = plt.get_cmap("viridis" if many else "tab10")
        da = _series(sub, name, bw=bw, side=side)
        unit = display_units(da)
        drawn = []
        for j, (sel, words) in enumerate(combos):
            y = da.sel(sel) if sel else da
            ok = sub_feas.sel(sel) if sel else sub_feas
            good = y.where(ok)
            color = cmap(j / max(len(combos) - 1, 1)) if many else cmap(j % 10)
            (h,) = ax.plot(y[x].values, good.values, color=color, lw=2.0,
                           ls=_STYLES[j % 2] if not many else "-", marker="o", ms=3)
            drawn.append(good.values)
            if words and (not many or j in (0, len(combos) - 1)):
                handles.setdefault(words, h)
            at = ((sub_bound.sel(sel) if sel else sub_bound).values != "") & \
                np.isfinite(good.values)
            if at.any():
                hb = ax.plot(y[x].values[at], good.values[at], ls="none", marker="s", ms=7,
                             mfc="none", mec="k", mew=1.2)[0]
                handles.setdefault("optimal compensation at a bound", hb)
        for lab, h in _shade_infeasible(ax, sub, x).items():
            handles.setdefault(lab, h)
        span = _ylim(ax, np.concatenate(drawn) if drawn else [], unit)
        if np.isfinite(span) and span < _unit_span(unit):
            _small_note(ax, f"all within {_fmt(max(span, 0))} {unit} "
                        f"(< {_fmt(_unit_span(unit))} {unit})")
        sided = "side" in output(ds, name).dims
        head = f"{_label(name)}" + (f", {_where_label(name, side)}" if sided else "")
        if fsel:
            head += "\n" + ", ".join(factor_words(ds, d, v) for d, v in fsel.items())
        ax.set_title(head, fontsize=9.5)
        ax.set_ylabel(f"[{unit}]")
        if k + ncol >= len(panels):
            ax.set_xlabel(_factor_axis_label(ds, x))
            ax.tick_params(labelbottom=True)
        _strength_axis(ax, ds, x)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if handles:
        fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
                   ncol=min(len(handles), 3), frameon=False, fontsize=8.5,
                   bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title or title_words(ds, "Load redistribution"), fontsize=10.5)
    height = fig.get_figheight()
    fig.tight_layout(rect=(0, (0.25 + 0.2 * (-(-len(handles) // 3))) / height, 1,
                           1 - 0.45 / height))
    return _save(fig, path)


def _shade_infeasible(ax, ds, x):
    """Grey bands over factor values with infeasible points: dark where every
    condition is infeasible, light where some are (their lines stop).
    Returns {legend label: handle}."""
    feas = ds["feasible"]
    rest = [d for d in feas.dims if d != x]
    some = ~(feas.all(rest) if rest else feas)
    every = ~(feas.any(rest) if rest else feas)
    xs = ds[x].values
    step = np.min(np.abs(np.diff(xs))) / 2 if len(xs) > 1 else 0.05
    out = {}
    for mask, alpha, label in ((every, 0.45, "infeasible (reserve moments): left out"),
                               (some & ~every, 0.18,
                                "infeasible for some conditions (their lines stop)")):
        for v in xs[mask.values]:
            out[label] = ax.axvspan(v - step, v + step, color="0.55", alpha=alpha, lw=0)
    return out


@styled
def abductor_share(ds: xr.Dataset, path=None, *, x: str | None = None, title: str | None = None):
    """Stacked share [%] of the stance-side hip abductor force by muscle
    against a factor (force share, not moment share), a panel per combination
    of the other factors (compensation, ...); infeasible points left blank."""
    x = x or x_factor(ds)
    side = _side(ds)
    present = []
    for a in ABDUCTORS:
        try:
            output(ds, a)
            present.append(a)
        except ValueError:
            pass
    feas = ds["feasible"]
    combos = _combos(ds, feas, x)
    fig, axes = plt.subplots(1, len(combos), figsize=(4.6 * len(combos) + 2.2, 3.9),
                             squeeze=False, sharey=True)
    colors = plt.get_cmap("tab10")
    for c, (sel, words) in enumerate(combos):
        sub = ds.sel(sel) if sel else ds
        ok = sub["feasible"].values
        parts = [_series(sub, a, False, side) for a in present]
        total = sum(parts)
        share = [np.where(ok, 100 * p / xr.where(total > 0, total, np.nan), np.nan)
                 for p in parts]
        xs = sub[x].values
        ax = axes[0, c]
        ax.stackplot(xs, *share, labels=[_label(a) for a in present],
                     colors=[colors(k % 10) for k in range(len(present))], alpha=0.85)
        _shade_infeasible(ax, sub, x)
        ax.set_xlabel(_factor_axis_label(ds, x))
        ax.set_ylim(0, 100)
        if xs[0] > xs[-1]:
            ax.set_xlim(xs[0], xs[-1])
        ax.set_title(words, fontsize=9.5)
        if c == 0:
            ax.set_ylabel(f"share of hip abductor force [%], {_where_label('', side)}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if not feas.all():
        handles.append(plt.Rectangle((0, 0), 1, 1, color="0.6", alpha=0.25))
        labels.insert(0, "infeasible (left blank)")
        handles = [handles[-1]] + handles[:-1][::-1]
        labels = [labels[0]] + labels[1:][::-1]
    else:
        handles, labels = handles[::-1], labels[::-1]
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False,
               fontsize=8.5)
    fig.suptitle(title or title_words(ds, "Who abducts the hip"), fontsize=10.5)
    fig.tight_layout()
    return _save(fig, path)


@styled
def heatmap(ds: xr.Dataset, name: str, path=None, *, dims: tuple[str, str] | None = None,
            bw: bool = False, title: str | None = None):
    """One output over a two-factor grid (stance side for forces).

    Infeasible cells are hatched grey (values left out); the colour range
    spans at least ``MIN_SPAN`` of the unit, and a note says when the
    feasible values vary less than that (no effect worth a colour scale).
    """
    from .labels import factor_words

    if dims is None:
        cand = [d for d in ds.dims if d in ds.coords and "factor_kind" in ds[d].attrs
                and ds[d].dtype.kind in "fi"]
        if len(cand) < 2:
            raise ExperimentError("heatmap: needs a sweep over two numeric factors")
        dims = (cand[0], cand[1])
    da = _series(ds, name, bw, _side(ds))
    feas = ds["feasible"]
    rest = [d for d in da.dims if d not in dims]
    fixed = {}
    if rest:
        fixed = {d: da[d].values[0] for d in rest}
        da, feas = da.sel(fixed), feas.sel(fixed)
    da = da.transpose(dims[1], dims[0])
    feas = feas.transpose(dims[1], dims[0])
    unit = display_units(da)
    good = da.where(feas)
    fig, ax = plt.subplots(figsize=(5.8, 4.8))
    xs, ys = da[dims[0]].values, da[dims[1]].values
    finite = good.values[np.isfinite(good.values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo
    need = _unit_span(unit)
    vlo, vhi = (lo, hi) if span >= need else (0.5 * (lo + hi) - need / 2,
                                              0.5 * (lo + hi) + need / 2)
    if vlo < 0 <= lo:  # forces do not go below zero
        vlo, vhi = 0.0, max(vhi - vlo, hi)
    mesh = ax.pcolormesh(xs, ys, good.values, shading="nearest", cmap="viridis",
                         vmin=vlo, vmax=vhi)
    bad = ~feas.values
    if bad.any():
        ax.pcolormesh(xs, ys, np.where(bad, 1.0, np.nan), shading="nearest", cmap="Greys",
                      vmin=0, vmax=3, hatch="//", alpha=0.6)
    if span >= need and np.isfinite(good.values).sum() >= 4:
        cs = ax.contour(xs, ys, good.values, colors="white", linewidths=0.7, levels=6)
        ax.clabel(cs, fontsize=7, fmt="%.0f" if unit == "N" else "%.2g")
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(f"{_label(name)} [{unit}]")
    ax.set_xlabel(_factor_axis_label(ds, dims[0]))
    ax.set_ylabel(_factor_axis_label(ds, dims[1]))
    for d, setter in ((dims[0], ax.set_xlim), (dims[1], ax.set_ylim)):
        v = ds[d].values
        if ds[d].attrs.get("factor_kind") == "strength" and v[0] > v[-1]:
            setter(v.max() + 0.05, v.min() - 0.05)
    ax.grid(False)
    notes = []
    if span < need:
        notes.append(f"range only {_fmt(span)} {unit} (< {_fmt(need)} {unit}): no effect")
    if bad.any():
        notes.append(f"hatched: infeasible ({int(bad.sum())} points)")
    if notes:
        _small_note(ax, "; ".join(notes))
    extra = f"\n({', '.join(factor_words(ds, d, v) for d, v in fixed.items())})" if fixed else ""
    where = _where_label(name, _side(ds))
    ax.set_title(title or f"{_label(name)}, {where}{extra}\n{title_words(ds)}", fontsize=8.5)
    fig.tight_layout()
    return _save(fig, path)


def _fmt_num(v):
    return f"{v:.2g}" if abs(v) < 1 else f"{v:.3g}"


@styled
def bands(ds: xr.Dataset, outputs, path=None, *, x: str | None = None, bw: bool = False,
          title: str | None = None):
    """Median and 5-95 % band over the feasible samples against a factor, a
    panel per output, a band per combination of any other factor."""
    if "sample" not in ds.dims:
        raise ExperimentError("bands: needs a sampled sweep (dimension 'sample')")
    x = x or x_factor(ds)
    side = _side(ds)
    n = len(outputs)
    ncol = min(n, 3)
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol, 3.3 * nrow + 1.0), squeeze=False)
    feas = ds["feasible"]
    n_bad = int((~feas).sum())
    for k, name in enumerate(outputs):
        ax = axes.flat[k]
        da = _series(ds, name, bw, side).where(feas)
        unit = display_units(da)
        combos = _combos(ds, da.isel(sample=0, drop=True), x)
        drawn = []
        for j, (sel, words) in enumerate(combos):
            sub = da.sel(sel) if sel else da
            lo, med, hi = (sub.quantile(q, dim="sample", skipna=True) for q in (0.05, 0.5, 0.95))
            xs = sub[x].values
            color = f"C{j % 10}"
            ax.fill_between(xs, lo.values, hi.values, alpha=0.25, color=color,
                            label="5-95 %" if j == 0 and not words else None)
            ax.plot(xs, med.values, color=color, lw=2, label=words or "median")
            drawn += [lo.values, hi.values]
        span = _ylim(ax, np.concatenate(drawn), unit)
        if np.isfinite(span) and span < _unit_span(unit):
            _small_note(ax, f"all within {_fmt(span)} {unit}")
        ax.set_title(_label(name) + (f", {_where_label(name, side)}"
                                     if "side" in output(ds, name).dims else ""), fontsize=10)
        ax.set_ylabel(f"[{unit}]")
        ax.set_xlabel(_factor_axis_label(ds, x))
        _strength_axis(ax, ds, x)
        if k == 0:
            ax.legend(frameon=False, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    sampled = ", ".join(_factor_label(ds, str(c)) for c in ds.coords
                        if ds[c].dims == ("sample",) and c != "sample")
    note = f"; {n_bad} infeasible points left out" if n_bad else ""
    fig.suptitle(title or title_words(ds, f"Median and 5-95 % over {ds.sizes['sample']} samples "
                                          f"({sampled}){note}\n"), fontsize=9.5)
    fig.tight_layout()
    return _save(fig, path)


@styled
def sobol_bars(indices: xr.Dataset, path=None, *, title: str | None = None):
    """Bars of S1 and ST with their confidence intervals per factor: a column
    per output, a row per level of any other factor (e.g. strength), never
    averaged over it."""
    outputs = list(indices["output"].values)
    spelled = indices["factor_name"] if "factor_name" in indices.coords else indices["factor"]
    factors = [_label(str(f)) for f in spelled.values]
    rest = [d for d in indices["S1"].dims if d not in ("output", "factor")]
    if rest:
        levels = indices["S1"].isel(output=0, factor=0).stack(_l=rest)["_l"].values
        level_sel = [dict(zip(rest, lv if isinstance(lv, tuple) else (lv,))) for lv in levels]
    else:
        level_sel = [{}]
    n, nrow = len(outputs), len(level_sel)
    fig, axes = plt.subplots(nrow, n, figsize=(3.3 * n + 1.6, 0.45 * len(factors) * nrow + 1.6
                                                 + 0.6 * nrow),
                             squeeze=False, sharey=True, sharex=True)
    for r, lsel in enumerate(level_sel):
        for k, out in enumerate(outputs):
            ax = axes[r, k]
            sel = indices.sel(output=out, **lsel)
            y = np.arange(len(factors))
            ax.barh(y - 0.2, sel["S1"].values, 0.4, xerr=sel["S1_conf"].values,
                    label="first order S1", color="C0", capsize=2)
            ax.barh(y + 0.2, sel["ST"].values, 0.4, xerr=sel["ST_conf"].values,
                    label="total ST", color="C1", capsize=2)
            ax.set_yticks(y, factors)
            ax.set_xlim(-0.1, 1.1)
            ax.axvline(0, color="0.5", lw=0.8)
            ax.set_xlabel("Sobol index [-]")
            o = str(out)
            head = (f"{_label(o[:-2])}, {'right' if o[-1] == 'r' else 'left'} side"
                    if o.endswith(("_r", "_l")) else _label(o))
            if lsel:
                head += "\n" + ", ".join(f"{_factor_label(indices, d)} strength {_fmt_num(float(v))}"
                                         if indices[d].attrs.get("factor_kind") == "strength"
                                         else f"{_factor_label(indices, d)} {_fmt_num(float(v))}"
                                         for d, v in lsel.items())
            ax.set_title(head, fontsize=9)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    conf = indices.attrs.get("conf_level", 0.95)
    labels = [f"{lb} ({100 * conf:.0f} % interval)" for lb in labels]
    fig.legend(handles, labels, loc="lower center", frameon=False, ncol=2, fontsize=8.5)
    n_base = indices.attrs.get("sobol_base_n", "")
    warn = "" if indices.attrs.get("converged", 1) else \
        f"  NOT CONVERGED (n < {indices.attrs.get('sobol_min_n', '')})"
    fig.suptitle(title or f"Sobol sensitivity (base sample n = {n_base}){warn}", fontsize=10.5,
                 color="firebrick" if warn else "black")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, path)
