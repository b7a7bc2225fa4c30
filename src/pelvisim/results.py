"""Sweep results on disk: NetCDF with provenance, and tidy CSV for spreadsheets."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["save", "load", "to_tidy_csv", "tidy", "GROUP_LEVEL"]

# Group-level outputs written by :func:`to_tidy_csv` (the muscle-level ones are
# in the NetCDF file).
GROUP_LEVEL = ("group_force", "group_force_bw", "itb_tension", "itb_tension_bw",
               "hip_contact_force", "hip_contact_force_bw", "l5s1_compression",
               "l5s1_compression_bw", "l5s1_shear_ap", "l5s1_shear_lat", "ground_pair_force",
               "feasible")


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
    ds.to_netcdf(path, engine=engine, encoding=encoding)
    return path


def load(path) -> xr.Dataset:
    """Read a sweep written by :func:`save` (fully loaded into memory)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results file {str(path)!r} not found")
    with xr.open_dataset(path, engine=_engine()) as ds:
        return ds.load()


def tidy(dataset: xr.Dataset, *, muscles: bool = False, posture: bool = False, reserves: bool = False):
    """Group-level outputs in long format (a pandas DataFrame).

    Columns: one per sweep dimension/factor, then ``quantity``, ``group``,
    ``side``, ``value``, ``unit``. Opt-in rows (and an ``item`` column, ``-`` on
    group-level rows): ``muscles`` adds ``muscle_force`` [N] and ``activation``
    [1] per muscle (``item`` = muscle without side), ``posture`` the posture used
    (quantity ``posture``, ``item`` = angle, [deg]), ``reserves`` the reserve
    moments (quantity ``reserve``, ``item`` = degree of freedom, [N m]).
    """
    import pandas as pd

    frames = _opt_in(dataset, muscles, posture, reserves)
    for name in GROUP_LEVEL:
        if name not in dataset:
            continue
        da = dataset[name]
        df = da.to_dataframe(name="value").reset_index()
        df = df.drop(columns=[c for c in df.columns if c not in da.dims and c != "value"
                              and c not in _point_coords(dataset)], errors="ignore")
        if name == "feasible":
            df["value"] = df["value"].astype(int)
        df.insert(len(df.columns) - 1, "quantity", name)
        if "group" not in df:
            df["group"] = "-"
        if "side" not in df:
            df["side"] = "-"
        df["unit"] = da.attrs.get("units", "")
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    tail = ["quantity", "group", "side"] + (["item"] if "item" in out else []) + ["value", "unit"]
    if "item" in out:
        out["item"] = out["item"].fillna("-")
    lead = [c for c in out.columns if c not in tail]
    return out[lead + tail]


def _opt_in(dataset, muscles, posture, reserves) -> list:
    """Long-format frames of the opt-in muscle, posture and reserve rows of :func:`tidy`."""
    frames = []
    wanted = [("muscle_force", "muscle")] * muscles + [("activation", "muscle")] * muscles + \
        [("posture", "angle")] * posture + [("reserve", "dof")] * reserves
    for name, dim in wanted:
        if name not in dataset:
            raise ValueError(f"tidy: {name!r} is not in the results (a sweep run with muscle_outputs=False?)")
        da = dataset[name]
        df = da.to_dataframe(name="value").reset_index()
        keep = list(da.dims) + _point_coords(dataset) + ["value"]
        df = df[[c for c in df.columns if c in keep]]
        if dim == "muscle":
            names = df.pop("muscle").astype(str)
            df["group"] = names.map(dict(zip(map(str, dataset["muscle"].values),
                                             map(str, dataset["muscle_group"].values))))
            df["side"], df["item"] = names.str[-1], names.str[:-2]
        else:
            df["item"], df["group"], df["side"] = df.pop(dim).astype(str), "-", "-"
        df.insert(len(df.columns) - 1, "quantity", name)
        df["unit"] = da.attrs.get("units", "")
        frames.append(df)
    return frames


def _point_coords(dataset):
    """Non-index coordinates along the sweep dimensions (sampled factor values)."""
    return [c for c in dataset.coords if c not in dataset.dims
            and c != "muscle_group"]


def to_tidy_csv(dataset: xr.Dataset, path, *, muscles: bool = False, posture: bool = False,
                reserves: bool = False) -> Path:
    """Write :func:`tidy` to CSV (one row per point, output, group and side; opt-in
    muscle, posture and reserve rows as in :func:`tidy`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tidy(dataset, muscles=muscles, posture=posture, reserves=reserves).to_csv(
        path, index=False, float_format="%.6g")
    return path


def output_names(dataset: xr.Dataset) -> list[str]:
    """Names :func:`output` accepts for ``dataset``."""
    names = [v for v in dataset.data_vars if v not in ("muscle_force", "activation", "posture",
                                                        "group_force", "group_force_bw")]
    names += [str(g) for g in dataset["group"].values]
    names += [str(a) for a in dataset["angle"].values]
    names += sorted({str(m)[:-2] for m in dataset["muscle"].values})
    return names


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
            raise ValueError(f"output: {name!r}: allowed a data variable, muscle group, muscle "
                             f"or posture angle{hint}")
        f = dataset["muscle_force"].sel(muscle=sel)
        side = xr.DataArray([m[-1] for m in sel], dims="muscle", coords={"muscle": sel})
        da = f.groupby(side.rename("side")).sum("muscle").reindex(side=list(dataset["side"].values))
        da.attrs = dict(units="N", long_name=f"{name.replace('_', ' ')} force")
    if bw and da.attrs.get("units") == "N":
        attrs = dict(da.attrs, units="BW", long_name=da.attrs.get("long_name", name) + " / BW")
        da = da / dataset["body_weight"]
        da.attrs = attrs
    return da
