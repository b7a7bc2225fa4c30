"""Posture from tissues (issue 11; SPEC sections 4, 8, 10): passive joint
moments, muscle tone, clinical tightness and the posture that optimal
compensation picks on the default model, each against its published source.

Measured values on the default model (75 kg) at the time of writing are in the
docstrings; docs/compensation.md has the full tables.
"""
import numpy as np
import pytest

import pelvisim
from conftest import assert_bounds, assert_equilibrium, tissue_moments
from pelvisim._kernels.passive import passive_moment

STANDING = pelvisim.task("standing")
SLS = pelvisim.task("single_leg_stance")
BEND40 = pelvisim.task("forward_bend", trunk_flexion_deg=40)


def _frontal(sol):
    return np.array([sol.posture["pelvic_list_deg"], sol.posture["trunk_lean_deg"]])


def _es(sol):
    return sol.group_force("erector_spinae", "r") + sol.group_force("erector_spinae", "l")


# ------------------------------------------------------------ passive curves
def test_lumbar_flexion_curve_reproduces_dolan_1994(model):
    """In vivo passive flexion resistance of the lumbar spine at full flexion,
    about 120 N m in men (Dolan, Mannion & Adams 1994): the curve gives
    3.7 (exp(3.5) - 1) = 119 N m at 55 deg beyond its neutral zone (+/- 2 N m)."""
    arr = model.arrays
    edge = arr.pj_nz[0, 1]
    m = passive_moment(arr.pj_nz, arr.pj_a, arr.pj_b, arr.pj_range, edge + np.deg2rad(55.0), 0)
    assert m == pytest.approx(-120.0, abs=2.0)


def test_passive_moments_resist_motion_and_vanish_in_the_neutral_zone(model):
    """Every passive curve is zero inside its neutral zone and restoring outside
    (a moment opposite to the displacement), for every DOF and both directions."""
    arr = model.arrays
    for j in range(arr.pj_nz.shape[0]):
        lo, hi = arr.pj_nz[j]
        assert passive_moment(arr.pj_nz, arr.pj_a, arr.pj_b, arr.pj_range, 0.5 * (lo + hi), j) == 0
        above = passive_moment(arr.pj_nz, arr.pj_a, arr.pj_b, arr.pj_range, hi + 0.2, j)
        below = passive_moment(arr.pj_nz, arr.pj_a, arr.pj_b, arr.pj_range, lo - 0.2, j)
        assert above <= 0.0 <= below
        q = np.zeros(13)
        q[j + 2] = hi + 0.2
        assert tissue_moments(arr, q)[j] == pytest.approx(above, rel=1e-12, abs=1e-12)


def test_tissues_and_tone_are_in_the_equilibrium(model):
    """Joint equilibrium with the tissue moments included, in a posture that
    loads them (40 deg bend, lumbar flexion 20 deg); tone makes every trunk
    muscle carry at least its baseline activation."""
    sol = pelvisim.solve(model, BEND40)
    assert sol.passive_moment["lumbar_flexion"] < -5.0
    assert f"passive tissue moments [N m]: lumbar_flexion={sol.passive_moment['lumbar_flexion']:.1f}" \
        in sol.summary()
    assert_equilibrium(sol)
    assert_bounds(sol)
    tone = model.arrays.tone
    act = np.array(list(sol.activation.values()))
    assert np.all(act >= tone - 1e-12)
    assert tone[[i for i, g in enumerate(model.muscle_group) if g == "erector_spinae"]].min() > 0


def test_penalty_model_reproduces_the_earlier_results(model):
    """posture_model = "penalty" switches tissues and tone off and keeps the
    earlier quadratic pull: standing compression 454.8 N as in the previous
    version (README validation table, 454 N), no passive moment anywhere.
    Since issue 15 the knee extensor insertions are fitted to gait2392's
    length curves, which moves it to 453.5 N (454.6 N with the old insertions)."""
    old = model.with_posture_model("penalty")
    sol = pelvisim.solve(old, STANDING, compensation="optimal")
    assert sol.l5s1_compression == pytest.approx(453.5, abs=1.0)
    assert max(abs(v) for v in sol.passive_moment.values()) == 0.0
    assert sol.posture["pelvic_tilt_deg"] == pytest.approx(0.0, abs=0.05)
    with pytest.raises(ValueError, match="tissue, penalty"):
        model.with_posture_model("spring")


# ------------------------------------------------------------ targets 1-5
def test_healthy_standing_posture_and_compression(model):
    """Target 1. Healthy standing, optimal posture: pelvic tilt and lumbar angle
    within 2 deg of the model's reference posture (the gait2392 pelvis read as
    the mean standing pelvis: sacral slope about 40 deg, pelvic tilt about 13
    deg, Mac-Thiong et al. 2011); L5/S1 compression 500-700 N (Arjmand &
    Shirazi-Adl 2006: 570 N; Wilke 1999). Measured: tilt +1.96 deg, lumbar
    -1.96 deg, 665 N (690 N at the reference posture; 455 N without tissues and
    tone). The effort landscape is flat here (objective 0.0013 at the optimum,
    0.0018 at the reference): the tilt is poorly determined by effort."""
    sol = pelvisim.solve(model, STANDING, compensation="optimal")
    assert abs(sol.posture["pelvic_tilt_deg"]) <= 2.0
    assert abs(sol.posture["lumbar_flexion_deg"]) <= 2.0
    assert 500.0 <= sol.l5s1_compression <= 700.0
    fixed = pelvisim.solve(model, STANDING)
    assert 500.0 <= fixed.l5s1_compression <= 700.0
    assert_equilibrium(sol)


def test_single_leg_stance_frontal_posture(model):
    """Target 2. Healthy single-leg stance: frontal posture within 2 deg of the
    task's own (measured list -0.12, lean +0.43 deg). Gluteus medius + minimus
    at 0.5 (nerve block, Kendall et al. 2013, Pohl et al. 2015: no change of
    pelvic drop or trunk lean): change < 1.5 deg -- this is the datum the
    frontal_orientation_weight is calibrated to (1.46 deg), so it checks the
    calibration. At 0.2 (a prediction): a compensation > 3 deg (list -8.0, lean
    +10.2 deg: the Duchenne pattern) and a larger lumbar lateral-bending moment."""
    healthy = pelvisim.solve(model, SLS, compensation="optimal")
    fixed = pelvisim.solve(model, SLS)
    assert np.abs(_frontal(healthy) - _frontal(fixed)).max() < 2.0
    half = pelvisim.solve(model.with_strength(gluteus_medius=0.5, gluteus_minimus=0.5), SLS,
                          compensation="optimal")
    assert np.abs(_frontal(half) - _frontal(healthy)).max() < 1.5
    weak = pelvisim.solve(model.with_strength(gluteus_medius=0.2, gluteus_minimus=0.2), SLS,
                          compensation="optimal")
    assert np.abs(_frontal(weak) - _frontal(healthy)).max() > 3.0
    assert abs(weak.demanded_moment["lumbar_bending"]) > abs(healthy.demanded_moment["lumbar_bending"])
    assert_equilibrium(weak)


def test_tight_hip_flexors_tilt_the_pelvis(model):
    """Target 3. Tight hip flexors (degrees of lost hip extension, modified
    Thomas test; chronic low-back pain about 11 deg, Roach et al. 2015),
    standing, optimal: anterior tilt rises monotonically, by 2-10 deg at 10 deg;
    lordosis (lumbar extension) rises with it; L5/S1 anterior shear rises.
    Measured tilt at 0 / 5 / 10 / 15 / 20 deg: +1.95 / +2.07 / +4.27 / +7.95 /
    +11.60 deg; shear 486 / 500 / 539 / 604 / 679 N."""
    sols = [pelvisim.solve(model.with_tightness(hip_flexors=d), STANDING, compensation="optimal")
            for d in (0.0, 5.0, 10.0, 15.0, 20.0)]
    tilt = np.array([s.posture["pelvic_tilt_deg"] for s in sols])
    lordosis = -np.array([s.posture["lumbar_flexion_deg"] for s in sols])
    shear = np.array([s.l5s1_shear_ap for s in sols])
    assert np.all(np.diff(tilt) > 0), tilt
    assert 2.0 <= tilt[2] - tilt[0] <= 10.0, tilt
    assert np.all(np.diff(lordosis) > 0), lordosis
    assert np.all(np.diff(shear) > 0), shear
    for s in sols:
        assert_equilibrium(s)


def test_tightness_is_degrees_of_lost_range(model):
    """with_tightness(hip_flexors=d) shortens each hip flexor's passive slack
    length by its hip-flexion moment arm x d (the passive force then starts d
    degrees earlier in extension) and moves the capsule's extension limit by d;
    the old fraction lives on as with_slack_shortening."""
    d = 10.0
    tight = model.with_tightness(hip_flexors=d)
    arr0, arr1 = model.arrays, tight.arrays
    i = model.muscles.index("iliacus_r")
    from pelvisim.geometry import geometry
    arm = geometry(model, np.zeros(13)).moment_arm[3, i]   # hip_flexion_r
    assert arr0.passive_slack[i] - arr1.passive_slack[i] == pytest.approx(arm * np.deg2rad(d),
                                                                          rel=1e-9)
    assert arr1.pj_nz[3, 0] - arr0.pj_nz[3, 0] == pytest.approx(np.deg2rad(d))
    assert arr1.pj_nz[7, 0] - arr0.pj_nz[7, 0] == pytest.approx(np.deg2rad(d))  # both sides
    right = model.with_tightness(hip_flexors_r=d).arrays
    assert right.pj_nz[3, 0] - arr0.pj_nz[3, 0] == pytest.approx(np.deg2rad(d))
    assert right.pj_nz[7, 0] == arr0.pj_nz[7, 0]
    assert model.with_slack_shortening(hip_flexors=0.2).arrays.passive_slack[i] < arr0.passive_slack[i]
    with pytest.raises(ValueError, match="tightness"):
        model.with_tightness(gluteus_medius=5.0)


def test_forward_bend_compression_and_passive_share(model):
    """Target 4. 40 deg bend (default rhythm, lumbar 20 deg): L5/S1 compression
    within 20 % of 1912 N and 2-3.5 x standing (Arjmand & Shirazi-Adl 2006;
    measured 2025 N, 2.93 x); the passive share of the lumbar extension moment
    grows with flexion (0.03 at 10 deg trunk flexion to 0.57 at 90 deg). Full
    flexion-relaxation does not come out: at 80 % of the 55 deg lumbar range the
    share is about 0.45, because Dolan's passive curve (about 50 N m there) is
    below the upper body's gravity moment."""
    standing = pelvisim.solve(model, STANDING)
    bend = pelvisim.solve(model, BEND40)
    assert bend.l5s1_compression == pytest.approx(1912.0, rel=0.20)
    assert 2.0 <= bend.l5s1_compression / standing.l5s1_compression <= 3.5
    shares = []
    for tf in (10.0, 30.0, 50.0, 70.0, 90.0):
        s = pelvisim.solve(model, pelvisim.task("forward_bend", trunk_flexion_deg=tf))
        shares.append(s.passive_moment["lumbar_flexion"] / s.demanded_moment["lumbar_flexion"])
    assert np.all(np.diff(shares) > 0), shares


def test_lumbopelvic_rhythm_what_the_mechanics_says(model):
    """Target 4, Tafazzol et al. 2014 (compression falls by up to 21 % as the
    prescribed lumbar/pelvic ratio goes 0.5 -> 3, shear by up to 45 %): the
    shear part comes out (1225 -> 813 N, -34 %), the compression part does not
    (1933 -> 2084 N, +8 %): the posterior ligaments that replace the erector
    spinae pull at about the same lever (5 cm), so the muscle-to-ligament
    handover leaves compression nearly unchanged, and the less tilted sacrum
    turns more of the upper body's weight into compression. The test checks
    what the model says: shear falls by > 25 %, the erector spinae force falls,
    the passive share rises, compression changes by < 10 %."""
    rows = []
    for ratio in (0.5, 1.0, 2.0, 3.0):
        m = model.with_params(lumbopelvic_ratio=ratio / (1.0 + ratio))
        s = pelvisim.solve(m, BEND40)
        rows.append((s.l5s1_compression, s.l5s1_shear_ap, _es(s),
                     s.passive_moment["lumbar_flexion"] / s.demanded_moment["lumbar_flexion"]))
    comp, shear, es, share = np.array(rows).T
    assert shear[-1] < 0.75 * shear[0]
    assert np.all(np.diff(es) < 0) and np.all(np.diff(share) > 0)
    assert abs(comp[-1] / comp[0] - 1.0) < 0.10


def test_weak_hip_extensors_in_the_bend(model):
    """Target 5. Weak hip extensors (gluteus maximus 0.2, hamstrings 0.5) in a
    40 deg bend. Posture fixed: the demanded moments are the same (statics
    does not know strength), so the erector spinae, which cross only L5/S1,
    cannot take over hip extension: their force is unchanged (1640 N) while
    the adductor magnus rises (12.7 -> 119 N). With optimal compensation the
    emergent split is a result: healthy tilt -1.0 deg, weak +0.8 deg (the
    optimum puts nearly all of the 40 deg in the lumbar spine, on its passive
    tissues), erector spinae 941 -> 1063 N."""
    weak_model = model.with_strength(gluteus_maximus=0.2, hamstrings=0.5)
    h, w = pelvisim.solve(model, BEND40), pelvisim.solve(weak_model, BEND40)
    np.testing.assert_allclose(list(w.demanded_moment.values())[:3],
                               list(h.demanded_moment.values())[:3], rtol=1e-9, atol=1e-6)
    assert _es(w) == pytest.approx(_es(h), rel=1e-6)
    magnus = lambda s: sum(f for k, f in s.muscle_force.items()
                           if k.startswith("adductor_magnus") and k.endswith("_r"))
    assert magnus(w) > 2.0 * magnus(h)
    for s in (pelvisim.solve(model, BEND40, compensation="optimal"),
              pelvisim.solve(weak_model, BEND40, compensation="optimal")):
        assert s.posture["trunk_flexion_deg"] == pytest.approx(40.0)
        assert_equilibrium(s)
