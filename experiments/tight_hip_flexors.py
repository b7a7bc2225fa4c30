"""tight_hip_flexors.toml through the Python API."""
import numpy as np

import pelvisim
from pelvisim import plots, results
from pelvisim.sweep import sweep

model = pelvisim.load_model()
ds = sweep(model, pelvisim.task("standing"),
           {"tightness.hip_flexors": np.linspace(0.0, 20.0, 11),  # [deg] lost hip extension
            "compensation": ["none", "optimal"]})
results.save(ds, "results/api_tight_hip_flexors/standing.nc")
plots.curves(ds, ["l5s1_shear_ap", "l5s1_compression", "hip_flexors"],
             "results/api_tight_hip_flexors/standing_curves.png")
print(ds["posture"].sel(angle="pelvic_tilt_deg").to_pandas().round(2))
