"""The musculoskeletal model: parameters turned into the arrays the kernels use,
plus strength and tightness edits.

Muscles are named ``<muscle>[_<part>]_<side>`` (``gluteus_medius_posterior_r``).
Strength and tightness edits address them by group (``gluteus_medius``), group
and side (``gluteus_medius_l``), muscle with or without side and part
(``adductor_magnus`` = every part, both sides), see :meth:`Model.resolve`.

References
----------
Delp SL et al. (1990) IEEE Trans Biomed Eng 37:757-767 (hip and knee muscles).
de Leva P (1996) J Biomech 29:1223-1230 (segment inertia).
Thelen DG (2003) J Biomech Eng 125:70-77 (force-length curves).
"""
from __future__ import annotations

import difflib
from collections import namedtuple
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Mapping

import numpy as np

from .errors import ParameterError
from .conventions import GRAVITY, GROUPS, N_DOF, N_COORD, SIDES  # noqa: F401 (re-exported)
from .params import LIMITS, ParamSet, load_params

# Groups given passive force-length behaviour (SPEC section 4: at least the hip
# flexors and hamstrings, so that tightness is a parameter).
PASSIVE_GROUPS = ("hip_flexors", "hamstrings", "tfl")
_SEGMENT_CODE = {"trunk": (0, 0), "pelvis": (1, 1), "thigh": (2, 4), "shank": (3, 5)}

ModelArrays = namedtuple("ModelArrays", [
    "seg_mass", "seg_com", "lumbar_loc", "hip_loc", "knee_loc", "foot_pt",
    "path_seg", "path_pt", "path_start", "side", "fmax", "lopt", "lts", "cos_penn",
    "passive_slack", "has_passive", "use_fl", "fl_width", "pe_shape", "pe_strain",
    "itb_frac", "itb_seg", "itb_pt", "itb_start", "itb_stiffness", "itb_slack",
    "disc_normal", "disc_ap", "weights", "upper", "exponent", "reserve_weight", "friction",
    "pj_nz", "pj_a", "pj_b", "pj_range", "lig_share", "lig_arm", "tone",
])
# Tightness [deg] of lost passive range, per group: the DOF the clinical test
# measures it on and the direction of the lost motion (modified Thomas test:
# hip extension, i.e. negative hip flexion; straight-leg raise: hip flexion).
TIGHTNESS_TESTS = {"hip_flexors": ("hip_flexion", -1.0), "hamstrings": ("hip_flexion", +1.0)}
TIGHTNESS_MAX_DEG = 40.0

# Model parameters a sweep may change (``param.<name>``), with allowed ranges.
# Ranges of the quantities a parameter file also holds are the file's limits.
TUNABLE = {
    "specific_tension_n_per_cm2": LIMITS["specific_tension_n_per_cm2"],
    "itb_gluteus_maximus_fraction": (0.0, 1.0),
    "posture_cost_weight": LIMITS["posture_cost_weight"],
    "frontal_orientation_weight": LIMITS["frontal_orientation_weight"],
    "itb_youngs_modulus_mpa": LIMITS["youngs_modulus_mpa"],
    "lumbopelvic_ratio": (0.0, 1.0),
    "foot_friction_coefficient": (0.0, 2.0),
}


def _mirror(point, side):
    x, y, z = point
    return (x, y, -z) if side == "l" else (x, y, z)


@dataclass(frozen=True, eq=False)
class Model:
    """A parameterised model of trunk, pelvis and legs.

    Parameters
    ----------
    params : ParamSet
        Parameter set (see :func:`pelvisim.params.load_params`).
    mass_kg : float [kg]
    height_m : float [m]; geometry scales by ``height_m / params.reference_height_m``.
    strength : ndarray (n,) strength factors s_i in [0, 1] (1 healthy, 0 absent)
    tightness : ndarray (n,) [deg] lost passive range per muscle (clinical tightness,
        see :meth:`with_tightness`)
    slack_shortening : ndarray (n,) passive fibre slack-length shortening, fraction
        of l_opt, in [0, 0.5] (see :meth:`with_slack_shortening`)
    tuned : dict of model parameters changed from the file (see ``TUNABLE``)
    posture_model : "tissue" or "penalty"; None: the parameter file's
    passive_fibre_force : bool
        True (default): the passive force-length force of the muscle fibres
        (groups ``PASSIVE_GROUPS``) loads the joints. False leaves it out, as
        OpenSim's static optimization does, for comparisons with it (see
        :meth:`without_passive_fibres`); the ITB's elastic band stays.
    """

    params: ParamSet
    mass_kg: float
    height_m: float
    strength: np.ndarray = field(repr=False)
    tightness: np.ndarray = field(repr=False)
    slack_shortening: np.ndarray = field(repr=False)
    tuned: Mapping[str, float] = field(default_factory=dict)
    posture_model: str | None = None
    passive_fibre_force: bool = True

    # ----------------------------------------------------------------- names
    @cached_property
    def muscles(self) -> tuple[str, ...]:
        return tuple(f"{m.name}_{s}" for s in SIDES for m in self.params.muscles)

    @cached_property
    def groups(self) -> dict[str, tuple[str, ...]]:
        out = {g: [] for g in GROUPS}
        for s in SIDES:
            for m in self.params.muscles:
                out[m.group].append(f"{m.name}_{s}")
        return {g: tuple(v) for g, v in out.items()}

    @cached_property
    def muscle_group(self) -> tuple[str, ...]:
        return tuple(m.group for _ in SIDES for m in self.params.muscles)

    @property
    def n_muscles(self) -> int:
        return len(self.muscles)

    @property
    def body_weight(self) -> float:
        """Body weight [N]."""
        return self.mass_kg * GRAVITY

    def resolve(self, key: str, *, what: str = "strength") -> np.ndarray:
        """Indices of the muscles a name addresses (group, group_side, muscle,
        muscle without side, or muscle without part)."""
        if not isinstance(key, str):
            raise ParameterError(f"{what}: {key!r}: allowed a muscle or group name")
        names = self.muscles
        base = [n[:-2] for n in names]
        side = [n[-1] for n in names]
        if key in self.groups:
            idx = [i for i, n in enumerate(names) if self.muscle_group[i] == key]
        elif key[-2:] in ("_r", "_l") and key[:-2] in self.groups:
            idx = [i for i, n in enumerate(names)
                   if self.muscle_group[i] == key[:-2] and side[i] == key[-1]]
        elif key in names:
            idx = [names.index(key)]
        else:
            idx = [i for i, b in enumerate(base) if b == key or b.startswith(key + "_")]
            if not idx and key[-2:] in ("_r", "_l"):
                k = key[:-2]
                idx = [i for i, b in enumerate(base)
                       if (b == k or b.startswith(k + "_")) and side[i] == key[-1]]
        if not idx:
            choices = list(self.groups) + sorted(set(base))
            close = difflib.get_close_matches(key, choices, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ParameterError(f"{what}: unknown muscle or group {key!r}: allowed are the groups "
                             f"({', '.join(GROUPS)}) or muscle names (pelvisim list muscles){hint}")
        return np.asarray(idx, dtype=np.int64)

    # ----------------------------------------------------------------- edits
    def _edits(self, items: Mapping[str, float], what: str, high: float):
        """(muscle indices, value) per key, values checked against [0, high]."""
        for key, value in items.items():
            try:
                value = float("nan") if isinstance(value, (bool, str)) else float(value)
            except (TypeError, ValueError):
                value = float("nan")
            if not np.isfinite(value) or not 0.0 <= value <= high:
                raise ParameterError(f"{what}: {key}: {items[key]!r}: allowed range [0, {high:g}]")
            yield key, self.resolve(key, what=what), value

    def with_strength(self, mapping: Mapping[str, float] | None = None, **factors) -> "Model":
        """New model with strength factors set (values in [0, 1]; 1 healthy)."""
        s = self.strength.copy()
        for _, idx, value in self._edits(dict(mapping or {}, **factors), "strength", 1.0):
            s[idx] = value
        return replace(self, strength=s)

    def with_tightness(self, mapping: Mapping[str, float] | None = None, **degrees) -> "Model":
        """New model with tight muscles, given as clinicians measure it: degrees
        of lost passive range (``TIGHTNESS_TESTS``): for the hip flexors, hip
        extension lost in a modified Thomas test; for the hamstrings, hip flexion
        lost in a straight-leg raise. Each muscle's passive slack length is
        shortened by its moment arm about the tested DOF times the angle, so its
        passive force rises that many degrees earlier; for the hip flexors the
        hip capsule's extension limit moves by the same angle (anterior capsule
        and iliofemoral ligament, which a Thomas test loads too). Values in
        [0, ``TIGHTNESS_MAX_DEG``] deg; groups in ``TIGHTNESS_TESTS`` only."""
        t = self.tightness.copy()
        for key, idx, value in self._edits(dict(mapping or {}, **degrees), "tightness",
                                           TIGHTNESS_MAX_DEG):
            groups = {self.muscle_group[i] for i in idx}
            if not groups <= set(TIGHTNESS_TESTS):
                raise ParameterError(f"tightness: {key}: no clinical tightness test for "
                                     f"{', '.join(sorted(groups - set(TIGHTNESS_TESTS)))}; allowed: "
                                     f"muscles of the groups {', '.join(TIGHTNESS_TESTS)} "
                                     f"(with_slack_shortening for others)")
            t[idx] = value
        return replace(self, tightness=t)

    def with_slack_shortening(self, mapping: Mapping[str, float] | None = None,
                              **fractions) -> "Model":
        """New model with the fibre length at which passive force starts
        shortened from l_opt to (1 - t) l_opt (Thelen 2003 passive curve);
        values t in [0, 0.5]; muscles with a passive force-length model only."""
        t = self.slack_shortening.copy()
        for key, idx, value in self._edits(dict(mapping or {}, **fractions), "slack_shortening",
                                           0.5):
            if not any(self.muscle_group[i] in PASSIVE_GROUPS for i in idx):
                raise ParameterError(f"slack_shortening: {key}: has no passive force-length model; "
                                 f"allowed: muscles of the groups {', '.join(PASSIVE_GROUPS)}")
            t[idx] = value
        return replace(self, slack_shortening=t)

    def with_posture_model(self, name: str) -> "Model":
        """New model with another posture model: ``"tissue"`` (passive joint
        tissues, muscle tone and a trunk-orientation cost; default) or
        ``"penalty"`` (no tissues or tone, a quadratic pull of every
        compensation angle toward the task's posture; earlier versions)."""
        from .params import POSTURE_MODELS

        if name not in POSTURE_MODELS:
            raise ParameterError(f"posture_model: {name!r}: allowed {', '.join(POSTURE_MODELS)}")
        return replace(self, posture_model=name)

    @property
    def posture(self) -> str:
        """The posture model in use (``"tissue"`` or ``"penalty"``)."""
        return self.posture_model or self.params.compensation.posture_model

    def without_passive_fibres(self) -> "Model":
        """New model without passive fibre force (OpenSim static optimization's
        assumption: muscle force = activation x max force x force-length x
        force-velocity); tightness and slack shortening then have no effect on
        the fibres."""
        return replace(self, passive_fibre_force=False)

    def with_params(self, **changes) -> "Model":
        """New model with tunable parameters changed (see ``TUNABLE``)."""
        tuned = dict(self.tuned)
        for key, value in changes.items():
            if key not in TUNABLE:
                close = difflib.get_close_matches(key, TUNABLE, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ParameterError(f"param: unknown model parameter {key!r}: allowed "
                                 f"{', '.join(TUNABLE)}{hint}")
            lo, hi = TUNABLE[key]
            try:
                value = float("nan") if isinstance(value, (bool, str)) else float(value)
            except (TypeError, ValueError):
                value = float("nan")
            if not np.isfinite(value) or not lo <= value <= hi:
                raise ParameterError(f"param.{key}: {changes[key]!r}: allowed range [{lo}, {hi}]")
            tuned[key] = value
        return replace(self, tuned=tuned)

    def with_body(self, *, mass_kg: float | None = None, height_m: float | None = None) -> "Model":
        """New model with body mass [kg] and/or height [m] changed (range-checked)."""
        m = load_model_from(self.params, mass_kg=self.mass_kg if mass_kg is None else mass_kg,
                            height_m=self.height_m if height_m is None else height_m,
                            strength=self.strength, tightness=self.tightness, tuned=self.tuned)
        return replace(m, slack_shortening=self.slack_shortening, posture_model=self.posture_model,
                       passive_fibre_force=self.passive_fibre_force)

    def param(self, key: str) -> float:
        """Current value of a tunable parameter."""
        if key in self.tuned:
            return self.tuned[key]
        p = self.params
        return {
            "specific_tension_n_per_cm2": p.muscle_model.specific_tension / 1e4,
            "itb_gluteus_maximus_fraction": next(
                (m.itb_fraction for m in p.muscles if m.name == "gluteus_maximus_superior"), 0.0),
            "posture_cost_weight": p.compensation.posture_cost_weight,
            "frontal_orientation_weight": p.compensation.frontal_orientation_weight,
            "itb_youngs_modulus_mpa": p.itb.youngs_modulus / 1e6,
            "lumbopelvic_ratio": p.lumbopelvic_ratio,
            "foot_friction_coefficient": p.foot_friction,
        }[key]

    # ----------------------------------------------------------------- arrays
    @cached_property
    def scale(self) -> float:
        return self.height_m / self.params.reference_height_m

    @cached_property
    def arrays(self) -> ModelArrays:
        """Kernel arrays for the default criterion (p = 2, unit weights)."""
        return build_arrays(self)

    def criterion_arrays(self, exponent: float, weights: np.ndarray) -> ModelArrays:
        return self.arrays._replace(weights=np.ascontiguousarray(weights, dtype=float),
                                    exponent=float(exponent))


def build_arrays(model: Model) -> ModelArrays:
    from ._kernels.geometry import muscle_paths
    from ._kernels.kinematics import segment_frames
    from .recruitment import DEFAULT_RESERVE_WEIGHT

    p = model.params
    k = model.scale
    seg_names = ("trunk", "pelvis", "thigh", "shank", "thigh", "shank")
    sides = ("r", "r", "r", "r", "l", "l")
    seg_mass = np.array([p.segments[n].mass_fraction * model.mass_kg for n in seg_names])
    seg_com = np.array([_mirror(p.segments[n].com, s) for n, s in zip(seg_names, sides)]) * k
    lumbar_loc = np.array(p.joints["lumbar"].location) * k
    hip_loc = np.array([_mirror(p.joints["hip"].location, s) for s in SIDES]) * k
    knee_loc = np.array([_mirror(p.joints["knee"].location, s) for s in SIDES]) * k
    foot_pt = np.array([_mirror(p.foot_contact, s) for s in SIDES]) * k

    mm = p.muscle_model
    # specific tensions are stored in Pa; the tunable is given in N/cm^2
    sigma = model.tuned.get("specific_tension_n_per_cm2", mm.specific_tension / 1e4) * 1e4
    gmax_itb = model.tuned.get("itb_gluteus_maximus_fraction")
    path_seg, path_pt, path_start, side = [], [], [0], []
    fmax, lopt, lts, cos_penn, itb_frac, has_passive = [], [], [], [], [], []
    for s_i, s in enumerate(SIDES):
        for m in p.muscles:
            for seg, pt in m.path:
                path_seg.append(_SEGMENT_CODE[seg][s_i])
                path_pt.append(_mirror(pt, s))
            path_start.append(len(path_seg))
            side.append(s_i)
            fmax.append(m.max_isometric_force * sigma / mm.reference_specific_tension)
            lopt.append(m.optimal_fiber_length * k)
            lts.append(m.tendon_slack_length * k)
            cos_penn.append(np.cos(m.pennation))
            frac = m.itb_fraction
            if gmax_itb is not None and m.name == "gluteus_maximus_superior":
                frac = gmax_itb
            itb_frac.append(frac)
            has_passive.append(m.group in PASSIVE_GROUPS and model.passive_fibre_force)
    lopt = np.array(lopt)
    lts = np.array(lts)
    cos_penn = np.array(cos_penn)
    # passive force starts when the fibres pass their slack length, l_opt for a
    # healthy muscle; slack shortening t moves it to (1 - t) l_opt
    passive_slack = lts + lopt * cos_penn * (1.0 - model.slack_shortening)

    itb_seg, itb_pt = [], []
    for s_i, s in enumerate(SIDES):
        for seg, pt in p.itb.path:
            itb_seg.append(_SEGMENT_CODE[seg][s_i])
            itb_pt.append(_mirror(pt, s))
    nk = len(p.itb.path)
    itb_seg = np.array(itb_seg, dtype=np.int64)
    itb_pt = np.array(itb_pt) * k
    itb_start = np.array([0, nk, 2 * nk], dtype=np.int64)
    # band length at the neutral posture sets its slack length
    R = np.zeros((6, 3, 3)); o = np.zeros((6, 3))
    axes = np.zeros((N_DOF, 3)); centres = np.zeros((N_DOF, 3))
    segment_frames(np.zeros(N_COORD), lumbar_loc, hip_loc, knee_loc, R, o, axes, centres,
                   np.zeros((3, 3, 3)))
    length = np.zeros(2); arm = np.zeros((N_DOF, 2)); pts = np.zeros((2 * nk, 3))
    muscle_paths(R, o, axes, centres, itb_seg, itb_pt, itb_start, pts, length, arm)
    itb_slack = length * (1.0 + p.itb.slack_strain)
    modulus = model.tuned.get("itb_youngs_modulus_mpa", p.itb.youngs_modulus / 1e6) * 1e6
    itb_stiffness = modulus * p.itb.cross_section / itb_slack

    th = p.l5s1_disc_inclination
    n = len(fmax)
    tissue = model.posture == "tissue"
    pj_nz, pj_a, pj_b, pj_range = _passive_joint_arrays(p.passive, tissue)
    tone = np.array([p.passive.tone.get(g, 0.0) if tissue else 0.0 for g in model.muscle_group])
    path_seg = np.array(path_seg, dtype=np.int64)
    path_pt = np.array(path_pt) * k
    path_start = np.array(path_start, dtype=np.int64)
    side = np.array(side, dtype=np.int64)
    if model.tightness.any():
        neutral = (R, o, axes, centres)  # the frames of the ITB slack length above
        passive_slack, pj_nz = _apply_tightness(model, side, passive_slack, pj_nz, path_seg,
                                                path_pt, path_start, neutral)
    return ModelArrays(
        seg_mass=seg_mass, seg_com=seg_com, lumbar_loc=lumbar_loc, hip_loc=hip_loc,
        knee_loc=knee_loc, foot_pt=foot_pt,
        path_seg=path_seg, path_pt=path_pt, path_start=path_start, side=side,
        fmax=np.array(fmax), lopt=lopt, lts=lts, cos_penn=cos_penn,
        passive_slack=passive_slack, has_passive=np.array(has_passive, dtype=np.bool_),
        use_fl=True, fl_width=float(mm.active_force_length_width),
        pe_shape=float(mm.passive_shape_factor), pe_strain=float(mm.passive_strain_at_one_norm_force),
        itb_frac=np.array(itb_frac), itb_seg=itb_seg, itb_pt=itb_pt, itb_start=itb_start,
        itb_stiffness=itb_stiffness, itb_slack=itb_slack,
        disc_normal=np.array([np.sin(th), np.cos(th), 0.0]),
        disc_ap=np.array([np.cos(th), -np.sin(th), 0.0]),
        weights=np.ones(n), upper=1.0 - tone, exponent=2.0,
        reserve_weight=float(DEFAULT_RESERVE_WEIGHT),
        friction=float(model.param("foot_friction_coefficient")),
        pj_nz=pj_nz, pj_a=pj_a, pj_b=pj_b, pj_range=pj_range,
        lig_share=float(p.passive.ligament_share), lig_arm=float(p.passive.ligament_lever_arm),
        tone=tone,
    )


def _passive_joint_arrays(passive, on: bool):
    """(m, 2) arrays of the passive joint curves per DOF (zero moments when off)."""
    from .conventions import DOFS

    nz = np.zeros((N_DOF, 2)); a = np.zeros((N_DOF, 2))
    b = np.ones((N_DOF, 2)); rng = np.ones((N_DOF, 2))
    for j, dof in enumerate(DOFS):
        c = passive.joints[dof[:-2] if dof[-2:] in ("_r", "_l") else dof]
        nz[j] = c.neutral_zone
        for col, (aa, bb, rr) in enumerate((c.negative, c.positive)):
            a[j, col] = aa if on else 0.0
            b[j, col], rng[j, col] = bb, rr
    return nz, a, b, rng


def _apply_tightness(model, side, passive_slack, pj_nz, path_seg, path_pt, path_start, neutral):
    """Clinical tightness [deg] -> shorter passive slack lengths (moment arm x
    angle about the tested DOF, at the neutral posture whose segment frames
    ``neutral`` holds) and, for the hip flexors, the hip capsule's extension
    limit moved by the largest tightness of the side's hip flexors."""
    from ._kernels.geometry import muscle_paths
    from .conventions import DOF_INDEX

    R, o, axes, centres = neutral
    n = path_start.shape[0] - 1
    length = np.zeros(n); arm = np.zeros((N_DOF, n)); pts = np.zeros((path_seg.shape[0], 3))
    muscle_paths(R, o, axes, centres, path_seg, path_pt, path_start, pts, length, arm)
    slack = passive_slack.copy()
    nz = pj_nz.copy()
    for i in np.flatnonzero(model.tightness):
        dof, direction = TIGHTNESS_TESTS[model.muscle_group[i]]
        j = DOF_INDEX[f"{dof}_{SIDES[side[i]]}"]
        # path length change per radian of the lost motion (> 0: the motion stretches it)
        stretch = -direction * arm[j, i]
        slack[i] -= max(stretch, 0.0) * np.deg2rad(model.tightness[i])
    groups = np.array(model.muscle_group)
    for s_i, s in enumerate(SIDES):
        flexors = (groups == "hip_flexors") & (side == s_i)
        shift = np.deg2rad(model.tightness[flexors].max(initial=0.0))
        j = DOF_INDEX[f"hip_flexion_{s}"]
        nz[j, 0] += shift
        nz[j, 1] = max(nz[j, 1], nz[j, 0])
    return slack, nz


def load_model_from(params: ParamSet, *, mass_kg: float, height_m: float,
                    strength=None, tightness=None, tuned=None) -> Model:
    for key, value, lo, hi in (("mass_kg", mass_kg, 20.0, 250.0), ("height_m", height_m, 1.0, 2.5)):
        try:
            ok = not isinstance(value, (bool, np.bool_, str)) and lo <= float(value) <= hi
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ParameterError(f"model: {key}: {value!r}: allowed a number in [{lo}, {hi}]")
    n = 2 * len(params.muscles)
    return Model(params=params, mass_kg=float(mass_kg), height_m=float(height_m),
                 strength=np.ones(n) if strength is None else np.array(strength, dtype=float),
                 tightness=np.zeros(n) if tightness is None else np.array(tightness, dtype=float),
                 slack_shortening=np.zeros(n), tuned=dict(tuned or {}))


def load_model(path=None, *, mass_kg: float | None = None, height_m: float | None = None,
               preset: str | None = None, osim=None) -> Model:
    """Load a model from a parameter file, a named preset or an OpenSim model.

    Parameters
    ----------
    path : str or Path, optional
        TOML parameter file; default the shipped ``default.toml``.
    mass_kg : float [kg], optional (default: the file's, 75 kg for the default)
    height_m : float [m], optional (default: the file's, 1.75 m for the default)
    preset : str, optional (e.g. ``"female"``; see :func:`pelvisim.params.presets`)
    osim : str or Path, optional
        An OpenSim ``.osim`` model (gait2392/gait2354 or Rajagopal family) read by
        :func:`pelvisim.osim.convert`: its masses, joint centres and mapped muscles,
        pelvisim's defaults for the rest (``pelvisim import-osim`` writes the same
        set as an editable file and prints what was mapped).
    """
    if osim is not None:
        if path is not None or preset is not None:
            raise ParameterError(f"<arguments>: osim: {str(osim)!r}: give an OpenSim model, a parameter "
                                 "file or a preset, not several")
        from .osim import load_osim_params

        params = load_osim_params(osim)
    else:
        params = load_params(path, preset=preset)
    return load_model_from(params, mass_kg=params.mass_kg if mass_kg is None else mass_kg,
                           height_m=params.height_m if height_m is None else height_m)
