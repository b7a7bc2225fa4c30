"""Sobol' sensitivity indices of a ``sampler="sobol"`` sweep (SALib).

Sample sizes
------------
The indices are estimates whose error falls like 1/sqrt(n) in the base sample
size ``n`` (the design has ``n * (d + 2)`` points for ``d`` sampled factors).
On the Ishigami function (known indices; ``benchmarks/sobol_convergence.py``
and ``tests/test_sensitivity.py``) this design and SALib's estimator give,
worst of 5 seeds:

======  ==========  ==========  ===========  ===========
n       max S1 err  max ST err  max S1 conf  max ST conf
======  ==========  ==========  ===========  ===========
32      0.31        0.18        0.53         0.53
128     0.14        0.16        0.22         0.28
512     0.10        0.05        0.09         0.14
1024    0.015       0.012       0.07         0.10
4096    0.003       0.001       0.03         0.05
======  ==========  ==========  ===========  ===========

so below ``SOBOL_MIN_N = 1024`` base samples an index can be off by 0.1 or
more and first-order indices may exceed total ones. :func:`sensitivity` warns
(:class:`SobolSizeWarning`) below it, and experiment files refuse a Sobol'
analysis below it. The minimum does not grow with the number of factors (the
design already adds ``n`` points per factor); it is about the accuracy per
index (0.02 on Ishigami, confidence half-widths <= 0.1).

Indices are computed per level of every other factor dimension of the sweep
(e.g. per strength level), never averaged over it.
"""
from __future__ import annotations

import difflib
import json
import warnings

import numpy as np

import xarray as xr

from .conventions import dim_name
from .errors import ExperimentError

from . import sampling

__all__ = ["sensitivity", "sobol_indices_of", "ishigami_indices", "SOBOL_MIN_N",
           "SobolSizeWarning"]

SOBOL_MIN_N = 1024  # base samples for indices within about 0.05 (see the module docstring)


class SobolSizeWarning(UserWarning):
    """A Sobol' analysis with fewer base samples than SOBOL_MIN_N."""


def ishigami_indices(a: float = 7.0, b: float = 0.1):
    """Analytic first-order and total indices of the Ishigami function
    ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` on [-pi, pi]^3 (Ishigami & Homma
    1990; Saltelli et al. 2008, section 4.4)."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / var
    st = np.array([v1 + v13, v2, v13]) / var
    return s1, st


def sobol_indices_of(y, d: int, *, names=None, num_resamples: int = 100,
                     conf_level: float = 0.95, seed=0) -> dict:
    """S1, S1_conf, ST, ST_conf [1] of outputs ``y`` on a design of
    :func:`pelvisim.sampling.sobol` with ``d`` factors (SALib's estimator,
    bootstrap confidence half-widths at ``conf_level``)."""
    from SALib.analyze import sobol as salib_sobol

    y = np.ascontiguousarray(y, dtype=float)
    problem = sampling.sobol_problem(d, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = salib_sobol.analyze(problem, y, calc_second_order=False,
                                  num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    return {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def sensitivity(dataset: xr.Dataset, outputs=("hip_contact_force_bw", "itb_tension",
                                             "l5s1_compression"), *, num_resamples: int = 100,
                conf_level: float = 0.95, seed=0, min_n: int = SOBOL_MIN_N) -> xr.Dataset:
    """First-order and total Sobol' indices of a ``sampler="sobol"`` sweep (SALib).

    Parameters
    ----------
    dataset : result of :func:`pelvisim.sweep` with ``sampler="sobol"``
    outputs : names of data variables (a ``side`` dimension gives one output
        per side, ``<name>_r`` / ``<name>_l``) or muscle group names (their
        ``group_force`` per side, ``<group>_r`` / ``<group>_l``)
    min_n : base sample size below which a :class:`SobolSizeWarning` is issued

    Returns
    -------
    xarray.Dataset with ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` [1] over
    (``output``, ``factor``, every other factor dimension of the sweep, e.g.
    the strength levels); attrs ``sobol_base_n``, ``conf_level``,
    ``converged`` (1 when n >= min_n), ``infeasible_points``.
    """
    if dataset.attrs.get("sampler") != "sobol":
        raise ExperimentError(f"sensitivity: the sweep used sampler {dataset.attrs.get('sampler')!r}: "
                         f"allowed only sobol")
    spelled = json.loads(dataset.attrs["sampled_factors"])
    names = [dim_name(n) for n in spelled]  # their variables in the dataset
    d = len(names)
    n_base = dataset.sizes["sample"] // (d + 2)
    if n_base < min_n:
        warnings.warn(f"sensitivity: {n_base} base samples (below {min_n}): Sobol indices may "
                      f"be off by more than 0.05 and S1 may exceed ST; use sampler n >= {min_n}",
                      SobolSizeWarning, stacklevel=2)
    series = {}
    for out in outputs:
        if out in dataset.data_vars:
            da = dataset[out]
        elif "group" in dataset.coords and out in dataset["group"].values:
            da = dataset["group_force"].sel(group=out)
        else:
            allowed = list(dataset.data_vars) + list(dataset["group"].values)
            close = difflib.get_close_matches(out, allowed, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ExperimentError(f"sensitivity: output {out!r}: allowed a data variable or a muscle "
                             f"group{hint}")
        if "side" in da.dims:
            for s in da["side"].values:
                series[f"{out}_{s}"] = da.sel(side=s).drop_vars("side")
        else:
            series[out] = da
    results = []
    for label, da in series.items():
        other = [k for k in da.dims if k != "sample"]
        stacked = da.transpose(*other, "sample")
        flat = stacked.values.reshape(-1, stacked.sizes["sample"])
        S = np.full((4, flat.shape[0], d), np.nan)
        for i, y in enumerate(flat):
            if np.ptp(y) <= 1e-12 * max(1.0, np.abs(y).max()):
                S[:, i] = 0.0  # constant output: no variance to apportion
                continue
            r = sobol_indices_of(y, d, names=names, num_resamples=num_resamples,
                                 conf_level=conf_level, seed=seed)
            S[:, i] = [r["S1"], r["S1_conf"], r["ST"], r["ST_conf"]]
        shape = tuple(stacked.sizes[k] for k in other)
        coords = {k: (k, stacked[k].values, stacked[k].attrs) for k in other}
        ds = xr.Dataset({k: (other + ["factor"], S[j].reshape(shape + (d,)))
                         for j, k in enumerate(("S1", "S1_conf", "ST", "ST_conf"))},
                        coords={**coords, "factor": names, "factor_name": ("factor", spelled)})
        results.append(ds.expand_dims(output=[label]))
    ds = xr.concat(results, dim="output")
    ds["factor"].attrs.update(long_name="sampled factor (its variable in the sweep result)")
    ds["factor_name"].attrs.update(long_name="sampled factor as spelled in the sweep")
    ds["output"].attrs.update(long_name="output (_r/_l: side)")
    for k, ln in (("S1", "first-order Sobol index"), ("S1_conf", "S1 confidence half-width"),
                  ("ST", "total Sobol index"), ("ST_conf", "ST confidence half-width")):
        ds[k].attrs.update(units="1", long_name=ln)
    ds.attrs.update({k: v for k, v in dataset.attrs.items()})
    ds.attrs.update(conf_level=float(conf_level), sobol_base_n=int(n_base),
                    sobol_min_n=int(min_n), converged=int(n_base >= min_n),
                    infeasible_points=int((~dataset["feasible"]).sum()))
    return ds
