"""pelvisim vs OpenSim static optimization on the same walking trial (subject01 walk1).

Usage (from the project root)::

    # 1. (optional, needs OpenSim in its own venv) re-run OpenSim and refresh the stored curves
    /tmp/osimvenv/bin/python docs/validation/run_opensim.py ../shared/reference docs/validation/opensim_subject01_walk1.csv
    # 2. run pelvisim on the same trial and compare (needs only pelvisim and the trial files)
    python docs/validation/opensim_walking.py [../shared/reference]

Step 2 reads the stored OpenSim curves (``opensim_subject01_walk1.csv``, with
their provenance), runs :func:`pelvisim.gait_trial` on the trial (default
model at the subject's 72.6 kg; the subject's scaled model
``subject01_simbody.osim`` imported; and that model under OpenSim's
assumptions: no passive fibre force, no passive joint tissues or tone), and
writes ``opensim_walking.png`` and ``opensim_walking_table.csv`` beside this
script, printing the table (Pearson correlation over stance, peaks and their
difference) and the time per frame of both tools. The differences are
explained in ``opensim_walking.md``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from pelvisim.conventions import OPENSIM_GRAVITY  # OpenSim's own body weight

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OPENSIM_CSV = HERE / "opensim_subject01_walk1.csv"
FILES = ("subject01_walk1_inverse_dynamics.sto", "subject01_walk1_ik.mot", "subject01_walk1_grf.mot")
MASS_KG = 72.6
# (label, pelvisim output, OpenSim column stem, side, in BW)
CURVES = (
    ("hip contact (stance side)", "hip_contact_force", "hip_contact", "r", True),
    ("gluteus medius", "gluteus_medius", "gluteus_medius", "r", False),
    ("TFL", "tfl", "tfl", "r", False),
    ("gluteus maximus", "gluteus_maximus", "gluteus_maximus", "r", False),
    ("hamstrings", "hamstrings", "hamstrings", "r", False),
    ("hip contact (other side)", "hip_contact_force", "hip_contact", "l", True),
)


def read_opensim(path=OPENSIM_CSV):
    """(provenance lines, columns dict) of the stored OpenSim curves."""
    lines = Path(path).read_text().splitlines()
    prov = [l[2:] for l in lines if l.startswith("#")]
    body = [l for l in lines if not l.startswith("#")]
    names = body[0].split(",")
    data = np.array([[float(v) for v in l.split(",")] for l in body[1:]])
    return prov, {n: data[:, j] for j, n in enumerate(names)}


def pelvisim_runs(ref: Path):
    """pelvisim on the trial: the default (generic) model at 72.6 kg, the
    subject's scaled OpenSim model imported, and that model under OpenSim's
    static-optimization assumptions (no passive fibre force, no passive joint
    tissues or tone). Returns ({label: dataset}, seconds per frame)."""
    import pelvisim
    from pelvisim.gait import table_from_opensim

    files = [ref / f for f in FILES]
    table = table_from_opensim(*files, mass_kg=MASS_KG)
    generic = pelvisim.load_model(mass_kg=MASS_KG)
    subject = pelvisim.load_model(osim=ref / "subject01_simbody.osim", mass_kg=MASS_KG)
    pelvisim.gait_trial(*files, model=generic, table=table)  # warm-up (Numba compile / cache load)
    tic = time.perf_counter()
    runs = {"pelvisim, default model 72.6 kg": pelvisim.gait_trial(*files, model=generic, table=table)}
    per_frame = (time.perf_counter() - tic) / table.stance_pct.size
    runs["pelvisim, subject01_simbody.osim imported"] = pelvisim.gait_trial(*files, model=subject,
                                                                           table=table)
    bare = subject.without_passive_fibres().with_posture_model("penalty")
    runs["pelvisim, imported, without passive force (as OpenSim SO)"] = pelvisim.gait_trial(
        *files, model=bare, table=table)
    return runs, per_frame


def curve(ds, name, side, bw):
    from pelvisim.results import output

    return output(ds, name, bw=bw).sel(side=side).values


def compare(runs, osim):
    """Rows: label, run, r, OpenSim peak, pelvisim peak, difference, % stance of both peaks."""
    pct = osim["stance_pct"]
    bw_osim = MASS_KG * OPENSIM_GRAVITY
    rows = []
    for label, name, stem, side, bw in CURVES:
        ref = osim[f"{stem}_{side}_n"] / (bw_osim if bw else 1.0)
        for run, ds in runs.items():
            ours = np.interp(pct, ds["stance_pct"].values, curve(ds, name, side, bw))
            r = float(np.corrcoef(ours, ref)[0, 1])
            rows.append(dict(curve=label, run=run, unit="BW" if bw else "N", r=r,
                             opensim_peak=float(ref.max()), opensim_peak_pct=float(pct[ref.argmax()]),
                             pelvisim_peak=float(ours.max()), pelvisim_peak_pct=float(pct[ours.argmax()]),
                             peak_difference=float(ours.max() - ref.max()),
                             peak_difference_pct=float(100.0 * (ours.max() - ref.max()) / ref.max()),
                             rms_difference=float(np.sqrt(np.mean((ours - ref) ** 2))),
                             opensim_peak_0_50=float(ref[pct <= 50].max()),
                             pelvisim_peak_0_50=float(ours[pct <= 50].max()),
                             opensim_peak_50_100=float(ref[pct >= 50].max()),
                             pelvisim_peak_50_100=float(ours[pct >= 50].max())))
    return rows


def figure(runs, osim, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pct = osim["stance_pct"]
    bw_osim = MASS_KG * OPENSIM_GRAVITY
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), sharex=True)
    styles = [dict(color="tab:blue", lw=1.8), dict(color="tab:green", lw=1.8),
              dict(color="tab:orange", lw=1.5, ls="--")]
    for ax, (label, name, stem, side, bw) in zip(axes.ravel(), CURVES):
        ref = osim[f"{stem}_{side}_n"] / (bw_osim if bw else 1.0)
        ax.plot(pct, ref, color="k", lw=2.0, label="OpenSim 4.6 static optimization")
        for k, ((run, ds), st) in enumerate(zip(runs.items(), styles)):
            y, x = curve(ds, name, side, bw), ds["stance_pct"].values
            ax.plot(x, y, label=run, **st)
            bad = ~ds["feasible"].values
            if bad.any():
                ax.plot(x[bad], y[bad], "x", color="red", ms=6, mew=1.5,
                        label="infeasible frame (reserve moments)" if k == 0 else None)
        ax.set_title(f"{label} [{'BW' if bw else 'N'}]")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("right stance [%] (heel strike 0, toe off 100)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8.5, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.05))
    fig.suptitle("subject01 walk1, right stance: pelvisim vs OpenSim static optimization + joint "
                 "reaction (same trial)", fontsize=11)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)


def main(ref):
    ref = Path(ref)
    prov, osim = read_opensim()
    runs, per_frame = pelvisim_runs(ref)
    rows = compare(runs, osim)
    figure(runs, osim, HERE / "opensim_walking.png")
    keys = list(rows[0])
    lines = [",".join(keys)] + [",".join(f"{r[k]:.4g}" if isinstance(r[k], float) else r[k]
                                         for k in keys) for r in rows]
    (HERE / "opensim_walking_table.csv").write_text("\n".join(lines) + "\n")
    osim_time = next((l for l in prov if "ms/frame" in l), "")
    print("OpenSim curves: " + prov[1])
    print(f"{'curve':<26}{'run':<60}{'r':>6}{'OpenSim peak':>14}{'pelvisim peak':>15}{'diff':>8}"
          f"{'peaks 0-50 % (OpenSim / pelvisim)':>36}{'peaks 50-100 %':>20}")
    for r in rows:
        print(f"{r['curve']:<26}{r['run']:<60}{r['r']:6.2f}{r['opensim_peak']:9.3g} {r['unit']:<2}"
              f"[{r['opensim_peak_pct']:3.0f}]{r['pelvisim_peak']:9.3g} [{r['pelvisim_peak_pct']:3.0f}]"
              f"{r['peak_difference_pct']:+7.0f}%{r['opensim_peak_0_50']:18.3g} /{r['pelvisim_peak_0_50']:6.3g}"
              f"{r['opensim_peak_50_100']:12.3g} /{r['pelvisim_peak_50_100']:6.3g}")
    feas = {k: f"{int(ds['feasible'].sum())}/{ds['feasible'].size}" for k, ds in runs.items()}
    print(f"feasible frames: {feas}")
    print(f"time per frame: pelvisim {per_frame * 1000:.1f} ms (gait_trial, {len(osim['stance_pct'])} "
          f"frames, this machine, this run); OpenSim: {osim_time}")
    print(f"wrote {HERE / 'opensim_walking.png'}, {HERE / 'opensim_walking_table.csv'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference")
