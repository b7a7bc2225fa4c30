"""OpenSim's own muscle lengths and moment arms at the default pose, for the import test.

Run with OpenSim in its own virtual environment (never a pelvisim dependency)::

    python3.11 -m venv /tmp/osimvenv && /tmp/osimvenv/bin/pip install opensim
    /tmp/osimvenv/bin/python docs/validation/osim_import_moment_arms.py ../shared/reference

It writes ``tests/data/opensim_moment_arms.json``: for gait2392_millard2012muscle.osim
and RajagopalLaiUhlrich2023.osim, every right-side muscle's path length [m] and
moment arms [m] about hip_flexion_r, hip_adduction_r, hip_rotation_r and
knee_angle_r (``GeometryPath.computeMomentArm``) at the models' default pose
(all coordinates 0 except pelvis_ty), with its wrap-object count.
``tests/test_osim.py`` checks that pelvisim's import reproduces the hip moment
arms and lengths of the muscles without wrap objects. Credit: OpenSim gait2392
(Delp et al. 1990, CC BY 3.0) and Rajagopal et al. 2016 models, opensim-org/opensim-models.
"""
import json
import sys
from pathlib import Path

import opensim

COORDS = ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r")
MODELS = ("gait2392_millard2012muscle.osim", "RajagopalLaiUhlrich2023.osim")


def main(reference: Path) -> None:
    out = {"about": __doc__.split("\n\n")[3].replace("\n", " "), "opensim_version": opensim.__version__,
           "models": {}}
    for name in MODELS:
        model = opensim.Model(str(reference / name))
        state = model.initSystem()
        coords = model.getCoordinateSet()
        table = {}
        for muscle in model.getMuscles():
            if not muscle.getName().endswith("_r"):
                continue
            path = muscle.getGeometryPath()
            row = {c: path.computeMomentArm(state, coords.get(c)) for c in COORDS}
            row["length"] = path.getLength(state)
            row["wraps"] = path.getWrapSet().getSize()
            table[muscle.getName()] = row
        out["models"][name] = table
    target = Path(__file__).resolve().parents[2] / "tests" / "data" / "opensim_moment_arms.json"
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
