"""deep_rotator_weakness.toml through the Python API."""
import numpy as np

import pelvisim
from pelvisim import plots, results
from pelvisim.sweep import sweep

model = pelvisim.load_model()
task = pelvisim.task("gait_stance", stance_pct=94.0)
ds = sweep(model, task, {"deep_rotators": np.linspace(1.0, 0.1, 10)})
results.save(ds, "results/api_deep_rotator_weakness/gait_stance.nc")
plots.curves(ds, ["deep_rotators", "gluteus_maximus", "gluteus_medius_posterior", "itb_tension"],
             "results/api_deep_rotator_weakness/gait_stance_curves.png")
print(ds["group_force"].sel(side="r").to_pandas().round(1))
