"""Sobol' indices (pelvisim.sensitivity) against the Ishigami function's
analytic indices (Ishigami & Homma 1990; Saltelli et al. 2008, section 4.4)."""
import warnings

import numpy as np
import pytest

from pelvisim import sampling
from pelvisim.sensitivity import (SOBOL_MIN_N, SobolSizeWarning, ishigami_indices,
                                  sensitivity, sobol_indices_of)


def _ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_analytic_ishigami_indices():
    s1, st = ishigami_indices()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-4)   # Saltelli 2008 table
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-4)


def _estimate(n, seed):
    x = sampling.sobol([sampling.Uniform(-np.pi, np.pi)] * 3, n, seed=seed)
    return sobol_indices_of(_ishigami(x), 3, seed=seed)


def test_converges_at_the_documented_minimum():
    """At SOBOL_MIN_N base samples every index is within 0.03 of the analytic
    value and its 95 % interval covers it (3 seeds); the error at 1/8 of that
    is several times larger (the convergence the minimum rests on)."""
    s1, st = ishigami_indices()
    big, small = [], []
    for seed in range(3):
        r = _estimate(SOBOL_MIN_N, seed)
        err = np.abs(np.r_[r["S1"] - s1, r["ST"] - st])
        big.append(err.max())
        conf = np.r_[r["S1_conf"], r["ST_conf"]]
        assert np.all(err <= conf + 0.01), (seed, err, conf)
        assert np.all(r["S1"] <= r["ST"] + 0.03)
        rs = _estimate(SOBOL_MIN_N // 8, seed)
        small.append(np.abs(np.r_[rs["S1"] - s1, rs["ST"] - st]).max())
    assert max(big) < 0.03
    assert np.mean(small) > 2 * np.mean(big)


def test_small_design_warns(model):
    import pelvisim

    from pelvisim.sweep import sweep  # pelvisim.sweep is the module once anyone imported it

    ds = sweep(model, pelvisim.task("single_leg_stance"),
                        {"body.mass_kg": (60.0, 90.0), "param.itb_gluteus_maximus_fraction":
                         (0.5, 0.9)}, sampler="sobol", n=8, seed=1, progress=False)
    with pytest.warns(SobolSizeWarning, match=f"n >= {SOBOL_MIN_N}"):
        idx = sensitivity(ds, ["itb_tension"])
    assert idx.attrs["converged"] == 0 and idx.attrs["sobol_base_n"] == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sensitivity(ds, ["itb_tension"], min_n=8)
