"""criterion_dependence.toml through the Python API, plus the share of the lumbar
lateral-bending moment each trunk muscle carries (moment arm x force at the
posture used, over the moment of all muscles)."""
import numpy as np

import pelvisim
from pelvisim import plots, results
from pelvisim.conventions import DOFS, N_COORD
from pelvisim.geometry import geometry
from pelvisim.sweep import sweep

CRITERIA = ["activation_squared", "activation_cubed", "volume_weighted", "minmax"]
TRUNK = {"quadratus_lumborum": ["quadratus_lumborum"],
         "erector_spinae": ["iliocostalis_lumborum", "longissimus_lumborum", "longissimus_thoracis"],
         "obliques": ["external_oblique", "internal_oblique"],
         "multifidus": ["multifidus"], "rectus_abdominis": ["rectus_abdominis"]}
OUT = "results/api_criterion_dependence"


def bending_shares(model, ds):
    """Share [1] of the muscles' lumbar lateral-bending moment per trunk group
    (both sides) and the moment itself [N m], at each point's posture."""
    j = DOFS.index("lumbar_bending")
    names = list(model.muscles)
    cols = {g: [names.index(f"{m}_{s}") for m in ms for s in "rl" if f"{m}_{s}" in names]
            for g, ms in TRUNK.items()}
    force = ds["muscle_force"]
    dims = [d for d in force.dims if d != "muscle"]
    f = force.transpose(*dims, "muscle").values.reshape(-1, len(names))
    q = np.deg2rad(ds["posture"].transpose(*dims, "angle").values.reshape(-1, N_COORD + 2)[:, :N_COORD])
    moment = np.array([geometry(model, qk).moment_arm[j] for qk in q]) * f  # (P, n) [N m]
    total = moment.sum(axis=1)
    shape = force.shape[:-1]
    # below 1 N m the net moment is the near-cancellation of left and right muscles: no share
    denom = np.where(np.abs(total) >= 1.0, total, np.nan)
    shares = {g: (moment[:, c].sum(axis=1) / denom).reshape(shape) for g, c in cols.items()}
    return shares, total.reshape(shape), dims


model = pelvisim.load_model()
task = pelvisim.task("single_leg_stance", side="r")
factors = {"gluteus_medius+gluteus_minimus": np.linspace(1.0, 0.1, 10),
           "compensation": ["none", "optimal"], "criterion": CRITERIA}
ds = sweep(model, task, factors)
shares, total, dims = bending_shares(model, ds)
for g, v in shares.items():
    ds[f"lumbar_bending_share_{g}"] = (dims, v, {"units": "1", "long_name":
                                                 f"share of the muscles' lumbar lateral-bending moment: {g}"})
ds["lumbar_bending_muscle_moment"] = (dims, total, {"units": "N m", "long_name":
                                                     "lumbar lateral-bending moment of all muscles"})
results.save(ds, f"{OUT}/single_leg_stance.nc")
for comp in ("none", "optimal"):
    plots.curves(ds.sel(compensation=comp),
                 ["quadratus_lumborum", "erector_spinae", "abdominals", "gluteus_medius", "tfl"],
                 f"{OUT}/single_leg_stance_{comp}_curves.png",
                 title=f"single-leg stance, compensation {comp}: line style = criterion")

# the same lean for every criterion (the optimal posture differs between criteria):
# 10 deg of trunk lean over the stance leg, about what optimal compensation picks at 0.2
lean = sweep(model, task, {"gluteus_medius+gluteus_minimus": [1.0, 0.2], "criterion": CRITERIA},
             compensation=pelvisim.Prescribed(trunk_lean_deg=10.0))
lean_shares, lean_total, lean_dims = bending_shares(model, lean)
results.save(lean, f"{OUT}/single_leg_stance_lean10.nc")

x = "gluteus_medius_and_gluteus_minimus"  # the dimension of the factor "gluteus_medius+gluteus_minimus"
print("QL force (r / l) [N], shares of the lumbar lateral-bending moment of the muscles, "
      "largest activation, reserves")
for comp in ("none", "optimal"):
    for s in (1.0, 0.2):
        for crit in CRITERIA:
            p = ds.sel({x: s}, method="nearest").sel(compensation=comp, criterion=crit)
            ql = p["group_force"].sel(group="quadratus_lumborum")
            sh = {g: float(p[f"lumbar_bending_share_{g}"]) for g in TRUNK}
            print(f"{comp:8} {s:.1f} {crit:19} QL {float(ql.sel(side='r')):6.1f} / "
                  f"{float(ql.sel(side='l')):6.1f} N  M {float(p['lumbar_bending_muscle_moment']):6.1f} N m  "
                  + "  ".join(f"{g} {100 * v:5.1f}%" for g, v in sh.items())
                  + f"  a_max {float(p['activation'].max()):.3f}  feasible {bool(p['feasible'])}"
                  + f"  list {float(p['posture'].sel(angle='pelvic_list_deg')):5.2f}"
                  + f"  lean {float(p['posture'].sel(angle='trunk_lean_deg')):5.2f} deg")

print("prescribed trunk lean 10 deg (same posture for every criterion)")
for s in (1.0, 0.2):
    for k, crit in enumerate(CRITERIA):
        p = lean.sel({x: s}, method="nearest").sel(criterion=crit)
        i = int(np.argmin(np.abs(lean[x].values - s)))
        ql = p["group_force"].sel(group="quadratus_lumborum")
        print(f"lean10   {s:.1f} {crit:19} QL {float(ql.sel(side='r')):6.1f} / "
              f"{float(ql.sel(side='l')):6.1f} N  M {lean_total[i, k]:6.1f} N m  "
              + "  ".join(f"{g} {100 * v[i, k]:5.1f}%" for g, v in lean_shares.items())
              + f"  a_max {float(p['activation'].max()):.3f}  feasible {bool(p['feasible'])}")
