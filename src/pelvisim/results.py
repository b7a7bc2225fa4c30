"""Sweep results on disk: NetCDF with provenance, and tidy CSV for spreadsheets."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import ExperimentError, InputFileError, MissingFileError

__all__ = ["save", "load", "to_tidy_csv", "tidy", "GROUP_LEVEL", "compensation_at_bound",
           "at_bound_text", "MAX_CSV_MUSCLE_ROWS", "atomic_path"]

# Outputs written by :func:`to_tidy_csv`, one row per point and item (group,
# muscle, DOF or posture angle) and side; muscle forces too when the table
# stays below MAX_CSV_MUSCLE_ROWS rows of them (always in the NetCDF file).
GROUP_LEVEL = ("group_force", "group_force_bw", "itb_tension", "itb_tension_bw",
               "hip_contact_force", "hip_contact_force_bw", "l5s1_compression",
               "l5s1_compression_bw", "l5s1_shear_ap", "l5s1_shear_lat", "ground_pair_force",
               "reserve", "posture", "objective")
MAX_CSV_MUSCLE_ROWS = 500_000
_ITEM_DIMS = ("group", "muscle", "dof", "angle")


def _engine() -> str:
    try:
        import netCDF4  # noqa: F401
        return "netcdf4"
    except ImportError:  # pragma: no cover
        return "h5netcdf"


def _clean_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = int(v)
        elif isinstance(v, (str, int, float, np.integer, np.floating)):
            out[k] = v
        elif v is None:
            out[k] = ""
        else:
            out[k] = str(v)
    return out


def save(dataset: xr.Dataset, path) -> Path:
    """Write a sweep to NetCDF (``netcdf4`` engine, compressed).

    Attributes are made serialisable (strings and numbers); string coordinates
    are stored as variable-length strings.

    Returns
    -------
    pathlib.Path of the file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = dataset.copy()
    ds.attrs = _clean_attrs(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = _clean_attrs(ds[name].attrs)
    engine = _engine()
    encoding = {}
    for name, var in ds.data_vars.items():
        if var.dtype.kind in "fiub" and var.size > 0:
            encoding[name] = {"zlib": True, "complevel": 4} if engine == "netcdf4" else \
                {"compression": "gzip"}
    with interrupts_deferred(), atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine=engine, encoding=encoding)
    return path


@contextlib.contextmanager
def interrupts_deferred():
    """Ctrl-C (SIGINT) in the block takes effect when the block ends.

    A KeyboardInterrupt raised inside the netCDF library's write leaves
    xarray's HDF5 lock held, and closing the file then waits on it for ever
    (seen as a hung ``pelvisim run`` after Ctrl-C). Only the main thread can
    set signal handlers; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            if callable(previous):
                previous(signal.SIGINT, pending[0])
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def atomic_path(path):
    """A temporary name beside ``path``, renamed onto it (``os.replace``) only
    when the block finishes: a reader never sees a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load(path) -> xr.Dataset:
    """Read a sweep written by :func:`save` (fully loaded into memory)."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: <file>: results file not found")
    if not path.is_file():
        raise InputFileError(f"{path}: <file>: is a folder: allowed a results .nc file")
    try:
        with xr.open_dataset(path, engine=_engine()) as ds:
            ds = ds.load()
    except Exception as exc:  # noqa: BLE001
        # only the NetCDF/HDF5 readers run here, and for a file that is not NetCDF
        # or is damaged they raise OSError, ValueError, RuntimeError, KeyError,
        # AttributeError ("Can't open HDF5 attribute"), MemoryError, ...
        raise InputFileError(f"{path}: <file>: not a pelvisim result (not a readable NetCDF file: "
                             f"{' '.join(str(exc).split())[:120]}): allowed a .nc file written "
                             f"by pelvisim run") from None
    missing = [k for k in _REQUIRED if k not in ds.variables]
    if "pelvisim_version" not in ds.attrs or missing:
        what = f"no variable {missing[0]!r}" if missing else "no pelvisim_version attribute"
        raise InputFileError(f"{path}: <file>: not a pelvisim result ({what}): allowed a .nc "
                             f"file written by pelvisim run")
    return ds


# variables every pelvisim result has (load checks them)
_REQUIRED = ("feasible", "status", "reserve", "dof", "group", "side", "muscle", "group_force",
             "body_weight", "posture", "angle", "itb_tension", "hip_contact_force",
             "l5s1_compression")


def tidy(dataset: xr.Dataset):
    """Outputs in long format (a pandas DataFrame), every row saying its condition.

    Columns: one per sweep dimension/factor; ``feasible`` (1 when the muscles
    do the task at that point, 0 when reserve moments help: the row's value is
    then not a result); ``compensation_at_bound`` (e.g. ``pelvic_list lower``,
    empty when inside the bounds); then ``quantity``, ``item`` (group, muscle,
    DOF or posture angle; ``-`` when none), ``side``, ``value``, ``unit``.
    """
    import pandas as pd

    point = _point_table(dataset)
    keys = [c for c in point.columns if c not in ("feasible", "compensation_at_bound")]
    names = list(GROUP_LEVEL)
    if "muscle_force" in dataset and \
            dataset["muscle_force"].size <= MAX_CSV_MUSCLE_ROWS:
        names.append("muscle_force")
    frames = []
    for name in names:
        if name not in dataset:
            continue
        da = dataset[name]
        df = da.to_dataframe(name="value").reset_index()
        df = df.drop(columns=[c for c in df.columns if c not in da.dims and c != "value"
                              and c not in _point_coords(dataset)], errors="ignore")
        item = [d for d in _ITEM_DIMS if d in da.dims]
        df = df.rename(columns={item[0]: "item"}) if item else df.assign(item="-")
        df.insert(len(df.columns) - 1, "quantity", name)
        if "side" not in df:
            df["side"] = "-"
        df["unit"] = display_units(da)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out = out.merge(point, on=keys, how="left") if keys else \
        out.assign(**{c: point[c].iloc[0] for c in point.columns})
    lead = keys + ["feasible", "compensation_at_bound"]
    return out[lead + ["quantity", "item", "side", "value", "unit"]]


def _point_table(dataset):
    """One row per point: its factor values, feasibility and compensation flags."""
    feas = dataset["feasible"]
    df = feas.astype(int).to_dataframe(name="feasible").reset_index()
    df = df.drop(columns=[c for c in df.columns if c not in feas.dims and c != "feasible"
                          and c not in _point_coords(dataset)], errors="ignore")
    df["compensation_at_bound"] = at_bound_text(dataset).values.reshape(-1) \
        if feas.ndim else at_bound_text(dataset).item()
    return df


def _point_coords(dataset):
    """Non-index coordinates along the sweep dimensions (sampled factor values)."""
    return [c for c in dataset.coords if c not in dataset.dims
            and c != "muscle_group"]


def compensation_at_bound(dataset: xr.Dataset, model, task) -> xr.DataArray:
    """Per point and compensation angle: -1 at the lower bound of optimal
    compensation, +1 at the upper, 0 inside (or not optimal compensation).

    ``model`` and ``task`` are those the sweep ran (task factors are applied
    per point). Bounds: the parameter file's ``[compensation] bounds_deg``, as
    the solver uses them (:mod:`pelvisim.bounds`).
    """
    from .conventions import COMPENSATION_ANGLES

    feas = dataset["feasible"]
    dims = list(feas.dims)
    flags = np.zeros((feas.size, len(COMPENSATION_ANGLES)), dtype=np.int8)
    optimal = ("optimal" in [str(c) for c in dataset["compensation"].values]
               if "compensation" in dims else dataset.attrs.get("compensation") == "optimal")
    if optimal:
        _flag_bounds(dataset, model, task, dims, flags)
    bounds = model.params.compensation.bounds
    da = xr.DataArray(flags.reshape(feas.shape + (len(COMPENSATION_ANGLES),)),
                      dims=dims + ["compensation_angle"],
                      coords={**{d: dataset[d] for d in dims},
                              "compensation_angle": list(COMPENSATION_ANGLES)})
    da.attrs.update(units="1", long_name="compensation angle at a bound of optimal "
                    "compensation: -1 lower, +1 upper, 0 inside or not optimal",
                    bounds_deg=json.dumps({a: [round(float(np.rad2deg(v)), 6) for v in bounds[a]]
                                           for a in COMPENSATION_ANGLES}),
                    bounds_note="pelvic_list and trunk_lean bound the change from the task's "
                                "posture; pelvic_tilt and lumbar_flexion the absolute angles")
    da["compensation_angle"].attrs.update(long_name="compensation angle "
                                          "(pelvisim.conventions.COMPENSATION_ANGLES)")
    return da


def _flag_bounds(dataset, model, task, dims, flags):
    """Fill ``flags`` (points, angles) of :func:`compensation_at_bound` for
    the points solved with optimal compensation."""
    from .bounds import at_bound, limits
    from .conventions import COMPENSATION_ANGLES, dim_name

    feas = dataset["feasible"]
    flat = feas.stack(_p=dims) if dims else feas.expand_dims(_p=[0])
    post = dataset["posture"]
    post = (post.stack(_p=dims) if dims else post.expand_dims(_p=[0])).transpose("_p", "angle")
    angles = [str(a) for a in dataset["angle"].values]
    facs = json.loads(dataset.attrs.get("factors", "{}"))
    task_f = {dim_name(n): f["target"] for n, f in facs.items() if f["kind"] == "task"}
    if "compensation" in flat.coords and "compensation" in dims:
        comps = [str(c) for c in flat["compensation"].values]
    else:
        comps = [str(dataset.attrs.get("compensation", "none"))] * flat.sizes["_p"]
    cache = {}
    for p, comp in enumerate(comps):
        if comp != "optimal":
            continue
        changes = {t: _scalar(flat[n].values[p]) for n, t in task_f.items()}
        key = tuple(sorted(changes.items()))
        if key not in cache:
            t = task.replace(**changes) if changes else task
            cache[key] = (t, limits(model, t))
        t, lims = cache[key]
        posture = dict(zip(angles, post.values[p].tolist()))
        for b in at_bound(model, t, posture, task_limits=lims):
            flags[p, COMPENSATION_ANGLES.index(b.angle)] = -1 if b.bound == "lower" else 1


def at_bound_text(dataset: xr.Dataset) -> xr.DataArray:
    """Per point: ``"pelvic_list lower; trunk_lean upper"`` or ``""``."""
    feas = dataset["feasible"]
    if "compensation_at_bound" not in dataset:
        return xr.full_like(feas, "", dtype=object)
    flags = dataset["compensation_at_bound"]
    names = [str(a) for a in flags["compensation_angle"].values]
    arr = flags.transpose(*feas.dims, "compensation_angle").values
    flat = arr.reshape(-1, len(names))
    text = np.array(["; ".join(f"{n} {'lower' if v < 0 else 'upper'}"
                               for n, v in zip(names, row) if v) for row in flat], dtype=object)
    return xr.DataArray(text.reshape(feas.shape), dims=feas.dims, coords=feas.coords)


def _scalar(v):
    v = v.item() if hasattr(v, "item") else v
    return v


def to_tidy_csv(dataset: xr.Dataset, path) -> Path:
    """Write :func:`tidy` to CSV (one row per point, output, group and side)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tidy(dataset).to_csv(tmp, index=False, float_format="%.6g")
    return path


def output_names(dataset: xr.Dataset) -> list[str]:
    """Names :func:`output` accepts for ``dataset``."""
    names = [v for v in dataset.data_vars if v not in ("muscle_force", "activation", "posture",
                                                        "group_force", "group_force_bw")]
    names += [str(g) for g in dataset["group"].values]
    names += [str(a) for a in dataset["angle"].values]
    names += sorted({str(m)[:-2] for m in dataset["muscle"].values})
    return names


def display_units(da) -> str:
    """The unit a figure or summary prints for ``da``: ``attrs["display_units"]``
    (``"BW"`` for ratios to body weight, whose CF ``units`` are ``"1"``), else
    ``attrs["units"]`` (``""`` when there is none)."""
    return da.attrs.get("display_units", da.attrs.get("units", ""))


def output(dataset: xr.Dataset, name: str, *, bw: bool = False) -> xr.DataArray:
    """One output of a sweep by name, with ``units`` and ``long_name``.

    ``name`` is a data variable (``itb_tension``), a muscle group (its
    ``group_force``), a muscle or muscle prefix (summed ``muscle_force`` per
    side: ``adductor_magnus``, ``gluteus_medius_posterior``) or a posture angle
    (``pelvic_tilt_deg``). With ``bw=True`` forces are divided by body weight.
    Forces keep a ``side`` dimension.
    """
    if name in dataset.data_vars:
        da = dataset[name]
    elif name in dataset["group"].values:
        da = dataset["group_force"].sel(group=name, drop=True)
        da.attrs = dict(units="N", long_name=f"{name.replace('_', ' ')} force")
    elif name in dataset["angle"].values:
        da = dataset["posture"].sel(angle=name, drop=True)
        da.attrs = dict(units="deg", long_name=name[:-4].replace("_", " "))
    else:
        muscles = [str(m) for m in dataset["muscle"].values]
        sel = [m for m in muscles if m[:-2] == name or m[:-2].startswith(name + "_")]
        if not sel:
            import difflib

            close = difflib.get_close_matches(name, output_names(dataset), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ExperimentError(f"output: {name!r}: allowed a data variable, muscle group, muscle "
                             f"or posture angle{hint}")
        if "muscle_force" not in dataset:
            raise ExperimentError(f"output: {name!r}: a muscle output, but the results hold no "
                                  f"muscle_force (swept with muscle_outputs=False): allowed a "
                                  f"data variable, muscle group or posture angle")
        f = dataset["muscle_force"].sel(muscle=sel)
        side = xr.DataArray([m[-1] for m in sel], dims="muscle", coords={"muscle": sel})
        da = f.groupby(side.rename("side")).sum("muscle").reindex(side=list(dataset["side"].values))
        da.attrs = dict(units="N", long_name=f"{name.replace('_', ' ')} force")
    if bw and da.attrs.get("units") == "N":
        attrs = dict(da.attrs, units="1", display_units="BW",
                     long_name=da.attrs.get("long_name", name) + " / body weight")
        da = da / dataset["body_weight"]
        da.attrs = attrs
    return da
