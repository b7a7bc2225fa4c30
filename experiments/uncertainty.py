"""uncertainty.toml through the Python API: bands (Latin hypercube) and Sobol indices.

The Sobol design has 1,024 base samples (pelvisim.sensitivity.SOBOL_MIN_N):
6,144 points per strength level, about 2-3 minutes per level on 2 cores."""
import numpy as np

import pelvisim
from pelvisim import plots, results, sampling
from pelvisim.sweep import sensitivity, sweep

model = pelvisim.load_model()
task = pelvisim.task("single_leg_stance")
uncertain = {"param.specific_tension_n_per_cm2": (45.0, 90.0),
             "body.mass_kg": sampling.Normal(75.0, 10.0, 50.0, 100.0),
             "param.itb_gluteus_maximus_fraction": (0.5, 0.9),
             "param.frontal_orientation_weight": (1.0, 5.0)}
outputs = ["tfl", "itb_tension", "quadratus_lumborum", "erector_spinae", "hip_contact_force_bw"]
bands = sweep(model, task, {"gluteus_medius": np.linspace(1.0, 0.1, 7), **uncertain},
              sampler="lhs", n=24, seed=20240501, compensation="optimal")
results.save(bands, "results/api_uncertainty/bands.nc")
plots.bands(bands, outputs, "results/api_uncertainty/bands.png")
sob = sweep(model, task, {"gluteus_medius": [1.0, 0.5, 0.2], **uncertain}, sampler="sobol", n=1024,
            seed=20240502, compensation="optimal")
indices = sensitivity(sob, ["itb_tension", "tfl", "hip_contact_force_bw"])
plots.sobol_bars(indices.sel(output=[o for o in indices.output.values if o.endswith("_r")]),
                 "results/api_uncertainty/sobol.png")
print(indices["ST"].sel(gluteus_medius=0.5).to_pandas().round(2))
