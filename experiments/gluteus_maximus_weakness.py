"""gluteus_maximus_weakness.toml through the Python API."""
import numpy as np

import pelvisim
from pelvisim import plots, results
from pelvisim.sweep import sweep

model = pelvisim.load_model()
task = pelvisim.task("forward_bend", trunk_flexion_deg=40.0, hand_distance_m=0.3)
ds = sweep(model, task, {"gluteus_maximus": np.linspace(1.0, 0.1, 10),
                         "task.hand_load_kg": [0.0, 10.0], "compensation": ["none", "optimal"]})
results.save(ds, "results/api_gluteus_maximus_weakness/forward_bend.nc")
plots.curves(ds, ["hamstrings", "adductor_magnus", "erector_spinae", "l5s1_compression"],
             "results/api_gluteus_maximus_weakness/forward_bend_curves.png")
print(ds["l5s1_compression"].to_pandas().round(0))
