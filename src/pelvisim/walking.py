"""Walking from a user's trial, whole: every % of the stance phase as one sweep.

:func:`gait_trial` turns an OpenSim walking trial (inverse dynamics ``.sto``,
inverse kinematics ``.mot``, ground reactions ``.mot``) into a gait table
(:func:`pelvisim.gait.table_from_opensim`: both feet's ground reactions, both
legs' moments) and solves the ``gait_stance`` task at every table frame, with
optional strength factors swept too (a ``stance_pct x strength`` result).
:func:`plot_gait` draws the default figure: curves over % stance by strength.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import xarray as xr

__all__ = ["gait_trial", "plot_gait", "GAIT_OUTPUTS"]

# (output, label, in body weight?) of the default figure
GAIT_OUTPUTS = (
    ("hip_contact_force", "hip contact force", True),
    ("tfl", "TFL", False),
    ("gluteus_medius", "gluteus medius", False),
    ("gluteus_maximus", "gluteus maximus", False),
    ("itb_tension", "ITB tension", False),
    ("erector_spinae", "erector spinae (both sides)", False),
    ("quadratus_lumborum", "quadratus lumborum (both sides)", False),
)


def gait_trial(id_sto, ik_mot, grf_mot, *, model=None, strength: Mapping[str, Any] | None = None,
               side: str = "r", step_pct: float = 2.0, mass_kg: float | None = None,
               compensation="none", criterion: str = "activation_squared",
               progress: bool = False, table=None) -> xr.Dataset:
    """Solve the whole stance phase of a walking trial.

    Parameters
    ----------
    id_sto, ik_mot, grf_mot : str or pathlib.Path
        OpenSim inverse dynamics (moments [N m]), inverse kinematics (angles)
        and ground reactions (both feet: forces [N], centres of pressure [m]).
    model : pelvisim.Model, optional
        Default: the shipped model at the trial's body mass.
    strength : mapping, optional
        Group or muscle -> strength factor in [0, 1], or a list of factors
        (a sweep dimension, e.g. ``{"gluteus_medius": [1.0, 0.5, 0.25]}``).
    side : {"r", "l"}
        Stance leg.
    step_pct : float
        Stance-phase step [%] (must divide 100); one solved point per step.
    mass_kg : float, optional
        Subject mass [kg]; default estimated from the ground reactions.
    compensation, criterion
        As in :func:`pelvisim.sweep`.
    table : pelvisim.gait.GaitTable, optional
        A table already built from the trial (skips reading the files).

    Returns
    -------
    xarray.Dataset
        The sweep result with dimension ``stance_pct`` [%] (and one per swept
        strength factor), plus
        ``other_foot_grf_bw`` / ``stance_foot_grf_bw`` [BW] (vertical reactions;
        the other foot's is 0 in single support); the trial's provenance in
        ``attrs``.
    """
    from .gait import table_from_opensim
    from .model import load_model
    from .sweep import sweep
    from .task_library import task

    if table is None:
        table = table_from_opensim(id_sto, ik_mot, grf_mot, side=side, mass_kg=mass_kg,
                                   step_pct=step_pct)
    if model is None:
        model = load_model(mass_kg=table.mass_kg)
    fixed, swept = {}, {}
    for key, value in dict(strength or {}).items():
        if isinstance(value, (list, tuple, np.ndarray)):
            swept[key] = list(value)
        else:
            fixed[key] = value
    if fixed:
        model = model.with_strength(fixed)
    factors = {"task.stance_pct": [float(p) for p in table.stance_pct], **swept}
    ds = sweep(model, task("gait_stance", side=side, table=table), factors,
               compensation=compensation, criterion=criterion, progress=progress)
    ds = ds.rename({"task_stance_pct": "stance_pct"})
    ds["stance_pct"].attrs.update(units="%", long_name="stance phase (heel strike 0, toe off 100)")
    other = table.columns.get("grf_l_y_bw")
    ds["other_foot_grf_bw"] = ("stance_pct", np.zeros(table.stance_pct.size) if other is None
                               else np.asarray(other, dtype=float))
    ds["other_foot_grf_bw"].attrs.update(
        units="1", display_units="BW",
        long_name="vertical ground reaction on the other foot / body weight (double support > 0)")
    ds["stance_foot_grf_bw"] = ("stance_pct", np.asarray(table.columns["grf_y_bw"], dtype=float))
    ds["stance_foot_grf_bw"].attrs.update(units="1", display_units="BW",
                                          long_name="vertical ground reaction on the stance foot / body weight")
    ds.attrs.update(
        title=f"pelvisim gait trial: {side} stance",
        gait_trial=json.dumps({"id": str(id_sto), "ik": str(ik_mot), "grf": str(grf_mot),
                               "side": side, "step_pct": step_pct}),
        gait_table_source=table.source,
        gait_mass_kg=float(table.mass_kg) if table.mass_kg is not None else -1.0,
        experiment_outputs=",".join(o for o, _, _ in GAIT_OUTPUTS),
    )
    return ds


def _strength_dims(ds) -> list[str]:
    return [d for d in ds.dims if d in ds.coords
            and ds[d].attrs.get("factor_kind") == "strength"]


def plot_gait(ds: xr.Dataset, path=None, *, title: str | None = None):
    """The default walking figure: hip contact force [BW] and the muscle,
    ITB and back-muscle forces [N] over % stance, one line per strength
    condition; the swing-side hip contact dashed, double support shaded,
    infeasible frames (reserve moments needed) marked with red crosses and
    points where the solver did not converge (status != 0) circled.

    Returns the matplotlib Figure (written to ``path`` when given).
    """
    import matplotlib.pyplot as plt

    from .plots import STYLE

    with plt.rc_context(STYLE):
        return _draw_gait(ds, path, title)


def _draw_gait(ds, path, title):
    import matplotlib.pyplot as plt

    from .plots import select_side
    from .results import output

    side = "l" if "side='l'" in ds.attrs.get("task", "") else "r"
    other = "r" if side == "l" else "l"
    x = ds["stance_pct"].values
    sdims = _strength_dims(ds)
    if sdims:
        stacked = ds.stack(_c=sdims)
        conds = [(dict(zip(sdims, np.atleast_1d(c))), ) for c in stacked["_c"].values]
        conds = [c[0] for c in conds]
    else:
        conds = [{}]
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, max(len(conds), 1)))
    fig, axes = plt.subplots(2, 4, figsize=(15, 7), sharex=True)
    axes = axes.ravel()
    double = ds["other_foot_grf_bw"].values > 0.0 if "other_foot_grf_bw" in ds else np.zeros_like(x, bool)
    for k, (name, label, bw) in enumerate(GAIT_OUTPUTS):
        ax = axes[k]
        da = output(ds, name, bw=bw)
        for c, color in zip(conds, colors):
            cond_label = ", ".join(f"{d.replace('_', ' ')} {v:g}" for d, v in c.items()) or "as given"
            sub = da.sel(c) if c else da
            feas = ds["feasible"].sel(c).values if c else ds["feasible"].values
            y = select_side(sub, name, side).values
            ax.plot(x, y, color=color, lw=1.8, label=cond_label)
            if name == "hip_contact_force":
                ax.plot(x, sub.sel(side=other).values, color=color, lw=1.0, ls="--",
                        label="dashed: other (swing) side" if c is conds[-1] else None)
            if np.any(~feas):
                ax.plot(x[~feas], y[~feas], "x", color="red", ms=7, mew=2, zorder=3)
            bad = (ds["status"].sel(c).values if c else ds["status"].values) != 0
            if np.any(bad):
                ax.plot(x[bad], y[bad], "o", mfc="none", mec="k", ms=9, mew=1.5, zorder=3)
        ax.set_title(label + (f" [{'BW' if bw else 'N'}]"))
        ax.set_ylim(bottom=0.0)
        _shade(ax, x, double)
        if k >= 3:
            ax.set_xlabel("stance [%]")
    handles, labels = axes[0].get_legend_handles_labels()
    if not ds["feasible"].all():
        handles.append(plt.Line2D([], [], ls="none", marker="x", color="red", ms=7, mew=2))
        labels.append("infeasible (reserve moments)")
    if (ds["status"] != 0).any():
        handles.append(plt.Line2D([], [], ls="none", marker="o", mfc="none", mec="k", ms=9))
        labels.append("solver did not converge")
    axes[0].legend(handles, labels, fontsize=8, loc="upper left")
    # last panel: the ground reactions that load the model
    ax = axes[7]
    ax.set_title("vertical ground reaction [BW]")
    if "stance_foot_grf_bw" in ds:
        ax.plot(x, ds["stance_foot_grf_bw"].values, color="k", label="stance foot")
    if "other_foot_grf_bw" in ds:
        ax.plot(x, ds["other_foot_grf_bw"].values, color="0.4", ls="--", label="other foot")
    ax.set_xlabel("stance [%]")
    _shade(ax, x, double)
    ax.legend(fontsize=8)
    n_inf = int((~ds["feasible"]).sum())
    n_bad = int((ds["status"] != 0).sum())
    fig.suptitle(title or f"{ds.attrs.get('title', 'gait')}; shaded = double support; "
                 f"{n_inf}/{ds['feasible'].size} points infeasible"
                 + (f", {n_bad} not converged" if n_bad else ""),
                 fontsize=11)
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
    return fig


def _shade(ax, x, mask):
    """Shade the x ranges where ``mask`` holds."""
    if not np.any(mask):
        return
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        ax.axvspan(x[a], x[b - 1], color="0.85", alpha=0.6, lw=0, zorder=0)
