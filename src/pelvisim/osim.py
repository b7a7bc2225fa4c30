"""A user's OpenSim model in: a ``.osim`` file turned into a pelvisim parameter set.

:func:`convert` reads an OpenSim 4 model (gait2392 / gait2354 or Rajagopal 2016
family) with :mod:`xml.etree` and returns the text of a parameter file in the
schema of ``params/default.toml`` plus an :class:`ImportReport`. What is taken
from the model:

- body: total mass [kg]; height estimated from the leg length (hip-knee-ankle)
  relative to gait2392's 1.80 m (only the forward-bend hand position uses it);
  geometry is written at the subject's size (``reference_height_m = height_m``).
- segments: mass fractions and centres of mass of trunk (torso and everything
  above the back joint), pelvis, thigh (femur) and shank (tibia and every body
  below it: patella, talus, calcaneus, toes), at the neutral posture.
- joints: back, hip, knee and ankle centres (child-frame origins of those
  joints at the neutral posture).
- muscles: every muscle of the mapping table (:data:`MAPPING`) - max isometric
  force, optimal fibre length, tendon slack length, pennation and path points.

Frames: pelvisim segment frames are aligned with the pelvis at the neutral
posture (every coordinate 0) with their origins at the joint centres, as
OpenSim's gait2392 body frames are. Every point is mapped through the model's
own joint kinematics at the neutral posture (so bodies whose frames do not sit
at the joint centre, like Rajagopal's tibia, are expressed correctly).

Approximations (said in the report and the file): ConditionalPathPoints are
kept when the neutral value of their coordinate lies in their range, else
dropped; MovingPathPoints are evaluated at the neutral coordinate value and
then fixed in their body; points on the patella, talus, calcaneus and toes are
fixed in the shank (the patellar tendon is inextensible, the ankle is not
modelled); wrap cylinders are solved at the neutral posture (shortest helical
path, quadrant respected, within the cylinder's length) and the tangent and arc points of those the path
touches kept as via points on the cylinder's body (other wrap types are
dropped); only the right side is read (pelvisim mirrors it). Muscles the model lacks keep
pelvisim's defaults, their points scaled per segment by the median ratio of
the model's mapped attachment points to the default set's (trunk: by the torso
centre of mass height relative to gait2392's 0.32 m), their fibre and tendon
lengths by the change of their neutral path length (as OpenSim's scale tool
keeps them proportional). The psoas keeps pelvisim's lumbar origin (the
OpenSim models start it on the pelvis; pelvisim's crosses L5/S1): its pelvic
brim and femoral points and its properties come from the model, its tendon
slack length grows by the added path length.
"""
from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .osim_reader import (_ROOT, _SEG_BODIES_SHANK, _SEG_BODIES_THIGH, _SEG_BODIES_TRUNK, OsimModel,
                          _fail)
from .params import ParamSet, _build
from .resources import data_file

__all__ = ["MAPPING", "ImportReport", "convert", "import_osim", "load_osim_params"]

# pelvisim muscle -> OpenSim muscle names (right side, without "_r") per model
# family; several names: "sum" adds their forces and takes everything else from
# the first one present (vasti, as the default set does), "mean" adds the forces
# and takes force-weighted means of points, lengths and pennation (gastrocnemius).
MAPPING = {
    "gait2392": {
        "gluteus_maximus_superior": ("glut_max1",), "gluteus_maximus_middle": ("glut_max2",),
        "gluteus_maximus_inferior": ("glut_max3",),
        "gluteus_medius_anterior": ("glut_med1",), "gluteus_medius_middle": ("glut_med2",),
        "gluteus_medius_posterior": ("glut_med3",),
        "gluteus_minimus_anterior": ("glut_min1",), "gluteus_minimus_middle": ("glut_min2",),
        "gluteus_minimus_posterior": ("glut_min3",),
        "tensor_fasciae_latae": ("tfl",), "piriformis": ("peri",), "gemelli": ("gem",),
        "quadratus_femoris": ("quad_fem",), "iliacus": ("iliacus",), "psoas": ("psoas",),
        "rectus_femoris": ("rect_fem",), "sartorius": ("sar",),
        "semimembranosus": ("semimem",), "semitendinosus": ("semiten",),
        "biceps_femoris_long": ("bifemlh",), "biceps_femoris_short": ("bifemsh",),
        "adductor_magnus_proximal": ("add_mag1",), "adductor_magnus_middle": ("add_mag2",),
        "adductor_magnus_ischiocondylar": ("add_mag3",), "adductor_longus": ("add_long",),
        "adductor_brevis": ("add_brev",), "pectineus": ("pect",), "gracilis": ("grac",),
        "vasti": ("vas_int", "vas_med", "vas_lat"), "gastrocnemius": ("med_gas", "lat_gas"),
    },
    "rajagopal": {
        "gluteus_maximus_superior": ("glmax1",), "gluteus_maximus_middle": ("glmax2",),
        "gluteus_maximus_inferior": ("glmax3",),
        "gluteus_medius_anterior": ("glmed1",), "gluteus_medius_middle": ("glmed2",),
        "gluteus_medius_posterior": ("glmed3",),
        "gluteus_minimus_anterior": ("glmin1",), "gluteus_minimus_middle": ("glmin2",),
        "gluteus_minimus_posterior": ("glmin3",),
        "tensor_fasciae_latae": ("tfl",), "piriformis": ("piri",),
        "iliacus": ("iliacus",), "psoas": ("psoas",),
        "rectus_femoris": ("recfem",), "sartorius": ("sart",),
        "semimembranosus": ("semimem",), "semitendinosus": ("semiten",),
        "biceps_femoris_long": ("bflh",), "biceps_femoris_short": ("bfsh",),
        "adductor_magnus_proximal": ("addmagProx",), "adductor_magnus_middle": ("addmagMid",),
        "adductor_magnus_distal": ("addmagDist",),
        "adductor_magnus_ischiocondylar": ("addmagIsch",), "adductor_longus": ("addlong",),
        "adductor_brevis": ("addbrev",), "gracilis": ("grac",),
        "vasti": ("vasint", "vasmed", "vaslat"), "gastrocnemius": ("gasmed", "gaslat"),
    },
}
MERGE_RULE = {"vasti": "sum", "gastrocnemius": "mean"}
# muscles an imported model may add to the default set: name -> group
EXTRA_MUSCLES = {"adductor_magnus_distal": "adductors"}
FAMILY_CREDIT = {
    "gait2392": "Delp et al. 1990, IEEE TBME 37:757; OpenSim gait2392/gait2354 model family (CC BY 3.0)",
    "rajagopal": "Rajagopal et al. 2016, IEEE TBME 63:2068 (with Lai et al. 2017, Uhlrich et al. 2022); "
                 "OpenSim Rajagopal model family",
}
# gait2392 landmarks that set the scale of what an imported model lacks [m]
GAIT2392_TORSO_COM_Y = 0.32      # torso centre of mass above the back joint
GAIT2392_HEIGHT_M = 1.80         # stature gait2392 represents (as params/default.toml)
GAIT2392_LEG_LENGTH_M = 0.3958 + 0.43  # hip-knee (knee angle 0) + knee-ankle

# =========================================================================== report
@dataclass
class ImportReport:
    """What an import took from the model and what it kept from pelvisim's defaults."""

    source: str
    model_name: str
    family: str
    mass_kg: float
    height_m: float
    mapped: dict[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as text lines (printed by the CLI, written as comments in the file)."""
        out = [f"OpenSim model {self.model_name!r} from {self.source} ({self.family} family): "
               f"{self.mass_kg:.2f} kg, height estimated {self.height_m:.3f} m",
               f"mapped ({len(self.mapped)}): pelvisim muscle <- OpenSim muscle(s)"]
        out += [f"  {k:<32s} <- {' + '.join(v)}" for k, v in self.mapped.items()]
        out += [f"kept pelvisim defaults, scaled to the subject ({len(self.defaults)}): "
                + ", ".join(self.defaults),
                f"ignored model muscles ({len(self.ignored)}):"]
        by_reason: dict[str, list[str]] = {}
        for name, why in self.ignored.items():
            by_reason.setdefault(why, []).append(name)
        out += [f"  {why}: {', '.join(names)}" for why, names in by_reason.items()]
        out.append("segment scale factors for the defaults: "
                   + ", ".join(f"{k} {v:.4f}" for k, v in self.scales.items()))
        out += [f"note: {n}" for n in self.notes]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


# =========================================================================== conversion
class _Frames:
    """pelvisim segment frames of an OpenSim model (pelvis-aligned, origins at joint centres)."""

    def __init__(self, om: OsimModel):
        self.om = om
        self.hip = om.centre[_SEG_BODIES_THIGH]
        self.lumbar = om.centre[_SEG_BODIES_TRUNK]
        knee_in_femur = om.centre[_SEG_BODIES_SHANK]
        self.knee = om.in_pelvis(_SEG_BODIES_THIGH, knee_in_femur) - self.hip   # pelvis-aligned
        ankle_child = next((b for b, (a, _) in om.parent.items() if a == _SEG_BODIES_SHANK and b.startswith("talus")
                            or a == _SEG_BODIES_SHANK and b.startswith("calcn")), None)
        if ankle_child is None:
            _fail(om.path, "JointSet", "ankle", "no joint from tibia_r to talus_r/calcn_r")
        self.ankle = om.in_pelvis(_SEG_BODIES_SHANK, om.centre[ankle_child]) - self.hip - self.knee
        self.origin = {"pelvis": np.zeros(3), "trunk": self.lumbar, "thigh": self.hip,
                       "shank": self.hip + self.knee}

    def segment(self, body: str) -> str | None:
        """pelvisim segment of a body: trunk (torso and everything on it, both arms),
        pelvis, thigh (femur_r), shank (every body below femur_r); None for the
        left leg (mirrored from the right) and unconnected bodies."""
        chain, b = [body], body
        while b in self.om.parent:
            b = self.om.parent[b][0]
            chain.append(b)
        if chain[-1] != _ROOT:
            return None
        if _SEG_BODIES_TRUNK in chain:
            return "trunk"
        if _SEG_BODIES_THIGH in chain:
            return "thigh" if body == _SEG_BODIES_THIGH else "shank"
        if len(chain) == 1:
            return "pelvis"
        return None if chain[-2].endswith("_l") else "pelvis"

    def point(self, body, xyz):
        """(segment, xyz in the pelvisim segment frame) of a point fixed in ``body``."""
        seg = self.segment(body)
        if seg is None:
            return None
        return seg, self.om.in_pelvis(body, xyz) - self.origin[seg]


def _path_length(path, origin) -> float:
    pts = [origin[s] + np.asarray(p, float) for s, p in path]
    return float(sum(np.linalg.norm(b - a) for a, b in zip(pts[:-1], pts[1:])))


def _default_origins(default: dict) -> dict:
    j = default["joints"]
    hip = np.array(j["hip"]["location"])
    return {"pelvis": np.zeros(3), "trunk": np.array(j["lumbar"]["location"]), "thigh": hip,
            "shank": hip + np.array(j["knee"]["location"])}


def _family(om: OsimModel) -> tuple[str, int]:
    scores = {fam: sum(all(f"{n}_r" in om.muscles for n in names[:1]) for names in table.values())
              for fam, table in MAPPING.items()}
    fam = max(scores, key=scores.get)
    if scores[fam] == 0:
        _fail(om.path, "ForceSet", f"{len(om.muscles)} right-side muscles",
              "no muscle name of the gait2392/gait2354 or Rajagopal families found; see pelvisim.osim.MAPPING")
    return fam, scores[fam]


KNEE_EXTENSORS = ("rectus_femoris", "vasti")
FIT_KNEE_DEG = np.arange(0.0, 90.0 + 1e-9, 5.0)


def _fit_knee_insertion(om: OsimModel, fr, osim_name: str, path_pts):
    """Fit a knee extensor's shank insertion (x, y; z kept) so that its path length on
    pelvisim's hinge knee matches the OpenSim model's own length at knee flexion
    0-90 deg (the model's knee kinematics, moving, conditional and wrap points
    evaluated from the file): either the first shank point moves and the others
    stay, or the shank points (patella, patellar tendon) become one insertion,
    whichever fits better. Returns (path, note)."""
    from scipy.optimize import least_squares

    k = next(i for i, (s, _) in enumerate(path_pts) if s == "shank")
    coord = om.parent[_SEG_BODIES_SHANK][1]["coords"][0]
    lo, hi = om.ranges.get(coord, (0.0, 1.0))
    sign = -1.0 if hi <= 0.2 and lo < -1.0 else 1.0  # gait2392: knee_angle < 0 in flexion
    target = np.array([om.posed({coord: sign * math.radians(a)}, [osim_name]).length(osim_name)
                       for a in FIT_KNEE_DEG])
    origin = {"pelvis": np.zeros(3), "trunk": fr.lumbar, "thigh": fr.hip}

    def lengths(xy, pts_in):
        out = []
        for a in FIT_KNEE_DEG:
            c, s_ = math.cos(math.radians(a)), math.sin(math.radians(a))
            Rz = np.array([[c, s_, 0.0], [-s_, c, 0.0], [0.0, 0.0, 1.0]])  # Rz(-flexion)
            pts = []
            for i, (seg, p) in enumerate(pts_in):
                p = np.array([xy[0], xy[1], p[2]]) if i == k else np.asarray(p, float)
                pts.append(fr.hip + fr.knee + Rz @ p if seg == "shank" else origin[seg] + p)
            out.append(sum(np.linalg.norm(b - a) for a, b in zip(pts[:-1], pts[1:])))
        return np.array(out)

    x0 = np.asarray(path_pts[k][1][:2], float)
    before = np.abs(lengths(x0, path_pts) - target).max()
    n_shank = sum(seg == "shank" for seg, _ in path_pts)
    # two candidates: move the first shank point and keep the others, or replace the
    # shank points (patella and its tendon) by one insertion; the better fit is kept
    best = None
    for pts_in in ([list(path_pts)] + ([list(path_pts[:k + 1])] if n_shank > 1 else [])):
        fit = least_squares(lambda xy: lengths(xy, pts_in) - target, x0)
        err = float(np.abs(fit.fun).max())
        if best is None or err < best[0]:
            best = (err, fit.x, pts_in)
    err, xy, new = best
    new = list(new)
    new[k] = ("shank", np.array([xy[0], xy[1], path_pts[k][1][2]]))
    if n_shank == 1:
        what = "shank insertion"
    elif len(new) < len(path_pts):
        what = f"its {n_shank} shank points replaced by one insertion; its"
    else:
        what = f"first of its {n_shank} shank points"
    note = (f"{what} (x, y) = ({xy[0]:.4f}, {xy[1]:.4f}) least-squares fitted (z kept) to "
            f"{osim_name}'s muscle-tendon length in the model at knee flexion 0-90 deg (max error "
            f"{err * 1000:.1f} mm; {before * 1000:.1f} mm with the neutral-posture points)")
    return new, note


def _median_scale(pairs) -> float:
    ratios = [np.linalg.norm(a) / np.linalg.norm(b) for a, b in pairs if np.linalg.norm(b) > 0.01]
    return round(float(np.median(ratios)), 4) if ratios else 1.0


def _generic_lengths(family, imported, d_muscles, scales) -> bool:
    """True when a scaled gait2392-family model still carries the generic fibre and
    tendon lengths (those of the default set, taken from gait2392)."""
    if family != "gait2392" or max(abs(v - 1.0) for v in scales.values()) < 0.01:
        return False
    same = [abs(im["lopt"] - d_muscles[n]["optimal_fiber_length_m"]) < 5e-4
            and abs(im["lts"] - d_muscles[n]["tendon_slack_length_m"]) < 5e-4
            for n, im in imported.items() if n in d_muscles and n not in ("psoas", "gastrocnemius")]
    return bool(same) and sum(same) >= 0.8 * len(same)


def convert(osim, *, scale_lengths: bool | None = None) -> tuple[str, ImportReport]:
    """Convert an OpenSim model to the text of a pelvisim parameter file.

    Parameters
    ----------
    osim : str or pathlib.Path
        An OpenSim 4 ``.osim`` file of the gait2392/gait2354 or Rajagopal family.
    scale_lengths : bool, optional
        Scale the mapped muscles' optimal fibre and tendon slack lengths by their
        neutral path length ratio to the generic model (what OpenSim's ScaleTool
        does). Default: only when a scaled gait2392-family model still carries the
        generic lengths (as ``subject01_simbody.osim`` of the OpenSim example does).

    Returns
    -------
    (str, ImportReport)
        The TOML text (schema of ``params/default.toml``, values in its units) and
        the report of mapped, defaulted and ignored muscles.

    Raises
    ------
    ParameterError
        One line naming the file, the element and what is expected.
    """
    path = Path(osim)
    om = OsimModel(path)
    fr = _Frames(om)
    family, _ = _family(om)
    table = MAPPING[family]
    default_path = data_file("params", "default.toml")
    default = tomllib.loads(default_path.read_text(encoding="utf-8"))
    d_muscles = {m["name"]: m for m in default["muscles"]}
    d_origin = _default_origins(default)
    credit = FAMILY_CREDIT[family]
    src = f"{path.name} (model {om.name!r}; {credit})"

    # ---------------------------------------------------------------- masses
    loose = [b for b in om.bodies if b not in om.pose]
    if loose:
        _fail(path, "JointSet", loose[0], "body not connected to the pelvis by a joint")
    total = sum(m for m, _ in om.bodies.values())
    seg_mass = {s: 0.0 for s in ("trunk", "pelvis", "thigh", "shank")}
    seg_mom = {s: np.zeros(3) for s in seg_mass}
    sides = {"thigh": [], "shank": []}
    for body, (mass, com) in om.bodies.items():
        seg = fr.segment(body)
        if seg is None:  # left leg: its mass counts in the two-side mean
            mirrored = body[:-2] + "_r"
            if fr.segment(mirrored) in ("thigh", "shank"):
                sides[fr.segment(mirrored)].append(mass)
                continue
            _fail(path, "BodySet", body, "body not in the trunk, pelvis or a leg; expected a model whose "
                  "left leg mirrors the right (femur_l ... like femur_r ...)")
        seg_mass[seg] += mass
        seg_mom[seg] += mass * (om.in_pelvis(body, com) - fr.origin[seg])
    com = {s: seg_mom[s] / seg_mass[s] for s in ("trunk", "pelvis", "thigh", "shank")}
    frac = {s: seg_mass[s] / total for s in ("trunk", "pelvis")}
    for s in ("thigh", "shank"):  # mean of the two sides (the left ones summed in `sides`)
        frac[s] = 0.5 * (seg_mass[s] + sum(sides[s])) / total
    frac["pelvis"] += 1.0 - (frac["trunk"] + frac["pelvis"] + 2 * frac["thigh"] + 2 * frac["shank"])

    leg = float(np.linalg.norm(fr.knee) + np.linalg.norm(fr.ankle))
    height = round(GAIT2392_HEIGHT_M * leg / GAIT2392_LEG_LENGTH_M, 3)
    report = ImportReport(source=path.name, model_name=om.name, family=family, mass_kg=total, height_m=height)

    # ---------------------------------------------------------------- muscles
    def model_path(m):
        out = [fr.point(b, xyz) for b, xyz in m.points]
        return [p for p in out if p is not None]

    imported, pairs = {}, {"pelvis": [], "thigh": [], "shank": [], "trunk": []}
    used = set()
    notes = {"dropped": [], "moving": [], "wraps": [], "foot": [], "fitted": []}
    for name, osim_names in table.items():
        present = [om.muscles[f"{n}_r"] for n in osim_names if f"{n}_r" in om.muscles]
        if not present:
            continue
        used.update(m.name for m in present)
        for m in present:
            if m.dropped:
                notes["dropped"].append(f"{m.name} ({m.dropped})")
            if m.moving:
                notes["moving"].append(f"{m.name} ({m.moving})")
            if m.wraps:
                notes["wraps"].append(f"{m.name} ({m.wrapped}/{m.wraps}"
                                      + (f", {m.unsupported} unsupported dropped" if m.unsupported else "") + ")")
            if any(fr.segment(b) == "shank" and not b.startswith("tibia") for b, _ in m.points):
                notes["foot"].append(m.name)
        paths = [model_path(m) for m in present]
        fsum = sum(m.fmax for m in present)
        first = present[0]
        rule = MERGE_RULE.get(name, "sum")
        if rule == "mean" and len(present) > 1 and len({tuple(s for s, _ in p) for p in paths}) == 1:
            w = np.array([m.fmax for m in present]) / fsum
            path_pts = [(paths[0][k][0], sum(wi * p[k][1] for wi, p in zip(w, paths)))
                        for k in range(len(paths[0]))]
            lopt = float(sum(wi * m.lopt for wi, m in zip(w, present)))
            lts = float(sum(wi * m.lts for wi, m in zip(w, present)))
            penn = float(sum(wi * m.pennation for wi, m in zip(w, present)))
            how = (f"Fmax = {' + '.join(f'{m.name} {m.fmax:.6g}' for m in present)} N; points, optimal fibre "
                   f"length, tendon slack and pennation are force-weighted means")
        else:
            path_pts, lopt, lts, penn = paths[0], first.lopt, first.lts, first.pennation
            how = (f"{first.name}" if len(present) == 1 else
                   f"{first.name} path, lengths and pennation; Fmax = "
                   + " + ".join(f"{m.name} {m.fmax:.6g}" for m in present) + " N")
        d = d_muscles.get(name)
        if d is not None and len(d["path"]) == len(path_pts) and \
                all(p[0] == s for p, (s, _) in zip(d["path"], path_pts)):
            for p, (s, xyz) in zip(d["path"], path_pts):
                pairs[s].append((xyz, np.array(p[1:])))
        if name in KNEE_EXTENSORS and (first.moving or any(b.startswith("patella") for b, _ in first.points)):
            path_pts, fit_note = _fit_knee_insertion(om, fr, first.name, path_pts)
            how += "; " + fit_note
            notes["fitted"].append(first.name)
        imported[name] = dict(path=path_pts, fmax=fsum, lopt=lopt, lts=lts, penn=penn, how=how)
        report.mapped[name] = tuple(m.name for m in present)

    scales = {s: _median_scale(pairs[s]) for s in ("pelvis", "thigh", "shank")}
    torso_com = om.bodies[_SEG_BODIES_TRUNK][1]
    scales["trunk"] = round(float(torso_com[1] / GAIT2392_TORSO_COM_Y), 4) if torso_com[1] > 0.05 \
        else scales["pelvis"]
    report.scales = scales
    unscaled = _generic_lengths(family, imported, d_muscles, scales) if scale_lengths is None else scale_lengths
    if unscaled:
        gen_origin = {"pelvis": np.zeros(3), "trunk": fr.lumbar / scales["pelvis"],
                      "thigh": fr.hip / scales["pelvis"]}
        gen_origin["shank"] = gen_origin["thigh"] + fr.knee / scales["thigh"]
        ks = []
        for name, im in imported.items():
            generic = [(s, xyz / scales[s]) for s, xyz in im["path"]]
            k = _path_length(im["path"], fr.origin) / _path_length(generic, gen_origin)
            im["lopt"] *= k
            im["lts"] *= k
            im["how"] += f"; fibre and tendon lengths x {k:.4f} (scaled to the subject's path length)"
            ks.append(k)
        report.notes.append(
            "the file's optimal fibre and tendon slack lengths are the generic model's although its geometry is "
            f"scaled (segment factors above): each mapped muscle's lengths were scaled by its neutral path length "
            f"ratio (model / model with the segment factors undone; {min(ks):.3f}-{max(ks):.3f}), as OpenSim's "
            "ScaleTool does; import-osim --keep-lengths (scale_lengths=False) keeps the file's values")

    def scaled(path_list):
        return [(s, np.array(p, float) * scales[s]) for s, *p in ((q[0], *q[1:]) for q in path_list)]

    new_origin = dict(fr.origin)

    def rescale_lengths(d_entry, new_path):
        old = _path_length([(p[0], p[1:]) for p in d_entry["path"]], d_origin)
        new = _path_length(new_path, new_origin)
        return new / old

    muscles_out = []
    order = list(d_muscles) + [n for n in imported if n not in d_muscles]
    for name in order:
        d = d_muscles.get(name)
        if name in imported:
            im = imported[name]
            path_pts = im["path"]
            lts = im["lts"]
            source = f"{src}: {im['how']}"
            if name == "psoas" and d is not None and d["path"][0][0] == "trunk" \
                    and path_pts and path_pts[0][0] == "pelvis":
                lumbar_origin = ("trunk", np.array(d["path"][0][1:]) * scales["trunk"])
                old_len = _path_length(path_pts, new_origin)
                path_pts = [lumbar_origin] + list(path_pts[1:])
                added = _path_length(path_pts, new_origin) - old_len
                lts = lts + added
                source += (f"; origin on the pelvis replaced by pelvisim's lumbar origin (anterolateral L4, "
                           f"scaled x {scales['trunk']:.4f}; Christophy et al. 2012) so that the line crosses "
                           f"L5/S1; tendon slack length + {added:.4f} m (the added path length)")
            segs = {s for s, _ in path_pts}
            if len(segs) < 2:
                report.mapped.pop(name)
                report.ignored[name] = "crosses no pelvisim joint after conversion"
                continue
            muscles_out.append(dict(
                name=name, group=d["group"] if d else EXTRA_MUSCLES[name],
                max_isometric_force_n=im["fmax"], optimal_fiber_length_m=im["lopt"],
                tendon_slack_length_m=lts, pennation_deg=math.degrees(im["penn"]),
                itb_fraction=d["itb_fraction"] if d else 0.0,
                path=[[s, *map(float, xyz)] for s, xyz in path_pts], source=source))
        elif d is not None:
            path_pts = scaled(d["path"])
            k = rescale_lengths(d, path_pts)
            report.defaults.append(name)
            muscles_out.append(dict(
                d, optimal_fiber_length_m=d["optimal_fiber_length_m"] * k,
                tendon_slack_length_m=d["tendon_slack_length_m"] * k,
                path=[[s, *map(float, xyz)] for s, xyz in path_pts],
                source=d["source"] + f"; kept from the pelvisim default set ({path.name} has no such muscle): "
                       f"points scaled by the segment factors ({', '.join(f'{s} {scales[s]:.4f}' for s in sorted({p[0] for p in d['path']}))}), "
                       f"fibre and tendon lengths x {k:.4f} (neutral path length ratio)"))

    # ---------------------------------------------------------------- ignored muscles
    for mname, m in om.muscles.items():
        if mname in used:
            continue
        segs = {fr.segment(b) for b, _ in m.points}
        if segs <= {"shank"} or segs <= {"thigh"} or segs <= {"pelvis"}:
            why = "crosses only the ankle and foot (not modelled) or no joint"
        elif segs == {"pelvis", "trunk"}:
            why = "lumbar muscle: pelvisim keeps its own lumbar lines (Christophy et al. 2012; SPEC section 4)"
        else:
            why = "no pelvisim counterpart in the mapping table"
        report.ignored[mname] = why

    # ---------------------------------------------------------------- notes
    if notes["dropped"]:
        report.notes.append("ConditionalPathPoints outside their range at the neutral posture (all coordinates 0) "
                            "dropped, those inside kept as fixed via points: dropped in " + ", ".join(notes["dropped"]))
    if notes["moving"]:
        report.notes.append("MovingPathPoints evaluated at the neutral coordinate value and fixed in their body: "
                            + ", ".join(notes["moving"]))
    if notes["fitted"]:
        report.notes.append("knee extensors whose insertion moves with the knee (patella or MovingPathPoint): the "
                            "the first shank point moved, or the shank points replaced by one insertion (the better fit), (x, y) least-squares "
                            "fitted to the model's own muscle-tendon length "
                            f"at knee flexion 0-90 deg (as params/default.toml does for gait2392): "
                            + ", ".join(notes["fitted"]))
    if notes["foot"]:
        report.notes.append("points on the patella/talus/calcaneus/toes fixed in the shank at the neutral posture "
                            "(inextensible patellar tendon; ankle not modelled): " + ", ".join(notes["foot"]))
    if notes["wraps"]:
        report.notes.append("wrap cylinders solved at the neutral posture (shortest path around the cylinder, "
                            "quadrant respected; no wrap where the contact would lie beyond the cylinder's ends): the tangent and arc points of the ones the path "
                            "touches are kept as via points fixed on the cylinder's body, so lengths and moment arms "
                            "are OpenSim's at the neutral posture and approximate away from it; other wrap types are "
                            "dropped. Per muscle (active at neutral / wrap objects): " + ", ".join(notes["wraps"]))
    if om.left_muscles:
        report.notes.append(f"{om.left_muscles} left-side muscles not read: pelvisim mirrors the right side (z -> -z)")
    rot = max(math.degrees(math.acos(max(-1.0, min(1.0, (np.trace(om.pose[b][0]) - 1) / 2))))
              for b in (_SEG_BODIES_THIGH, _SEG_BODIES_SHANK, _SEG_BODIES_TRUNK))
    report.notes.append(f"femur, tibia and torso frames within {rot:.2f} deg of the pelvis axes at the neutral "
                        "posture; all points are expressed in pelvis-aligned segment frames")

    # ---------------------------------------------------------------- parameter file
    out = dict(default)
    out["meta"] = dict(name=f"osim:{path.stem}",
                       description=f"Imported from the OpenSim model {path.name} ({om.name}, {family} family) "
                                   f"by pelvisim import-osim; muscles the model lacks keep the default set's values.",
                       references=dict(default["meta"]["references"], imported=src))
    out["body"] = dict(mass_kg=round(total, 6), height_m=height, reference_height_m=height,
                       source=f"mass: sum of the body masses of {path.name}; height: estimated as gait2392's "
                              f"{GAIT2392_HEIGHT_M} m x leg length (hip-knee + knee-ankle {leg:.4f} m) / gait2392's "
                              f"{GAIT2392_LEG_LENGTH_M:.4f} m (used only for the forward-bend hand position); "
                              f"reference_height_m = height_m: the geometry is the subject's")
    members = {"trunk": "torso and every body above the back joint", "pelvis": "pelvis",
               "thigh": "femur", "shank": "tibia and every body below the knee (patella, talus, calcaneus, toes)"}
    out["segments"] = {s: dict(mass_fraction=frac[s], com=[float(v) for v in com[s]],
                               source=f"{src}: {members[s]}, mass-weighted centre of mass at the neutral posture "
                                      f"(right side; the fraction averages both sides)")
                       for s in ("trunk", "pelvis", "thigh", "shank")}
    out["joints"] = {
        "lumbar": dict(parent="pelvis", location=[float(v) for v in fr.lumbar],
                       source=f"{src}: back joint centre in the pelvis frame"),
        "hip": dict(parent="pelvis", location=[float(v) for v in fr.hip],
                    source=f"{src}: right hip joint centre in the pelvis frame"),
        "knee": dict(parent="thigh", location=[float(v) for v in fr.knee],
                     source=f"{src}: right knee joint centre (its child-frame origin) at knee angle 0, "
                            f"pelvis-aligned femur frame; pelvisim's knee is a hinge about z through it"),
        "ankle": dict(parent="shank", location=[float(v) for v in fr.ankle],
                      source=f"{src}: right ankle joint centre at knee angle 0, in the shank frame"),
    }
    d_ankle = np.array(default["joints"]["ankle"]["location"])
    contact = fr.ankle + scales["shank"] * (np.array(default["foot"]["contact"]) - d_ankle)
    out["foot"] = dict(default["foot"], contact=[float(v) for v in contact],
                       source=default["foot"]["source"] + f"; contact point moved with the model's ankle and "
                              f"scaled x {scales['shank']:.4f} (shank factor) from the default's offset below the ankle")
    tfl = next((m for m in muscles_out if m["name"] == "tensor_fasciae_latae"), None)
    if tfl is not None and "tensor_fasciae_latae" in imported:
        out["itb"] = dict(default["itb"], path=tfl["path"],
                          source=default["itb"]["source"] + f"; path: the TFL path of {path.name}")
    else:
        out["itb"] = dict(default["itb"], path=[[s, *map(float, xyz)] for s, xyz in scaled(default["itb"]["path"])])
    out["muscles"] = muscles_out
    header = ["pelvisim parameter set imported from an OpenSim model (pelvisim import-osim).",
              "Edit freely; the schema and units are those of params/default.toml (the sections the model",
              "does not inform are copied from it unchanged; their comments are in that file).",
              "Geometry: pelvis-aligned segment frames at the neutral posture, subject size (no rescaling).", ""]
    header += report.lines()
    return _dump(out, header), report


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.floating, np.integer)):
        x = round(float(v), 10)
        if x == 0.0:
            x = 0.0
        return repr(x)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(_toml_value(x) for x in v) + " ]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _dump(data: dict, header: list[str]) -> str:
    lines = [f"# {h}".rstrip() for h in header] + [""]
    for section, table in data.items():
        if section == "muscles":
            continue
        if section == "segments":
            for s, t in table.items():
                lines.append(f"[segments.{s}]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in t.items()]
                lines.append("")
            continue
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        lines.append("")
    for m in data["muscles"]:
        lines.append("[[muscles]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in m.items()]
        lines.append("")
    return "\n".join(lines)


def import_osim(osim, out=None, *, scale_lengths: bool | None = None) -> tuple[ParamSet, ImportReport]:
    """Import an OpenSim model (see :func:`convert`); write the parameter file to ``out`` if given.

    Returns
    -------
    (ParamSet, ImportReport)
    """
    text, report = convert(osim, scale_lengths=scale_lengths)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        target = out
    else:
        target = Path(osim)
    raw = text.encode("utf-8")
    params = _build(tomllib.loads(text), target, hashlib.sha256(raw).hexdigest())
    return params, report


def load_osim_params(osim) -> ParamSet:
    """The parameter set of an OpenSim model (see :func:`convert`)."""
    return import_osim(osim)[0]
