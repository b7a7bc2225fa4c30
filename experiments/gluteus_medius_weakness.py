"""gluteus_medius_weakness.toml through the Python API (same sweep, same figures)."""
import numpy as np

import pelvisim
from pelvisim import plots, results
from pelvisim.sweep import sweep

model = pelvisim.load_model()
factors = {"gluteus_medius+gluteus_minimus": np.linspace(1.0, 0.1, 10),
           "compensation": ["none", "optimal"]}
outputs = ["tfl", "itb_tension", "quadratus_lumborum", "erector_spinae", "hip_contact_force"]
for label, task in (("single_leg_stance", pelvisim.task("single_leg_stance")),
                    ("walking_stance", pelvisim.task("gait_stance", stance_pct=25.0))):
    ds = sweep(model, task, factors)
    results.save(ds, f"results/api_gluteus_medius_weakness/{label}.nc")
    plots.curves(ds, outputs, f"results/api_gluteus_medius_weakness/{label}_curves.png")
    plots.abductor_share(ds, f"results/api_gluteus_medius_weakness/{label}_abductor_share.png")
    print(label, ds["itb_tension"].sel(side="r").to_pandas().round(1), sep="\n")
