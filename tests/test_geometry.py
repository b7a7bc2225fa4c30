"""Geometry: moment arms obey virtual work; muscle actions agree with anatomy."""
import numpy as np
import pytest

from pelvisim.conventions import DOFS
from pelvisim.geometry import geometry, posture_vector

POSTURES = [
    {},
    {"hip_flexion_r_deg": 40, "hip_adduction_r_deg": -10, "hip_rotation_r_deg": 15,
     "knee_flexion_r_deg": 50, "lumbar_flexion_deg": 20, "pelvic_tilt_deg": 10},
    {"hip_flexion_l_deg": 70, "hip_adduction_l_deg": 12, "hip_rotation_l_deg": -20,
     "lumbar_bending_deg": -12, "lumbar_rotation_deg": 10, "pelvic_list_deg": 6},
]


@pytest.mark.parametrize("angles", POSTURES)
def test_moment_arm_is_minus_length_derivative(model, angles):
    """r_ij = -dL_i/dq_j (virtual work), central differences, every muscle and DOF."""
    q = posture_vector(**angles)
    g = geometry(model, q)
    h = 1e-6
    for j in range(len(DOFS)):
        dq = np.zeros_like(q)
        dq[2 + j] = h
        fd = -(geometry(model, q + dq).length - geometry(model, q - dq).length) / (2 * h)
        np.testing.assert_allclose(g.moment_arm[j], fd, atol=1e-7, err_msg=DOFS[j])
        fd_itb = -(geometry(model, q + dq).itb_length - geometry(model, q - dq).itb_length) / (2 * h)
        np.testing.assert_allclose(g.itb_moment_arm[j], fd_itb, atol=1e-7)


# muscle -> {dof: sign of its moment arm at neutral}; sources: standard anatomy
# texts (Neumann, Kinesiology of the Musculoskeletal System, 3rd ed., ch. 10, 12).
HIP = {
    "gluteus_maximus_superior": {"hip_flexion": -1, "hip_rotation": -1},
    "gluteus_maximus_middle": {"hip_flexion": -1, "hip_rotation": -1},
    "gluteus_maximus_inferior": {"hip_flexion": -1, "hip_rotation": -1},
    "gluteus_medius_anterior": {"hip_adduction": -1, "hip_flexion": 1, "hip_rotation": 1},
    "gluteus_medius_middle": {"hip_adduction": -1},
    "gluteus_medius_posterior": {"hip_adduction": -1, "hip_flexion": -1, "hip_rotation": -1},
    "gluteus_minimus_anterior": {"hip_adduction": -1, "hip_rotation": 1},
    "gluteus_minimus_middle": {"hip_adduction": -1},
    "gluteus_minimus_posterior": {"hip_adduction": -1},
    "piriformis": {"hip_rotation": -1, "hip_adduction": -1},
    "gemelli": {"hip_rotation": -1},
    "obturator_internus": {"hip_rotation": -1},
    "obturator_externus": {"hip_rotation": -1},
    "quadratus_femoris": {"hip_rotation": -1},
    "tensor_fasciae_latae": {"hip_flexion": 1, "hip_adduction": -1, "hip_rotation": 1},
    "iliacus": {"hip_flexion": 1},
    "psoas": {"hip_flexion": 1, "lumbar_flexion": 1},
    "rectus_femoris": {"hip_flexion": 1, "knee_flexion": -1},
    "sartorius": {"hip_flexion": 1, "hip_adduction": -1, "hip_rotation": -1, "knee_flexion": 1},
    "semimembranosus": {"hip_flexion": -1, "knee_flexion": 1},
    "semitendinosus": {"hip_flexion": -1, "knee_flexion": 1},
    "biceps_femoris_long": {"hip_flexion": -1, "knee_flexion": 1},
    "biceps_femoris_short": {"knee_flexion": 1},
    "adductor_longus": {"hip_adduction": 1, "hip_flexion": 1},
    "adductor_brevis": {"hip_adduction": 1},
    "adductor_magnus_proximal": {"hip_adduction": 1},
    "adductor_magnus_middle": {"hip_adduction": 1},
    "adductor_magnus_ischiocondylar": {"hip_adduction": 1, "hip_flexion": -1},
    "pectineus": {"hip_adduction": 1, "hip_flexion": 1},
    "gracilis": {"hip_adduction": 1, "knee_flexion": 1},
    "vasti": {"knee_flexion": -1},
    "gastrocnemius": {"knee_flexion": 1},
}
# lumbar: extensors have negative flexion arms; bending toward their own side.
LUMBAR = {
    "iliocostalis_lumborum": {"lumbar_flexion": -1, "bend_own_side": 1},
    "longissimus_lumborum": {"lumbar_flexion": -1},
    "longissimus_thoracis": {"lumbar_flexion": -1, "bend_own_side": 1},
    "multifidus": {"lumbar_flexion": -1},
    "quadratus_lumborum": {"bend_own_side": 1},
    "external_oblique": {"bend_own_side": 1},
    "internal_oblique": {"bend_own_side": 1},
    "rectus_abdominis": {"lumbar_flexion": 1},
}


@pytest.mark.parametrize("side", ["r", "l"])
def test_muscle_actions_match_anatomy(model, side):
    g = geometry(model, posture_vector())
    names = list(model.muscles)
    wrong = []
    for muscle, actions in {**HIP, **LUMBAR}.items():
        i = names.index(f"{muscle}_{side}")
        for action, sign in actions.items():
            if action == "bend_own_side":
                dof, sign = "lumbar_bending", (1 if side == "r" else -1)
            elif action.startswith("lumbar"):
                dof = action
            else:
                dof = f"{action}_{side}"
            arm = g.moment_arm[DOFS.index(dof), i]
            if np.sign(arm) != sign or abs(arm) < 1e-3:
                wrong.append(f"{muscle}_{side} {dof}: {arm * 100:+.2f} cm")
    assert not wrong, "moment arms against their textbook action:\n" + "\n".join(wrong)


def test_every_muscle_in_the_anatomy_table(model):
    """No muscle escapes the anatomy check."""
    base = {n[:-2] for n in model.muscles}
    assert base == set(HIP) | set(LUMBAR)


def test_obliques_rotate_the_trunk(model):
    """External oblique rotates the trunk to the opposite side, internal to the same side."""
    g = geometry(model, posture_vector())
    names = list(model.muscles)
    j = DOFS.index("lumbar_rotation")  # + = to the left
    assert g.moment_arm[j, names.index("external_oblique_r")] > 0.005
    assert g.moment_arm[j, names.index("internal_oblique_r")] < -0.005


def test_piriformis_turns_internal_rotator_with_flexion(model):
    """Piriformis externally rotates at neutral and internally rotates at high hip
    flexion, the reversal between 45 and 70 deg (SPEC section 10; Delp et al.
    1999, J Orthop Res 17:455)."""
    i = list(model.muscles).index("piriformis_r")
    j = DOFS.index("hip_rotation_r")
    flex = np.arange(0.0, 100.0, 0.5)
    arm = np.array([geometry(model, posture_vector(hip_flexion_r_deg=f)).moment_arm[j, i]
                    for f in flex])
    assert arm[0] < 0
    crossing = flex[np.argmax(arm > 0)]
    assert arm[-1] > 0 and 45.0 <= crossing <= 70.0, crossing


def test_gluteus_medius_abduction_arm(model):
    """Middle gluteus medius abduction moment arm about 4-5 cm at neutral, smaller
    in adduction (SPEC section 10; Dostal & Andrews 1981; Delp 1999)."""
    i = list(model.muscles).index("gluteus_medius_middle_r")
    j = DOFS.index("hip_adduction_r")
    neutral = -geometry(model, posture_vector()).moment_arm[j, i]
    adducted = -geometry(model, posture_vector(hip_adduction_r_deg=15)).moment_arm[j, i]
    assert 0.035 <= neutral <= 0.055, neutral
    assert adducted < neutral
