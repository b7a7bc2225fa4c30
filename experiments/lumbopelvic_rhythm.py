"""lumbopelvic_rhythm.toml through the Python API."""
import numpy as np

import pelvisim
from pelvisim import results
from pelvisim.sweep import sweep

model = pelvisim.load_model()
ratio = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])           # lumbar / pelvic (Tafazzol 2014)
ds = sweep(model, pelvisim.task("forward_bend", trunk_flexion_deg=40.0),
           {"param.lumbopelvic_ratio": ratio / (1.0 + ratio)})  # the lumbar share
results.save(ds, "results/api_lumbopelvic_rhythm/forward_bend.nc")
print(ds[["l5s1_compression", "l5s1_shear_ap", "lumbar_passive_share"]].to_dataframe().round(3))
