"""Results out: a sweep (or a walking trial run as a sweep) as OpenSim storage files.

For each curve of a result (the ``time_dim`` dimension, ``stance_pct`` for a
gait result, as the rows; one set of files per combination of the other sweep
dimensions) :func:`export_sto` writes, like OpenSim's analyses:

``<prefix>_StaticOptimization_force.sto``
    muscle forces [N] (``gluteus_medius_anterior_r``, ...) and the reserve
    moments [N m] (``<dof>_reserve``), as OpenSim's static optimization writes
    muscle and reserve-actuator forces;
``<prefix>_StaticOptimization_activation.sto``
    muscle activations [-];
``<prefix>_JointReaction_ReactionLoads.sto``
    force on each femoral head in the pelvis frame [N]
    (``hip_r_on_femur_r_in_pelvis_fx``/``fy``/``fz``), its magnitude [N] and [BW],
    ITB tension [N], L5/S1 compression and shears [N];
``<prefix>_posture.sto``
    the posture used [deg] (``inDegrees=yes``).

The ``time`` column holds the ``time_dim`` values (its name and units are in
the header, ``time_column=stance_pct [%]``) or the dataset's ``time``
coordinate [s] along it when there is one. The files follow the OpenSim 4
storage format (``version=1``, ``nRows``, ``nColumns``, ``inDegrees``,
``endheader``, tab-separated) that OpenSim's plotter and
``opensim.TimeSeriesTable`` read; :func:`pelvisim.io.read_opensim_table` reads
them back.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

from .errors import InputFileError
from .io import write_opensim_table

__all__ = ["export_sto", "FILE_KINDS"]

FILE_KINDS = ("StaticOptimization_force", "StaticOptimization_activation",
              "JointReaction_ReactionLoads", "posture")
_OUTPUT_DIMS = ("muscle", "group", "side", "dof", "angle", "axis")


def _label(value) -> str:
    text = format(value, "g") if isinstance(value, (float, np.floating)) else str(value)
    return re.sub(r"[^A-Za-z0-9_.=+-]", "_", text)


def _time_dim(ds, time_dim):
    dims = list(ds["feasible"].dims) if "feasible" in ds else [d for d in ds.dims if d not in _OUTPUT_DIMS]
    if time_dim is not None:
        if time_dim not in dims:
            raise InputFileError(f"export: time_dim: {time_dim!r}: allowed one of the result's sweep dimensions "
                             f"({', '.join(dims) or 'none'})")
        return time_dim, dims
    for name in ("stance_pct", "task_stance_pct"):
        if name in dims:
            return name, dims
    numeric = [d for d in dims if d in ds.coords and ds[d].dtype.kind in "fi"]
    if not numeric:
        raise InputFileError("export: the result has no numeric sweep dimension to use as the time column; "
                         f"its dimensions: {', '.join(dims) or 'none'}")
    return numeric[0], dims


def export_sto(dataset, out_dir, *, prefix: str | None = None, time_dim: str | None = None) -> list[Path]:
    """Write a result as OpenSim storage files (see the module docstring).

    Parameters
    ----------
    dataset : xarray.Dataset
        A sweep result (:func:`pelvisim.sweep`) with muscle-level outputs.
    out_dir : str or pathlib.Path
        Folder for the files (created).
    prefix : str, optional
        File name prefix; default the experiment name in the result, else ``pelvisim``.
    time_dim : str, optional
        Sweep dimension that becomes the rows; default ``stance_pct`` when
        present, else the first numeric sweep dimension.

    Returns
    -------
    list of pathlib.Path
        The files written (four per combination of the other dimensions).

    Raises
    ------
    InputFileError
        No muscle-level outputs, no numeric dimension, an unknown ``time_dim``, or
        a ``time_dim`` whose values do not increase.
    """
    ds = dataset
    if "muscle_force" not in ds or "activation" not in ds:
        raise InputFileError("export: the result has no muscle-level outputs (muscle_force, activation); "
                         "run the sweep with muscle_outputs=True")
    tdim, dims = _time_dim(ds, time_dim)
    others = [d for d in dims if d != tdim]
    out_dir = Path(out_dir)
    prefix = _label(prefix or ds.attrs.get("experiment") or "pelvisim")
    if "time" in ds.coords and ds["time"].dims == (tdim,):
        t = np.asarray(ds["time"].values, float)
        t_note = "time [s] (the result's time coordinate)"
    else:
        t = np.asarray(ds[tdim].values, float) if tdim in ds.coords else np.arange(ds.sizes[tdim], dtype=float)
        t_note = f"{tdim} [{ds[tdim].attrs.get('units', '')}]" if tdim in ds.coords else f"{tdim} index"
    if t.size > 1 and np.any(np.diff(t) <= 0):
        raise InputFileError(f"export: {tdim}: values must increase along the rows to serve as OpenSim time")
    muscles = [str(m) for m in ds["muscle"].values]
    dofs = [str(d) for d in ds["dof"].values]
    sides = [str(s) for s in ds["side"].values]
    angles = [str(a) for a in ds["angle"].values]
    files = []
    for combo in itertools.product(*(range(ds.sizes[d]) for d in others)):
        sub = ds.isel({d: i for d, i in zip(others, combo)}).transpose(tdim, ...)
        fixed = {d: sub[d].values.item() if d in sub.coords else i for d, i in zip(others, combo)}
        suffix = "".join(f"_{_label(d)}={_label(v)}" for d, v in fixed.items())
        meta = {"time_column": t_note, "source": "pelvisim", "task": ds.attrs.get("task", ""),
                "pelvisim_version": ds.attrs.get("pelvisim_version", "")}
        meta.update({f"fixed_{_label(d)}": _label(v) for d, v in fixed.items()})
        meta = {k: " ".join(str(v).split()) for k, v in meta.items()}

        def write(kind, cols, values, degrees=False, name=None):
            path = out_dir / f"{prefix}{suffix}_{kind}.sto"
            data = np.column_stack([t] + [np.asarray(v, float).reshape(t.size) for v in values])
            files.append(write_opensim_table(path, ["time"] + cols, data, name=name or kind.replace("_", " "),
                                             in_degrees=degrees, metadata=meta))

        force = sub["muscle_force"].transpose(tdim, "muscle").values
        reserve = sub["reserve"].transpose(tdim, "dof").values
        write("StaticOptimization_force", muscles + [f"{d}_reserve" for d in dofs],
              [force[:, k] for k in range(len(muscles))] + [reserve[:, k] for k in range(len(dofs))],
              name="Static Optimization")
        act = sub["activation"].transpose(tdim, "muscle").values
        write("StaticOptimization_activation", muscles, [act[:, k] for k in range(len(muscles))],
              name="Static Optimization")
        cols, vals = [], []
        vec = sub["hip_contact_vector"].transpose(tdim, "side", "axis").values
        for j, s in enumerate(sides):
            for k, ax in enumerate("xyz"):
                cols.append(f"hip_{s}_on_femur_{s}_in_pelvis_f{ax}")
                vals.append(vec[:, j, k])
        for name in ("hip_contact_force", "hip_contact_force_bw", "itb_tension"):
            v = sub[name].transpose(tdim, "side").values
            for j, s in enumerate(sides):
                cols.append(f"{name}_{s}")
                vals.append(v[:, j])
        for name in ("l5s1_compression", "l5s1_shear_ap", "l5s1_shear_lat"):
            cols.append(name)
            vals.append(sub[name].values)
        write("JointReaction_ReactionLoads", cols, vals, name="Joint Reaction Analysis")
        post = sub["posture"].transpose(tdim, "angle").values
        write("posture", [a[:-4] if a.endswith("_deg") else a for a in angles],
              [post[:, k] for k in range(len(angles))], degrees=True, name="pelvisim posture")
    return files
