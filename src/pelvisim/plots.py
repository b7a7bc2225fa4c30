"""Figures of sweep results (matplotlib, Agg backend).

Every function takes a sweep dataset (:func:`pelvisim.sweep.sweep`), writes a
PNG when ``path`` is given and returns the Figure.

- :func:`curves`: load-redistribution curves against the first strength (or
  other numeric) factor, in N and in body weight, one panel per compensation
  strategy side by side; back outputs (QL, erector spinae, multifidus,
  L5/S1) and the ITB drawn thick.
- :func:`abductor_share`: stacked share of the stance-side hip abductor
  *force* by muscle (forces of the muscles with an abductor action; moment
  arms are not stored in the sweep, so this is a force share).
- :func:`heatmap`: one output over a two-factor grid.
- :func:`bands`: median and 5-95 % band over the ``sample`` dimension.
- :func:`sobol_bars`: first-order and total Sobol indices with confidence.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .results import output  # noqa: E402
from .errors import ExperimentError  # noqa: E402

__all__ = ["curves", "abductor_share", "heatmap", "bands", "sobol_bars", "x_factor",
           "ABDUCTORS"]

BACK = ("quadratus_lumborum", "erector_spinae", "multifidus", "l5s1_compression",
        "l5s1_shear_ap", "l5s1_shear_lat")
HIGHLIGHT = BACK + ("itb_tension", "tfl")
# Muscles with a hip-abductor action at neutral (SPEC section 10 / Delp 1990).
ABDUCTORS = ("gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
             "gluteus_minimus", "tfl", "gluteus_maximus_superior", "piriformis", "sartorius")
_STYLES = ("-", "--", ":", "-.")
plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "font.size": 10,
                     "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
                     "axes.spines.right": False})


def _label(name: str) -> str:
    pretty = {"itb_tension": "ITB tension", "tfl": "TFL", "l5s1_compression": "L5/S1 compression",
              "l5s1_shear_ap": "L5/S1 AP shear", "l5s1_shear_lat": "L5/S1 lateral shear",
              "hip_contact_force": "hip contact force", "hip_contact_force_bw": "hip contact force",
              "quadratus_lumborum": "quadratus lumborum"}
    if name in pretty:
        return pretty[name]
    if "+" in name:
        return " + ".join(_label(n) for n in name.split("+"))
    if name.startswith(("task.", "body.", "param.", "tightness.")):
        kind, _, rest = name.partition(".")
        return f"{kind}: {rest.replace('_', ' ')}"
    return name.replace("_deg", "").replace("_", " ")


def _factor_axis_label(ds, name):
    units = ds[name].attrs.get("units", "")
    kind = ds[name].attrs.get("factor_kind", "")
    text = _label(name) + (" strength" if kind == "strength" else "")
    return f"{text} [{units}]" if units and units != "1" else \
        f"{text} [-]" if kind in ("strength", "tightness") else text


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


def _others(da, keep):
    """Remaining dimensions besides ``keep``: their combinations as labels."""
    rest = [d for d in da.dims if d not in keep]
    if not rest:
        return [({}, "")]
    stacked = da.stack(_c=rest)
    out = []
    for k in range(stacked.sizes["_c"]):
        sel = {d: stacked[d].values[k] for d in rest}
        out.append((sel, ", ".join(f"{_label(d)}={_fmt(v)}" for d, v in sel.items())))
    return out


def _fmt(v):
    return f"{v:g}" if isinstance(v, (float, np.floating, int, np.integer)) else str(v)


def curves(ds: xr.Dataset, outputs, path=None, *, x: str | None = None, title: str | None = None):
    """Load-redistribution curves: outputs against a factor, N (top) and BW
    (bottom), a column per compensation strategy (if it is a factor).

    Outputs that are not forces (posture angles [deg], ...) get a row per unit.
    Factor values with an infeasible point are shaded grey. Forces are those of
    the stance side (``side`` task parameter; right otherwise).
    """
    x = x or x_factor(ds)
    side = _side(ds)
    comps = list(ds["compensation"].values) if "compensation" in ds.dims else [None]
    forces = [o for o in outputs if output(ds, o).attrs.get("units") == "N"]
    others = [o for o in outputs if o not in forces]
    rows = [("N", False, forces), ("BW", True, forces)] if forces else []
    units = {}
    for o in others:
        units.setdefault(output(ds, o).attrs.get("units", ""), []).append(o)
    rows += [(u, False, names) for u, names in units.items()]
    nrow, ncol = len(rows), len(comps)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol + 2.2, 3.0 * nrow + 0.6),
                             squeeze=False, sharex=True, sharey="row")
    colors = plt.get_cmap("tab10")
    handles, styles = {}, {}
    for c, comp in enumerate(comps):
        sub = ds.sel(compensation=comp) if comp is not None else ds
        for r, (unit, bw, names) in enumerate(rows):
            ax = axes[r, c]
            for k, name in enumerate(names):
                da = _series(sub, name, bw=bw, side=side)
                for j, (sel, extra) in enumerate(_others(da, (x,))):
                    y = da.sel(sel) if sel else da
                    lw = 2.6 if name in HIGHLIGHT else 1.4
                    ls = _STYLES[j % len(_STYLES)]
                    (h,) = ax.plot(y[x].values, y.values, color=colors(k % 10), lw=lw, ls=ls,
                                   marker="o", ms=3)
                    if j == 0:
                        handles.setdefault(_label(name), h)
                    if extra:
                        styles.setdefault(extra, ls)
            shade = _shade_infeasible(ax, sub, x)
            if shade is not None:
                handles.setdefault("infeasible (reserve moments)", shade)
            if unit in ("N", "BW"):
                ax.set_ylabel(f"force [{unit}], {side} side (trunk groups: both)")
            elif len(names) == 1:
                ax.set_ylabel(f"{_label(names[0])} [{unit}]")
            else:
                ax.set_ylabel(f"angle [{unit}]" if unit == "deg" else f"[{unit}]")
            if r == 0:
                ax.set_title(f"compensation: {comp}" if comp is not None else "")
            if r == nrow - 1:
                ax.set_xlabel(_factor_axis_label(ds, x))
            if ds[x].attrs.get("factor_kind") == "strength" and ds[x].values[0] > ds[x].values[-1]:
                ax.set_xlim(max(ds[x].values) + 0.02, min(ds[x].values) - 0.02)
    for extra, ls in styles.items():
        (h,) = axes[0, 0].plot([], [], color="k", ls=ls, lw=1.4)
        handles[extra] = h
    fig.legend(list(handles.values()), list(handles.keys()), loc="center left",
               bbox_to_anchor=(1.0, 0.5), frameon=False,
               title="thick: back and ITB" if any(o in HIGHLIGHT for o in outputs) else None)
    fig.suptitle(title or f"Load redistribution: {ds.attrs.get('task', '')}", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def _shade_infeasible(ax, ds, x):
    """Grey band over factor values where any point is infeasible."""
    feas = ds["feasible"]
    rest = [d for d in feas.dims if d != x]
    bad = ~(feas.all(rest) if rest else feas)
    xs = ds[x].values
    if not bad.any():
        return None
    step = np.min(np.abs(np.diff(xs))) / 2 if len(xs) > 1 else 0.05
    h = None
    for v in xs[bad.values]:
        h = ax.axvspan(v - step, v + step, color="0.6", alpha=0.25, lw=0)
    return h


def abductor_share(ds: xr.Dataset, path=None, *, x: str | None = None, title: str | None = None):
    """Stacked share [%] of the stance-side hip abductor force by muscle
    against a factor (force share, not moment share), a panel per compensation."""
    x = x or x_factor(ds)
    side = _side(ds)
    comps = list(ds["compensation"].values) if "compensation" in ds.dims else [None]
    present = []
    for a in ABDUCTORS:
        try:
            output(ds, a)
            present.append(a)
        except ValueError:
            pass
    fig, axes = plt.subplots(1, len(comps), figsize=(5.0 * len(comps) + 2.0, 3.8), squeeze=False,
                             sharey=True)
    colors = plt.get_cmap("tab10")
    for c, comp in enumerate(comps):
        sub = ds.sel(compensation=comp) if comp is not None else ds
        parts = [_series(sub, a, False, side) for a in present]
        # average any other dimensions (e.g. a second factor) for a single stack
        parts = [p.mean([d for d in p.dims if d != x]) if p.ndim > 1 else p for p in parts]
        total = sum(parts)
        share = [100 * p / xr.where(total > 0, total, np.nan) for p in parts]
        xs = sub[x].values
        ax = axes[0, c]
        ax.stackplot(xs, *[s.values for s in share], labels=[_label(a) for a in present],
                     colors=[colors(k % 10) for k in range(len(present))], alpha=0.85)
        ax.set_xlabel(_factor_axis_label(ds, x))
        ax.set_ylim(0, 100)
        if xs[0] > xs[-1]:
            ax.set_xlim(xs[0], xs[-1])
        ax.set_title(f"compensation: {comp}" if comp is not None else "")
        if c == 0:
            ax.set_ylabel(f"share of hip abductor force [%], {side} side")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5),
               frameon=False)
    fig.suptitle(title or f"Who abducts the hip: {ds.attrs.get('task', '')}", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def heatmap(ds: xr.Dataset, name: str, path=None, *, dims: tuple[str, str] | None = None,
            bw: bool = False, title: str | None = None):
    """One output over a two-factor grid (stance side for forces)."""
    if dims is None:
        cand = [d for d in ds.dims if d in ds.coords and "factor_kind" in ds[d].attrs
                and ds[d].dtype.kind in "fi"]
        if len(cand) < 2:
            raise ExperimentError("heatmap: needs a sweep over two numeric factors")
        dims = (cand[0], cand[1])
    da = _series(ds, name, bw, _side(ds))
    rest = [d for d in da.dims if d not in dims]
    if rest:
        da = da.isel({d: 0 for d in rest})
    da = da.transpose(dims[1], dims[0])
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    xs, ys = da[dims[0]].values, da[dims[1]].values
    mesh = ax.pcolormesh(xs, ys, da.values, shading="nearest", cmap="viridis")
    cs = ax.contour(xs, ys, da.values, colors="white", linewidths=0.7, levels=6)
    ax.clabel(cs, fontsize=7, fmt="%.0f" if da.attrs.get("units") == "N" else "%.2g")
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(f"{_label(name)} [{da.attrs.get('units', '')}]")
    ax.set_xlabel(_factor_axis_label(ds, dims[0]))
    ax.set_ylabel(_factor_axis_label(ds, dims[1]))
    for d, setter in ((dims[0], ax.set_xlim), (dims[1], ax.set_ylim)):
        v = ds[d].values
        if ds[d].attrs.get("factor_kind") == "strength" and v[0] > v[-1]:
            setter(v.max(), v.min())
    ax.grid(False)
    extra = f" ({', '.join(f'{d}={_fmt(da[d].values)}' for d in rest)})" if rest else ""
    where = "both sides" if name in BILATERAL else f"{_side(ds)} side"
    ax.set_title(title or f"{_label(name)}, {where}{extra}")
    fig.tight_layout()
    return _save(fig, path)


def bands(ds: xr.Dataset, outputs, path=None, *, x: str | None = None, bw: bool = False,
          title: str | None = None):
    """Median and 5-95 % band over ``sample`` against a factor, one panel per output."""
    if "sample" not in ds.dims:
        raise ExperimentError("bands: needs a sampled sweep (dimension 'sample')")
    x = x or x_factor(ds)
    side = _side(ds)
    n = len(outputs)
    ncol = min(n, 3)
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol, 3.3 * nrow), squeeze=False)
    for k, name in enumerate(outputs):
        ax = axes.flat[k]
        da = _series(ds, name, bw, side)
        rest = [d for d in da.dims if d not in (x, "sample")]
        if rest:
            da = da.isel({d: 0 for d in rest})
        lo, med, hi = (da.quantile(q, dim="sample") for q in (0.05, 0.5, 0.95))
        xs = da[x].values
        ax.fill_between(xs, lo.values, hi.values, alpha=0.3, color="C0", label="5-95 %")
        ax.plot(xs, med.values, color="C0", lw=2, label="median")
        ax.set_title(_label(name))
        ax.set_ylabel(f"{_label(name)} [{da.attrs.get('units', '')}]")
        ax.set_xlabel(_factor_axis_label(ds, x))
        if xs[0] > xs[-1]:
            ax.set_xlim(xs[0], xs[-1])
        if k == 0:
            ax.legend(frameon=False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    sampled = ", ".join(_label(str(c)) for c in ds.coords if ds[c].dims == ("sample",)
                        and c != "sample")
    fig.suptitle(title or f"Uncertainty ({ds.sizes['sample']} samples of {sampled})", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def sobol_bars(indices: xr.Dataset, path=None, *, title: str | None = None):
    """Bars of S1 and ST (with confidence) per factor, a panel per output
    (averaged over any other dimension, e.g. strength levels)."""
    outputs = list(indices["output"].values)
    factors = [_label(str(f)) for f in indices["factor"].values]
    n = len(outputs)
    ncol = min(n, 3)
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.2 * nrow + 0.4), squeeze=False,
                             sharey=True)
    rest = [d for d in indices["S1"].dims if d not in ("output", "factor")]
    for k, out in enumerate(outputs):
        ax = axes.flat[k]
        sel = indices.sel(output=out)
        if rest:
            sel = sel.mean(rest)
        y = np.arange(len(factors))
        ax.barh(y - 0.2, sel["S1"].values, 0.4, xerr=sel["S1_conf"].values, label="first order S1",
                color="C0", capsize=2)
        ax.barh(y + 0.2, sel["ST"].values, 0.4, xerr=sel["ST_conf"].values, label="total ST",
                color="C1", capsize=2)
        ax.set_yticks(y, factors)
        ax.set_xlim(-0.05, 1.05)
        ax.set_xlabel("Sobol index [-]")
        ax.set_title(_label(str(out)))
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", frameon=False, ncol=2)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    avg = f" (mean over {', '.join(rest)})" if rest else ""
    fig.suptitle(title or f"Sobol sensitivity{avg}", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)
