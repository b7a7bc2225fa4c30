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
"""
from __future__ import annotations

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

# Standard gravity [m/s^2] of every weight in the model (OpenSim gait2392's
# ground gravity is -9.80665; the 0.03 % difference is below every tolerance).
GRAVITY = 9.81
