"""Extreme but valid inputs give finite outputs and honest feasibility flags."""
import numpy as np
import pytest

import pelvisim
from pelvisim.model import TIGHTNESS_MAX_DEG, TIGHTNESS_TESTS
from pelvisim.recruitment import SolverOptions
from pelvisim.sweep import sweep
from pelvisim.task_library import _SPECS

ALL = "+".join(pelvisim.load_model().groups)
TIGHT = "+".join(TIGHTNESS_TESTS)


def _bounds(name):
    """Every numeric task parameter at both ends of its allowed range; string
    choices at each value."""
    out = {}
    for key, allowed in _SPECS[name]["ranges"].items():
        if allowed is None:
            continue
        out[f"task.{key}"] = list(allowed)
    return out


@pytest.mark.parametrize("name", list(_SPECS))
def test_extreme_inputs_finite_and_honest(model, name):
    factors = {**_bounds(name), "body.mass_kg": [40.0, 150.0], "body.height_m": [1.40, 2.10],
               ALL: [1.0, 0.01], f"tightness.{TIGHT}": [0.0, TIGHTNESS_MAX_DEG],
               "compensation": ["none", "optimal"]}
    ds = sweep(model, pelvisim.task(name), factors, progress=False, seed=0)
    for k in ds.data_vars:
        if ds[k].dtype.kind == "f":
            assert np.isfinite(ds[k].values).all(), f"{name}: {k} not finite"
    tol = SolverOptions().feasibility_tol
    largest = np.abs(ds["reserve"]).max("dof")
    # the flag says exactly whether the muscles did the task without reserves
    assert ((largest <= tol) == ds["feasible"]).all()
    # activations stay in [0, 1] everywhere
    act = ds["activation"].values
    assert act.min() >= -1e-12 and act.max() <= 1 + 1e-9
