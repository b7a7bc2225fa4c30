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
               "l5s1_compression_bw", "l5s1_shear_ap", "l5s1_shear_lat", "feasible")


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


def tidy(dataset: xr.Dataset):
    """Group-level outputs in long format (a pandas DataFrame).

    Columns: one per sweep dimension/factor, then ``quantity``, ``group``,
    ``side``, ``value``, ``unit``.
    """
    import pandas as pd

    frames = []
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
    lead = [c for c in out.columns if c not in ("quantity", "group", "side", "value", "unit")]
    return out[lead + ["quantity", "group", "side", "value", "unit"]]


def _point_coords(dataset):
    """Non-index coordinates along the sweep dimensions (sampled factor values)."""
    return [c for c in dataset.coords if c not in dataset.dims
            and c != "muscle_group"]


def to_tidy_csv(dataset: xr.Dataset, path) -> Path:
    """Write :func:`tidy` to CSV (one row per point, output, group and side)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tidy(dataset).to_csv(path, index=False, float_format="%.6g")
    return path
