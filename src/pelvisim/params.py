"""Parameter sets: load a TOML file from ``params/``, validate it, convert to SI.

Parameter files use degrees, MPa, mm^2 and N/cm^2 where their key names say so
(``_deg``, ``_mpa``, ``_mm2``, ``_n_per_cm2``); everything returned here is SI
(m, N, Pa, m^2, rad). Every validation error is a :class:`ParameterError` whose
message is one line: ``"<file>: <key>: <value!r>: <what is allowed>"``.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pelvisim.conventions import COMPENSATION_ANGLES, GROUPS  # noqa: F401 (re-exported)
from pelvisim.errors import ParameterError
from pelvisim.resources import data_dir, data_file

SEGMENT_NAMES = ("trunk", "pelvis", "thigh", "shank")
JOINT_NAMES = ("lumbar", "hip", "knee", "ankle")
# joint -> parent segment of its location
JOINT_PARENTS = {"lumbar": "pelvis", "hip": "pelvis", "knee": "thigh", "ankle": "shank"}
MASS_SUM_TOLERANCE = 1e-3
# Validity limits of parameter-file values (what a file may hold, not model
# values): wide physiological envelopes, so that a typo (0.147 m -> 74816 m,
# 0.6 -> 1e-320) is an error instead of a non-finite solve. Largest human
# muscles reach about 5000 N (gait2392 soleus 3549 N); fibres 2-50 cm, tendons
# up to about 45 cm (gait2392); Thelen 2003 uses width 0.45, strain 0.5-0.6,
# shape 4; ITB modulus ~ 100-1500 MPa (Otsuka et al. 2020 range widened).
COORDINATE_LIMIT_M = 2.0  # |x|, |y|, |z| of every point in its segment frame [m]
LIMITS = {
    "max_isometric_force_n": (1e-3, 20000.0),
    "optimal_fiber_length_m": (0.005, 0.6),
    "tendon_slack_length_m": (0.0, 1.0),
    "specific_tension_n_per_cm2": (10.0, 150.0),
    "active_force_length_width": (0.05, 2.0),
    "passive_strain_at_one_norm_force": (0.05, 2.0),
    "passive_shape_factor": (0.1, 20.0),
    "youngs_modulus_mpa": (1.0, 5000.0),
    "cross_section_mm2": (0.1, 2000.0),
    "posture_cost_weight": (0.0, 1e6),
    "frontal_orientation_weight": (0.0, 1e6),
    "angle_scale_deg": (0.1, 90.0),
}

Vec3 = tuple[float, float, float]
PathPoints = tuple[tuple[str, Vec3], ...]


@dataclass(frozen=True)
class SegmentParams:
    """Mass fraction [-] of body mass and centre of mass [m] in the segment frame (reference size)."""

    name: str
    mass_fraction: float
    com: Vec3
    source: str


@dataclass(frozen=True)
class JointParams:
    """Joint centre ``location`` [m] in the ``parent`` segment frame (reference size)."""

    name: str
    parent: str
    location: Vec3
    source: str


@dataclass(frozen=True)
class MuscleParams:
    """One muscle line (right side).

    ``max_isometric_force`` [N] at the reference specific tension,
    ``optimal_fiber_length`` and ``tendon_slack_length`` [m], ``pennation`` [rad],
    ``itb_fraction`` [-] of its force passed into the ITB, ``path`` = origin,
    via points, insertion as ``(segment, (x, y, z) [m])``.
    """

    name: str
    group: str
    max_isometric_force: float
    optimal_fiber_length: float
    tendon_slack_length: float
    pennation: float
    itb_fraction: float
    path: PathPoints
    source: str


@dataclass(frozen=True)
class MuscleModelParams:
    """Specific tensions [Pa] and Thelen 2003 force-length curve parameters [-]."""

    reference_specific_tension: float
    specific_tension: float
    active_force_length_width: float
    passive_strain_at_one_norm_force: float
    passive_shape_factor: float
    source: str


@dataclass(frozen=True)
class ItbParams:
    """Iliotibial band: ``youngs_modulus`` [Pa], ``cross_section`` [m^2], ``slack_strain`` [-]."""

    youngs_modulus: float
    cross_section: float
    slack_strain: float
    path: PathPoints
    source: str


@dataclass(frozen=True)
class CompensationParams:
    """Posture model (``POSTURE_MODELS``); trunk-orientation weight [-] (tissue
    model) and posture-deviation cost weight [-] (penalty model), both per
    ``angle_scale`` [rad]; ``bounds`` [rad] per angle."""

    posture_model: str
    frontal_orientation_weight: float
    posture_cost_weight: float
    angle_scale: float
    bounds: dict[str, tuple[float, float]]
    source: str


PASSIVE_JOINT_DOFS = ("lumbar_flexion", "lumbar_bending", "lumbar_rotation", "hip_flexion",
                      "hip_adduction", "hip_rotation", "knee_flexion")
POSTURE_MODELS = ("tissue", "penalty")


@dataclass(frozen=True)
class PassiveJointParams:
    """Passive moment-angle curve of one DOF kind (see :mod:`pelvisim._kernels.passive`).

    ``neutral_zone`` (lo, hi) [rad]; ``negative`` / ``positive`` (a [N m], b [-],
    range [rad]) resist motion below lo / above hi.
    """

    neutral_zone: tuple[float, float]
    negative: tuple[float, float, float]
    positive: tuple[float, float, float]


@dataclass(frozen=True)
class PassiveTissueParams:
    """Passive joint tissues and muscle tone.

    ``joints``: curve per DOF kind (``PASSIVE_JOINT_DOFS``); ``ligament_share``
    [-] of the lumbar passive flexion moment carried by the posterior ligaments
    at ``ligament_lever_arm`` [m] behind the disc centre (their tension adds
    L5/S1 compression); ``tone`` [-]: baseline activation per muscle group.
    """

    joints: dict[str, PassiveJointParams]
    ligament_share: float
    ligament_lever_arm: float
    tone: dict[str, float]
    source: str
    tone_source: str


@dataclass(frozen=True)
class ParamSet:
    """A validated parameter set in SI units (see the module docstring)."""

    path: Path
    sha256: str
    name: str
    mass_kg: float
    height_m: float
    reference_height_m: float
    segments: dict[str, SegmentParams]
    joints: dict[str, JointParams]
    foot_contact: Vec3
    foot_friction: float
    muscle_model: MuscleModelParams
    itb: ItbParams
    l5s1_disc_inclination: float
    lumbopelvic_ratio: float
    compensation: CompensationParams
    passive: PassiveTissueParams
    muscles: tuple[MuscleParams, ...]
    references: dict[str, str]

    @property
    def muscle_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.muscles)

    def muscle(self, name: str) -> MuscleParams:
        """The muscle called ``name`` (KeyError if absent)."""
        for m in self.muscles:
            if m.name == name:
                return m
        raise KeyError(name)

    def replace(self, **changes: Any) -> "ParamSet":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


# --------------------------------------------------------------------------- helpers
class _Reader:
    """Validating accessors that know the file name for error messages."""

    def __init__(self, path: Path):
        self.file = str(path)

    def fail(self, key: str, value: Any, allowed: str) -> None:
        raise ParameterError(f"{self.file}: {key}: {value!r}: {allowed}")

    def table(self, data: dict, key: str, allowed: tuple[str, ...], required: tuple[str, ...] | None = None) -> dict:
        """Check a table's keys: unknown keys (with a close-match hint) and missing ones."""
        if not isinstance(data, dict):
            self.fail(key, data, "expected a table")
        for k in data:
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(f"{key}.{k}" if key else k, data[k], f"unknown key{hint}; allowed keys: {', '.join(allowed)}")
        for k in allowed if required is None else required:
            if k not in data:
                self.fail(f"{key}.{k}" if key else k, None, f"missing key; required keys: {', '.join(allowed if required is None else required)}")
        return data

    def number(self, value: Any, key: str, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, value, "expected a number")
        x = float(value)
        if not math.isfinite(x):
            self.fail(key, value, "expected a finite number")
        bad_lo = lo is not None and (x <= lo if lo_open else x < lo)
        bad_hi = hi is not None and (x >= hi if hi_open else x > hi)
        if bad_lo or bad_hi:
            left = "(" if lo_open or lo is None else "["
            right = ")" if hi_open or hi is None else "]"
            lo_s = "-inf" if lo is None else f"{lo:g}"
            hi_s = "inf" if hi is None else f"{hi:g}"
            self.fail(key, value, f"allowed range {left}{lo_s}, {hi_s}{right}")
        return x

    def positive(self, value: Any, key: str) -> float:
        return self.number(value, key, 0.0, None, lo_open=True)

    def fraction(self, value: Any, key: str) -> float:
        return self.number(value, key, 0.0, 1.0)

    def text(self, value: Any, key: str, nonempty: bool = True) -> str:
        if not isinstance(value, str) or (nonempty and not value.strip()):
            self.fail(key, value, "expected a non-empty string")
        return value

    def vec3(self, value: Any, key: str) -> Vec3:
        if not isinstance(value, list) or len(value) != 3:
            self.fail(key, value, "expected a list of 3 numbers [x, y, z] in metres")
        return tuple(self.number(v, f"{key}[{i}]", -COORDINATE_LIMIT_M, COORDINATE_LIMIT_M)
                     for i, v in enumerate(value))  # type: ignore[return-value]

    def path(self, value: Any, key: str) -> PathPoints:
        if not isinstance(value, list) or len(value) < 2:
            self.fail(key, value, "expected a list of at least 2 points [segment, x, y, z]")
        pts = []
        for i, p in enumerate(value):
            k = f"{key}[{i}]"
            if not isinstance(p, list) or len(p) != 4:
                self.fail(k, p, "expected [segment, x, y, z]")
            if p[0] not in SEGMENT_NAMES:
                self.fail(k, p[0], f"unknown segment; allowed: {', '.join(SEGMENT_NAMES)}")
            pts.append((p[0], self.vec3(p[1:], k)))
        return tuple(pts)


def _crosses_joint(path: PathPoints) -> bool:
    """True if the path has points on two or more segments (segments form a chain, so it spans a joint)."""
    return len({s for s, _ in path}) >= 2


# --------------------------------------------------------------------------- public API
def presets() -> list[str]:
    """Names of the shipped parameter sets (``params/<name>.toml``)."""
    return sorted(p.stem for p in data_dir("params").glob("*.toml"))


def load_params(path: str | Path | None = None, *, preset: str | None = None) -> ParamSet:
    """Load and validate a parameter file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML parameter file. Give either ``path`` or ``preset``; with neither,
        the shipped ``default`` set is loaded.
    preset : str, optional
        Name of a shipped set (see :func:`presets`), e.g. ``"female"``.

    Returns
    -------
    ParamSet
        Values in SI units (m, N, Pa, m^2, rad).

    Raises
    ------
    ParameterError
        One-line message naming the file, the key, the value and what is allowed.
    """
    if path is not None and preset is not None:
        raise ParameterError(f"<arguments>: path/preset: {preset!r}: give either a path or a preset, not both")
    if path is None:
        name = "default" if preset is None else preset
        available = presets()
        if name not in available:
            raise ParameterError(f"<presets>: preset: {name!r}: allowed presets: {', '.join(available)}")
        path = data_file("params", f"{name}.toml")
    path = Path(path)
    if path.suffix.lower() == ".osim":
        raise ParameterError(f"{path}: <file>: an OpenSim model, not a pelvisim parameter file: "
                             f"allowed a .toml parameter file; import OpenSim models with "
                             f"pelvisim.load_model(osim=...)")
    if path.is_dir():
        raise ParameterError(f"{path}: <file>: is a folder: allowed a .toml parameter file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParameterError(f"{path}: <file>: {str(path)!r}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: <file>: {exc.reason!r}: expected UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: <toml>: {str(exc)!r}: malformed TOML (see the line and column given)") from None
    return _build(data, path, hashlib.sha256(raw).hexdigest())


def _build(data: dict, path: Path, sha: str) -> ParamSet:
    r = _Reader(path)
    r.table(data, "", ("meta", "body", "segments", "joints", "foot", "muscle_model",
                       "itb", "l5s1", "posture", "compensation", "passive_joints", "tone",
                       "muscles"))

    meta = r.table(data["meta"], "meta", ("name", "description", "references"))
    name = r.text(meta["name"], "meta.name")
    r.text(meta["description"], "meta.description")
    refs = r.table(meta["references"], "meta.references", tuple(meta["references"]) if isinstance(meta["references"], dict) else ())
    references = {k: r.text(v, f"meta.references.{k}") for k, v in refs.items()}

    body = r.table(data["body"], "body", ("mass_kg", "height_m", "reference_height_m", "source"))
    mass = r.number(body["mass_kg"], "body.mass_kg", 20.0, 250.0)
    height = r.number(body["height_m"], "body.height_m", 1.0, 2.5)
    ref_height = r.number(body["reference_height_m"], "body.reference_height_m", 1.0, 2.5)
    r.text(body["source"], "body.source")

    segs = r.table(data["segments"], "segments", SEGMENT_NAMES)
    segments = {}
    for s in SEGMENT_NAMES:
        t = r.table(segs[s], f"segments.{s}", ("mass_fraction", "com", "source"))
        segments[s] = SegmentParams(s, r.fraction(t["mass_fraction"], f"segments.{s}.mass_fraction"),
                                    r.vec3(t["com"], f"segments.{s}.com"), r.text(t["source"], f"segments.{s}.source"))
    total = sum(segments[s].mass_fraction * (2 if s in ("thigh", "shank") else 1) for s in SEGMENT_NAMES)
    if abs(total - 1.0) > MASS_SUM_TOLERANCE:
        r.fail("segments.*.mass_fraction", round(total, 6),
               f"trunk + pelvis + 2 x thigh + 2 x shank must sum to 1 (tolerance {MASS_SUM_TOLERANCE:g})")

    jts = r.table(data["joints"], "joints", JOINT_NAMES)
    joints = {}
    for j in JOINT_NAMES:
        t = r.table(jts[j], f"joints.{j}", ("parent", "location", "source"))
        if t["parent"] != JOINT_PARENTS[j]:
            r.fail(f"joints.{j}.parent", t["parent"], f"allowed: {JOINT_PARENTS[j]!r}")
        joints[j] = JointParams(j, t["parent"], r.vec3(t["location"], f"joints.{j}.location"),
                                r.text(t["source"], f"joints.{j}.source"))

    foot = r.table(data["foot"], "foot", ("contact", "friction_coefficient", "source"))
    foot_contact = r.vec3(foot["contact"], "foot.contact")
    foot_friction = r.number(foot["friction_coefficient"], "foot.friction_coefficient", 0.0, 2.0)
    r.text(foot["source"], "foot.source")

    mm = r.table(data["muscle_model"], "muscle_model", (
        "reference_specific_tension_n_per_cm2", "specific_tension_n_per_cm2", "active_force_length_width",
        "passive_strain_at_one_norm_force", "passive_shape_factor", "source"))
    n_per_cm2 = 1.0e4  # N/cm^2 -> Pa
    muscle_model = MuscleModelParams(
        r.number(mm["reference_specific_tension_n_per_cm2"], "muscle_model.reference_specific_tension_n_per_cm2", *LIMITS["specific_tension_n_per_cm2"]) * n_per_cm2,
        r.number(mm["specific_tension_n_per_cm2"], "muscle_model.specific_tension_n_per_cm2", *LIMITS["specific_tension_n_per_cm2"]) * n_per_cm2,
        r.number(mm["active_force_length_width"], "muscle_model.active_force_length_width", *LIMITS["active_force_length_width"]),
        r.number(mm["passive_strain_at_one_norm_force"], "muscle_model.passive_strain_at_one_norm_force", *LIMITS["passive_strain_at_one_norm_force"]),
        r.number(mm["passive_shape_factor"], "muscle_model.passive_shape_factor", *LIMITS["passive_shape_factor"]),
        r.text(mm["source"], "muscle_model.source"))

    it = r.table(data["itb"], "itb", ("youngs_modulus_mpa", "cross_section_mm2", "slack_strain", "path", "source"))
    itb_path = r.path(it["path"], "itb.path")
    if not _crosses_joint(itb_path):
        r.fail("itb.path", [p[0] for p in it["path"]], "the path crosses no joint; it needs points on at least two segments")
    itb = ItbParams(r.number(it["youngs_modulus_mpa"], "itb.youngs_modulus_mpa", *LIMITS["youngs_modulus_mpa"]) * 1e6,
                    r.number(it["cross_section_mm2"], "itb.cross_section_mm2", *LIMITS["cross_section_mm2"]) * 1e-6,
                    r.number(it["slack_strain"], "itb.slack_strain", -0.5, 0.5),
                    itb_path, r.text(it["source"], "itb.source"))

    l5 = r.table(data["l5s1"], "l5s1", ("disc_inclination_deg", "source"))
    disc = math.radians(r.number(l5["disc_inclination_deg"], "l5s1.disc_inclination_deg", -90.0, 90.0))
    r.text(l5["source"], "l5s1.source")

    po = r.table(data["posture"], "posture", ("lumbopelvic_ratio", "source"))
    ratio = r.fraction(po["lumbopelvic_ratio"], "posture.lumbopelvic_ratio")
    r.text(po["source"], "posture.source")

    co = r.table(data["compensation"], "compensation", ("posture_model", "frontal_orientation_weight",
                                                        "posture_cost_weight", "angle_scale_deg", "bounds_deg", "source"))
    if co["posture_model"] not in POSTURE_MODELS:
        r.fail("compensation.posture_model", co["posture_model"], f"allowed: {', '.join(POSTURE_MODELS)}")
    bd = r.table(co["bounds_deg"], "compensation.bounds_deg", COMPENSATION_ANGLES)
    bounds = {}
    for a in COMPENSATION_ANGLES:
        k = f"compensation.bounds_deg.{a}"
        v = bd[a]
        if not isinstance(v, list) or len(v) != 2:
            r.fail(k, v, "expected [lower, upper] in degrees")
        lo, hi = r.number(v[0], f"{k}[0]", -90.0, 90.0), r.number(v[1], f"{k}[1]", -90.0, 90.0)
        if not lo < hi:
            r.fail(k, v, "lower bound must be < upper bound")
        bounds[a] = (math.radians(lo), math.radians(hi))
    compensation = CompensationParams(co["posture_model"],
                                      r.number(co["frontal_orientation_weight"], "compensation.frontal_orientation_weight", *LIMITS["frontal_orientation_weight"]),
                                      r.number(co["posture_cost_weight"], "compensation.posture_cost_weight", *LIMITS["posture_cost_weight"]),
                                      math.radians(r.number(co["angle_scale_deg"], "compensation.angle_scale_deg", *LIMITS["angle_scale_deg"])),
                                      bounds, r.text(co["source"], "compensation.source"))

    passive = _passive_tissues(r, data["passive_joints"], data["tone"])

    if not isinstance(data["muscles"], list) or not data["muscles"]:
        r.fail("muscles", data["muscles"], "expected a non-empty array of [[muscles]] tables")
    muscles: list[MuscleParams] = []
    seen: set[str] = set()
    keys = ("name", "group", "max_isometric_force_n", "optimal_fiber_length_m", "tendon_slack_length_m",
            "pennation_deg", "itb_fraction", "path", "source")
    for i, t in enumerate(data["muscles"]):
        r.table(t, f"muscles[{i}]", keys)
        mname = r.text(t["name"], f"muscles[{i}].name")
        if mname in seen:
            r.fail(f"muscles[{i}].name", mname, "duplicated muscle name; names must be unique")
        seen.add(mname)
        k = f"muscles.{mname}"
        group = t["group"]
        if group not in GROUPS:
            close = difflib.get_close_matches(str(group), GROUPS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            r.fail(f"{k}.group", group, f"unknown group{hint}; allowed: {', '.join(GROUPS)}")
        path_pts = r.path(t["path"], f"{k}.path")
        if not _crosses_joint(path_pts):
            r.fail(f"{k}.path", [p[0] for p in t["path"]], "the path crosses no joint; it needs points on at least two segments")
        muscles.append(MuscleParams(
            mname, group,
            r.number(t["max_isometric_force_n"], f"{k}.max_isometric_force_n", *LIMITS["max_isometric_force_n"]),
            r.number(t["optimal_fiber_length_m"], f"{k}.optimal_fiber_length_m", *LIMITS["optimal_fiber_length_m"]),
            r.number(t["tendon_slack_length_m"], f"{k}.tendon_slack_length_m", *LIMITS["tendon_slack_length_m"]),
            math.radians(r.number(t["pennation_deg"], f"{k}.pennation_deg", 0.0, 60.0, hi_open=True)),
            r.fraction(t["itb_fraction"], f"{k}.itb_fraction"),
            path_pts, r.text(t["source"], f"{k}.source")))

    return ParamSet(path=path.resolve(), sha256=sha, name=name, mass_kg=mass, height_m=height,
                    reference_height_m=ref_height, segments=segments, joints=joints, foot_contact=foot_contact,
                    foot_friction=foot_friction,
                    muscle_model=muscle_model, itb=itb, l5s1_disc_inclination=disc, lumbopelvic_ratio=ratio,
                    compensation=compensation, passive=passive, muscles=tuple(muscles), references=references)


def _passive_tissues(r: _Reader, pj: Any, tone: Any) -> PassiveTissueParams:
    pj = r.table(pj, "passive_joints", PASSIVE_JOINT_DOFS + ("ligament_share_of_flexion",
                                                            "ligament_lever_arm_m", "source"))
    joints = {}
    for d in PASSIVE_JOINT_DOFS:
        k = f"passive_joints.{d}"
        t = r.table(pj[d], k, ("neutral_zone_deg", "negative", "positive"))
        nz = t["neutral_zone_deg"]
        if not isinstance(nz, list) or len(nz) != 2:
            r.fail(f"{k}.neutral_zone_deg", nz, "expected [lower, upper] in degrees")
        lo = r.number(nz[0], f"{k}.neutral_zone_deg[0]", -180.0, 180.0)
        hi = r.number(nz[1], f"{k}.neutral_zone_deg[1]", lo, 180.0)
        curves = []
        for direction in ("negative", "positive"):
            c = t[direction]
            kc = f"{k}.{direction}"
            if not isinstance(c, list) or len(c) != 3:
                r.fail(kc, c, "expected [a_nm, b, range_deg]: M = a (exp(b theta / range) - 1) beyond the neutral zone")
            curves.append((r.number(c[0], f"{kc}[0]", 0.0, 1e4), r.number(c[1], f"{kc}[1]", 0.0, 50.0),
                           math.radians(r.positive(c[2], f"{kc}[2]"))))
        joints[d] = PassiveJointParams((math.radians(lo), math.radians(hi)), curves[0], curves[1])
    share = r.fraction(pj["ligament_share_of_flexion"], "passive_joints.ligament_share_of_flexion")
    arm = r.number(pj["ligament_lever_arm_m"], "passive_joints.ligament_lever_arm_m", 0.0, 0.2, lo_open=True)
    src = r.text(pj["source"], "passive_joints.source")
    tt = r.table(tone, "tone", ("activation", "source"))
    act = r.table(tt["activation"], "tone.activation", GROUPS, required=())
    levels = {g: r.number(v, f"tone.activation.{g}", 0.0, 0.5) for g, v in act.items()}
    return PassiveTissueParams(joints, share, arm, levels, src, r.text(tt["source"], "tone.source"))
