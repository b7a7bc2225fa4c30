"""Frames, degrees of freedom, angles and signs: defined once, here.

Frames follow OpenSim (gait2392): x anterior, y superior, z to the right, in
the ground and in every segment frame (trunk, pelvis, thigh, shank) when the
posture is neutral. Left-side geometry is the right side mirrored (z -> -z).

Angles (SI radians inside the code; degrees with a ``_deg`` suffix at the user
boundary):

==================  =========================================================
name                positive direction
==================  =========================================================
pelvic_tilt         anterior tilt (ASIS moves down and forward)
pelvic_list         right iliac crest up (the left side drops)
lumbar_flexion      trunk flexes forward on the pelvis
lumbar_bending      trunk bends to the right on the pelvis
lumbar_rotation     trunk turns to the left on the pelvis (axial rotation)
hip_flexion_<s>     thigh forward
hip_adduction_<s>   thigh toward the midline
hip_rotation_<s>    internal rotation
knee_flexion_<s>    shank backward (flexion)
trunk_flexion       sagittal inclination of the trunk to the vertical
                    (= pelvic_tilt + lumbar_flexion), forward positive
trunk_lean          frontal inclination of the trunk to the vertical
                    (= lumbar_bending - pelvic_list), toward the right positive
==================  =========================================================

Rotation of each joint, child relative to parent, as OpenSim builds it (body
fixed sequence): hip = Rz(flexion) Rx(+/-adduction) Ry(+/-rotation) with the
signs + on the right, - on the left; knee = Rz(-flexion); lumbar =
Rz(-flexion) Rx(bending) Ry(rotation); pelvis in ground = Rz(-tilt) Rx(-list)
(a rotation about +x lowers the right side, hence the minus).

Joint moments ``tau`` [N m] are generalized forces conjugate to the degrees of
freedom below: a positive hip-flexion moment is one that would flex the hip.

The module is also the one vocabulary of the package: gravity, muscle groups,
the names of compensations, criteria, samplers and default outputs, the
shoulder height, the trunk-angle formulas (:func:`trunk_angles`) and the rule
that turns a sweep factor into a dimension name (:func:`dim_name`).
"""
from __future__ import annotations

import keyword
import math

SIDES = ("r", "l")

DOFS = (
    "lumbar_flexion",
    "lumbar_bending",
    "lumbar_rotation",
    "hip_flexion_r",
    "hip_adduction_r",
    "hip_rotation_r",
    "knee_flexion_r",
    "hip_flexion_l",
    "hip_adduction_l",
    "hip_rotation_l",
    "knee_flexion_l",
)
N_DOF = len(DOFS)
DOF_INDEX = {name: i for i, name in enumerate(DOFS)}

# Generalized coordinates of a posture: the pelvis orientation plus the DOFs.
COORDINATES = ("pelvic_tilt", "pelvic_list") + DOFS
N_COORD = len(COORDINATES)
COORD_INDEX = {name: i for i, name in enumerate(COORDINATES)}

SEGMENTS = ("trunk", "pelvis", "thigh_r", "shank_r", "thigh_l", "shank_l")
SEGMENT_INDEX = {name: i for i, name in enumerate(SEGMENTS)}

# ------------------------------------------------------------------ physics
GRAVITY = 9.81  # [m/s^2]: body weight = mass * GRAVITY, and task loads
# Gravity of the OpenSim reference models (gait2392 and Rajagopal .osim files:
# <gravity>0 -9.80665 0</gravity>); only to express OpenSim's own outputs in
# OpenSim's body weights (docs/validation), never inside pelvisim's model.
OPENSIM_GRAVITY = 9.80665  # [m/s^2]

# Shoulder joint centre above L5/S1 in the trunk frame [m] at 1.741 m stature:
# de Leva (1996) trunk length CERV-MIDH 531.9 mm, less about 100 mm from the hip
# centres to L5/S1 and about 50 mm from the cervicale down to the shoulder joints.
SHOULDER_HEIGHT_M = 0.38
DE_LEVA_STATURE_M = 1.741  # de Leva (1996) male stature [m]

# ------------------------------------------------------------------ model vocabulary
GROUPS = (
    "gluteus_maximus", "gluteus_medius", "gluteus_minimus", "tfl", "deep_rotators",
    "hip_flexors", "hamstrings", "adductors", "knee_extensors", "erector_spinae",
    "multifidus", "quadratus_lumborum", "abdominals",
)
COMPENSATION_ANGLES = ("pelvic_list", "trunk_lean", "pelvic_tilt", "lumbar_flexion")
# Compensation strategies (SPEC section 8); "prescribed" is given as a
# pelvisim.Prescribed object, the others by name (COMPENSATIONS).
COMPENSATION_STRATEGIES = ("none", "prescribed", "optimal")
COMPENSATIONS = ("none", "optimal")
# Recruitment criterion name -> (exponent, weights: "unit" or "volume").
CRITERIA = {
    "activation_squared": (2.0, "unit"),   # OpenSim static optimization
    "activation_cubed": (3.0, "unit"),     # Crowninshield & Brand 1981
    "volume_weighted": (2.0, "volume"),    # sum V_i a_i^2, V ~ Fmax * optimal fibre length
    # min max a_i (AnyBody's default), then the least sum of squares under that
    # cap; exponent inf: the limit of the p-norm, solved in the Numba kernel
    "minmax": (math.inf, "unit"),
}
CRITERION_NAMES = tuple(CRITERIA)
SAMPLERS = ("grid", "lhs", "sobol")
# Outputs an experiment summarises and plots unless it names its own.
DEFAULT_OUTPUTS = ("gluteus_medius", "tfl", "itb_tension", "quadratus_lumborum", "erector_spinae",
                   "hip_contact_force", "l5s1_compression")

# ------------------------------------------------------------------ trunk angles
TRUNK_ANGLES = ("trunk_flexion", "trunk_lean")
# Angles of a reported posture: the coordinates, then the trunk inclinations.
POSTURE_ANGLES = COORDINATES + TRUNK_ANGLES


def trunk_angles(q):
    """Trunk inclinations to the vertical from posture coordinates.

    Parameters
    ----------
    q : array_like (..., N_COORD) in ``COORDINATES`` order [rad or deg]

    Returns
    -------
    trunk_flexion, trunk_lean : arrays (...) in the unit of ``q``
        trunk flexion = pelvic tilt + lumbar flexion (forward +);
        trunk lean = lumbar bending - pelvic list (to the right +).
    """
    i = COORD_INDEX
    return (q[..., i["pelvic_tilt"]] + q[..., i["lumbar_flexion"]],
            q[..., i["lumbar_bending"]] - q[..., i["pelvic_list"]])


# ------------------------------------------------------------------ dimension names
def dim_name(factor: str) -> str:
    """Dimension (and variable) name of a sweep factor: a valid Python identifier.

    The factor keeps its spelling as given (``"gluteus_medius+gluteus_minimus"``,
    ``"param.itb_gluteus_maximus_fraction"``) in the coordinate's
    ``attrs["factor"]``; the dimension replaces ``"+"`` by ``"_and_"`` and
    ``"."`` by ``"_"``: ``gluteus_medius_and_gluteus_minimus``,
    ``param_itb_gluteus_maximus_fraction``, ``tightness_hip_flexors``,
    ``task_stance_pct``, ``body_mass_kg``. Names that already are identifiers
    (``gluteus_medius``, ``compensation``) stay as they are.
    """
    name = "_and_".join(part.strip() for part in str(factor).split("+"))
    name = name.replace(".", "_")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"factor {factor!r}: gives no valid dimension name ({name!r})")
    return name
