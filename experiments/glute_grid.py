"""glute_grid.toml through the Python API."""
import numpy as np

import pelvisim
from pelvisim import plots, results
from pelvisim.sweep import sweep

model = pelvisim.load_model()
task = pelvisim.task("single_leg_stance")
ds = sweep(model, task, {"gluteus_medius": np.linspace(1.0, 0.1, 10),
                         "gluteus_maximus": np.linspace(1.0, 0.1, 10)})
results.save(ds, "results/api_glute_grid/single_leg_stance.nc")
for name in ("quadratus_lumborum", "erector_spinae", "itb_tension"):
    plots.heatmap(ds, name, f"results/api_glute_grid/heatmap_{name}.png")
