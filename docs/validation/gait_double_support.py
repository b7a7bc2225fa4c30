"""Before/after figure of the walking fixes of issue 15 (subject01 walk1, right stance).

    python docs/validation/gait_double_support.py [../shared/reference]

Runs pelvisim on the reference trial four ways and draws the stance-side and
the other-side hip contact force and the other leg's rectus femoris and
hamstrings, with OpenSim's static optimization (stored curves) for reference:

1. before: stance foot's ground reaction only (the other foot's ignored), the
   other leg's moments from the statics of its free body, and the old knee
   extensor insertions (the gait2392 patella point at knee angle 0);
2. + the other foot's measured ground reaction (double support) and the
   other leg's inverse-dynamics moments;
3. + the knee extensor insertions fitted to gait2392's length curves (the
   shipped model: all fixes);
4. as 3 without passive fibre force and without passive joint tissues and
   tone (OpenSim's static-optimization assumptions).

Writes ``gait_double_support.png`` beside this script and prints the values
at 10-25 % stance (swing side) and 94 % (second double support).
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from opensim_walking import FILES, MASS_KG, ROOT, read_opensim  # noqa: E402

from pelvisim.conventions import OPENSIM_GRAVITY  # noqa: E402 (OpenSim's own body weight)

# the knee extensor insertions before the fit (gait2392 patella point at knee angle 0)
OLD_INSERTION = {"rectus_femoris": (0.0618, 0.021, 0.0014), "vasti": (0.0555, 0.0253, 0.0018)}


def old_geometry(model):
    import pelvisim

    muscles = tuple(replace(m, path=m.path[:-1] + ((m.path[-1][0], OLD_INSERTION[m.name]),))
                    if m.name in OLD_INSERTION else m for m in model.params.muscles)
    params = replace(model.params, muscles=muscles)
    from pelvisim.model import load_model_from

    return load_model_from(params, mass_kg=model.mass_kg, height_m=model.height_m)


def main(ref):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import pelvisim
    from pelvisim.gait import GaitTable, OPTIONAL_COLUMNS, table_from_opensim
    from pelvisim.results import output

    files = [Path(ref) / f for f in FILES]
    full = table_from_opensim(*files, mass_kg=MASS_KG)
    single = GaitTable(full.stance_pct, {k: v for k, v in full.columns.items()
                                         if k not in OPTIONAL_COLUMNS}, full.source, full.mass_kg)
    model = pelvisim.load_model(mass_kg=MASS_KG)
    old = old_geometry(model)
    runs = {
        "1 before: stance foot only, old knee extensor insertion": (old, single),
        "2 + other foot's GRF and other leg's ID moments": (old, full),
        "3 + fitted knee extensor insertion (shipped)": (model, full),
        "4 = 3 without passive force (fibres, joint tissues, tone)":
            (model.without_passive_fibres().with_posture_model("penalty"), full),
    }
    data = {k: pelvisim.gait_trial(*files, model=m, table=t) for k, (m, t) in runs.items()}
    _, osim = read_opensim()
    bw = MASS_KG * OPENSIM_GRAVITY
    panels = (
        ("hip contact, stance side [BW]", lambda ds: output(ds, "hip_contact_force", bw=True).sel(side="r"),
         osim["hip_contact_r_n"] / bw),
        ("hip contact, other (swing) side [BW]", lambda ds: output(ds, "hip_contact_force", bw=True).sel(side="l"),
         osim["hip_contact_l_n"] / bw),
        ("other side rectus femoris [N]", lambda ds: output(ds, "rectus_femoris").sel(side="l"),
         osim["rectus_femoris_l_n"]),
        ("other side hamstrings [N]", lambda ds: output(ds, "hamstrings").sel(side="l"),
         osim["hamstrings_l_n"]),
    )
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.6), sharex=True)
    colors = ("tab:red", "tab:purple", "tab:blue", "tab:orange")
    styles = ("-", "-", "-", "--")
    for ax, (title, get, ref_curve) in zip(axes, panels):
        ax.plot(osim["stance_pct"], ref_curve, color="k", lw=2.2, label="OpenSim 4.6 SO + JR")
        for (label, ds), c, ls in zip(data.items(), colors, styles):
            ax.plot(ds["stance_pct"], get(ds), color=c, ls=ls, lw=1.6, label=label)
        other = full.columns["grf_l_y_bw"] > 0
        x = full.stance_pct
        for a, b in ((0, np.flatnonzero(~other)[0] - 1), (np.flatnonzero(~other)[-1] + 1, x.size - 1)):
            ax.axvspan(x[a], x[b], color="0.88", lw=0, zorder=0)
        ax.set_title(title)
        ax.set_xlabel("right stance [%]")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=5, bbox_to_anchor=(0.5, -0.06))
    fig.suptitle("subject01 walk1: double support (shaded) and the swing leg, before and after", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(HERE / "gait_double_support.png", dpi=130, bbox_inches="tight")
    print(f"{'run':<58}" + "".join(f"{p:>8}" for p in ("L@10", "L@16", "L@20", "L@24", "R@94", "L@94")))
    rows = {"OpenSim": (osim["hip_contact_l_n"] / bw, osim["hip_contact_r_n"] / bw, osim["stance_pct"])}
    for label, ds in data.items():
        h = output(ds, "hip_contact_force", bw=True)
        rows[label] = (h.sel(side="l").values, h.sel(side="r").values, ds["stance_pct"].values)
    for label, (left, right, pct) in rows.items():
        vals = [np.interp(p, pct, left) for p in (10, 16, 20, 24)] + [np.interp(94, pct, right),
                                                                    np.interp(94, pct, left)]
        print(f"{label:<58}" + "".join(f"{v:8.2f}" for v in vals))
    for label, ds in data.items():
        rf = output(ds, "rectus_femoris").sel(side="l")
        ham = output(ds, "hamstrings").sel(side="l")
        act = ds["activation"].sel(muscle="rectus_femoris_l")
        print(f"{label:<58} RF_l at 24 %: {float(rf.sel(stance_pct=24)):.0f} N (activation "
              f"{float(act.sel(stance_pct=24)):.2f}), hamstrings_l {float(ham.sel(stance_pct=24)):.0f} N")
    print(f"wrote {HERE / 'gait_double_support.png'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference")
