"""Run OpenSim's own static optimization and joint reaction analysis on subject01_walk1.

Run with the Python of a virtual environment that has OpenSim (NOT a pelvisim
dependency; pelvisim is not imported here)::

    python3.11 -m venv /tmp/osimvenv && /tmp/osimvenv/bin/pip install opensim
    /tmp/osimvenv/bin/python docs/validation/run_opensim.py ../shared/reference docs/validation/opensim_subject01_walk1.csv

It copies the tutorial setup files (``opensim_setup/``) to a scratch folder,
points them at the reference files (model ``subject01_simbody.osim``, since the
RRA-adjusted model and kinematics of the tutorial are not in the reference
set: the inverse-kinematics angles ``subject01_walk1_ik.mot`` with the
tutorial's 6 Hz low-pass filter instead), adds reserve coordinate actuators of
10 N m optimal force (without them Ipopt fails at the first frames), runs
StaticOptimization (step 1: every kinematics frame) and then JointReaction
from its muscle forces, and writes
the curves over the right stance (heel strike to toe off, vertical GRF through
20 N), resampled to 2 % steps, as a small CSV with its provenance in ``#`` lines.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import opensim as osim

# muscle columns kept (gait2392 names, right = stance side, and the left ones)
MUSCLES = {
    "gluteus_medius": ("glut_med1", "glut_med2", "glut_med3"),
    "gluteus_minimus": ("glut_min1", "glut_min2", "glut_min3"),
    "tfl": ("tfl",),
    "gluteus_maximus": ("glut_max1", "glut_max2", "glut_max3"),
    "hamstrings": ("semimem", "semiten", "bifemlh", "bifemsh"),
    "rectus_femoris": ("rect_fem",),
    "erector_spinae": ("ercspn",),
}
RESERVE_NM = 10.0  # optimal force of the reserve actuator added on every joint coordinate [N m]
RESERVED = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle",
            "subtalar_angle", "mtp_angle")
THRESHOLD_N = 20.0
STEP_PCT = 2.0


def read_sto(path):
    """(columns, data) of an OpenSim .sto/.mot text file."""
    lines = Path(path).read_text().splitlines()
    k = next(i for i, l in enumerate(lines) if l.strip().lower() == "endheader")
    cols = lines[k + 1].split("\t") if "\t" in lines[k + 1] else lines[k + 1].split()
    cols = [c.strip() for c in cols]
    data = np.array([[float(v) for v in l.split()] for l in lines[k + 2:] if l.strip()])
    return cols, data


def crossings(t, f, thr, rising):
    above = f >= thr
    idx = np.flatnonzero(~above[:-1] & above[1:]) if rising else np.flatnonzero(above[:-1] & ~above[1:])
    return t[idx] + (thr - f[idx]) / (f[idx + 1] - f[idx]) * (t[idx + 1] - t[idx])


def sub(text, tag, value):
    new, n = re.subn(rf"<{tag}>[^<]*</{tag}>", f"<{tag}> {value} </{tag}>", text)
    assert n >= 1, tag
    return new


def main(ref, out_csv):
    ref = Path(ref).resolve()
    setup = ref / "opensim_setup"
    cols, grf = read_sto(ref / "subject01_walk1_grf.mot")
    t = grf[:, 0]
    fy = grf[:, cols.index("ground_force_vy")]
    hs = crossings(t, fy, THRESHOLD_N, True)
    hs = hs[hs > 0.5][0]  # kinematics start at 0.5 s
    to = crossings(t, fy, THRESHOLD_N, False)
    to = to[to > hs][0]
    t0, t1 = hs - 0.03, to + 0.03
    work = Path(tempfile.mkdtemp(prefix="osim_so_"))
    for f in ("subject01_simbody.osim", "subject01_walk1_ik.mot", "subject01_walk1_grf.mot"):
        (work / f).symlink_to(ref / f)
    shutil.copy(setup / "gait2392_SO_Residual_Actuators.xml", work)
    shutil.copy(setup / "subject01_walk1_grf.xml", work)
    reserves = "".join(
        f"<CoordinateActuator name=\"reserve_{c}\"><coordinate>{c}</coordinate>"
        f"<optimal_force>{RESERVE_NM}</optimal_force><min_control>-infinity</min_control>"
        f"<max_control>infinity</max_control></CoordinateActuator>"
        for c in [f"{r}_{s}" for s in "rl" for r in RESERVED]
        + ["lumbar_extension", "lumbar_bending", "lumbar_rotation"])
    (work / "reserves.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><OpenSimDocument Version="40000">'
        f'<ForceSet name="reserves"><objects>{reserves}</objects></ForceSet></OpenSimDocument>')
    common = dict(model_file="subject01_simbody.osim",
                  force_set_files="gait2392_SO_Residual_Actuators.xml reserves.xml",
                  coordinates_file="subject01_walk1_ik.mot",
                  external_loads_file="subject01_walk1_grf.xml",
                  lowpass_cutoff_frequency_for_coordinates="6",
                  initial_time=f"{t0:.4f}", final_time=f"{t1:.4f}",
                  start_time=f"{t0:.4f}", end_time=f"{t1:.4f}", step_interval="1",
                  results_directory="Results")
    so_xml = (setup / "setup_static_optimization.xml").read_text()
    jr_xml = (setup / "setup_JointReaction.xml").read_text()
    for k, v in common.items():
        so_xml, jr_xml = sub(so_xml, k, v), sub(jr_xml, k, v)
    jr_xml = sub(jr_xml, "forces_file", "Results/subject01_StaticOptimization_force.sto")
    jr_xml = sub(jr_xml, "joint_names", "hip_r hip_l")
    jr_xml = sub(jr_xml, "apply_on_bodies", "child")
    jr_xml = sub(jr_xml, "express_in_frame", "child")
    (work / "so.xml").write_text(so_xml)
    (work / "jr.xml").write_text(jr_xml)

    import os
    os.chdir(work)
    tic = time.perf_counter()
    osim.AnalyzeTool("so.xml").run()
    t_so = time.perf_counter() - tic
    tic = time.perf_counter()
    osim.AnalyzeTool("jr.xml").run()
    t_jr = time.perf_counter() - tic

    fcols, force = read_sto(work / "Results" / "subject01_StaticOptimization_force.sto")
    acols, act = read_sto(work / "Results" / "subject01_StaticOptimization_activation.sto")
    jfile = next((work / "Results").glob("*JointReaction_ReactionLoads.sto"))
    jcols, jr = read_sto(jfile)
    n_frames = force.shape[0]
    pct = np.arange(0.0, 100.0 + 1e-9, STEP_PCT)
    tt = hs + pct / 100.0 * (to - hs)
    body_weight = None
    out = {"stance_pct": pct, "time_s": tt}
    for side in ("r", "l"):
        fx, fy_, fz = (jr[:, jcols.index(f"hip_{side}_on_femur_{side}_in_femur_{side}_f{a}")] for a in "xyz")
        out[f"hip_contact_{side}_n"] = np.interp(tt, jr[:, 0], np.sqrt(fx ** 2 + fy_ ** 2 + fz ** 2))
        for group, names in MUSCLES.items():
            total = sum(force[:, fcols.index(f"{m}_{side}")] for m in names)
            out[f"{group}_{side}_n"] = np.interp(tt, force[:, 0], total)
    for name in ("FX", "FY", "FZ", "MX", "MY", "MZ"):
        if name in fcols:
            out[f"residual_{name}"] = np.interp(tt, force[:, 0], force[:, fcols.index(name)])
    for c in ("hip_flexion_r", "hip_adduction_r", "hip_adduction_l", "knee_angle_r"):
        out[f"reserve_{c}_nm"] = np.interp(tt, force[:, 0], force[:, fcols.index(f"reserve_{c}")])
    model = osim.Model(str(ref / "subject01_simbody.osim"))
    mass = sum(model.getBodySet().get(i).getMass() for i in range(model.getBodySet().getSize()))
    header = [
        "OpenSim static optimization + joint reaction, subject01 walk1, right stance",
        f"OpenSim {osim.GetVersionAndDate()}; run {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"setup: opensim_setup/setup_static_optimization.xml and setup_JointReaction.xml (OpenSim Gait2392_Simbody tutorial) with "
        "model subject01_simbody.osim, coordinates subject01_walk1_ik.mot low-pass 6 Hz, external loads subject01_walk1_grf.xml, "
        f"force set gait2392_SO_Residual_Actuators.xml (pelvis residuals) + reserve CoordinateActuators of {RESERVE_NM:g} N m optimal force on every hip, knee, ankle, subtalar, mtp and lumbar coordinate, step_interval 1, activation exponent 2, use_muscle_physiology true; "
        "JointReaction hip_r hip_l on child (femur) in child frame from the SO forces",
        f"model mass {mass:.2f} kg; heel strike {hs:.4f} s, toe off {to:.4f} s (ground_force_vy through {THRESHOLD_N:g} N)",
        f"{n_frames} SO frames solved in {t_so:.2f} s ({t_so / n_frames * 1000:.1f} ms/frame); joint reaction {t_jr:.2f} s ({t_jr / n_frames * 1000:.1f} ms/frame)",
        "units: *_n [N] (muscle group sums: " + "; ".join(f"{g} = {'+'.join(m)}" for g, m in MUSCLES.items()) + "), residual_F* [N], residual_M* [N m], reserve_* [N m]; resampled linearly to 2 % stance",
        "credit: subject01 data and gait2392 model: opensim-org/opensim-models, Delp et al. 1990 / Anderson & Pandy; CC BY 3.0",
    ]
    names = list(out)
    lines = [f"# {h}" for h in header] + [",".join(names)]
    for i in range(pct.size):
        lines.append(",".join(f"{out[n][i]:.4g}" for n in names))
    Path(out_csv).write_text("\n".join(lines) + "\n")
    print(f"wrote {out_csv}: {n_frames} frames, SO {t_so:.2f} s, JR {t_jr:.2f} s, work dir {work}")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]).resolve())
