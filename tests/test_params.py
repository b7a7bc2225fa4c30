"""Parameter sets and their validated loader (pelvisim.params)."""
from __future__ import annotations

import math
import re
import tomllib

import numpy as np
import pytest

from pelvisim.params import GROUPS, ParameterError, ParamSet, load_params, presets
from pelvisim.resources import data_file

# SPEC section 4: group -> muscles (names fixed by the parameter-set brief)
SPEC_MUSCLES = {
    "gluteus_maximus": {"gluteus_maximus_superior", "gluteus_maximus_middle", "gluteus_maximus_inferior"},
    "gluteus_medius": {"gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior"},
    "gluteus_minimus": {"gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior"},
    "tfl": {"tensor_fasciae_latae"},
    "deep_rotators": {"piriformis", "gemelli", "obturator_internus", "obturator_externus", "quadratus_femoris"},
    "hip_flexors": {"iliacus", "psoas", "rectus_femoris", "sartorius"},
    "hamstrings": {"semimembranosus", "semitendinosus", "biceps_femoris_long", "biceps_femoris_short"},
    "adductors": {"adductor_magnus_proximal", "adductor_magnus_middle", "adductor_magnus_ischiocondylar",
                  "adductor_longus", "adductor_brevis", "pectineus", "gracilis"},
    "knee_extensors": {"vasti", "gastrocnemius"},
    "erector_spinae": {"iliocostalis_lumborum", "longissimus_lumborum", "longissimus_thoracis"},
    "multifidus": {"multifidus"},
    "quadratus_lumborum": {"quadratus_lumborum"},
    "abdominals": {"rectus_abdominis", "external_oblique", "internal_oblique"},
}


@pytest.fixture(scope="module")
def default() -> ParamSet:
    return load_params()


@pytest.fixture(scope="module")
def default_text() -> str:
    return data_file("params", "default.toml").read_text()


def write(tmp_path, text, name="bad.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def edited(text, old, new, count=1):
    assert old in text, old
    return text.replace(old, new, count)


def expect_error(path, *fragments):
    with pytest.raises(ParameterError) as info:
        load_params(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


# --------------------------------------------------------------------------- shipped sets
def test_presets_listed():
    assert {"default", "female"} <= set(presets())


@pytest.mark.parametrize("preset", ["default", "female"])
def test_presets_load(preset):
    p = load_params(preset=preset)
    assert p.name == preset
    assert len(p.sha256) == 64
    total = sum(s.mass_fraction * (2 if s.name in ("thigh", "shank") else 1) for s in p.segments.values())
    assert abs(total - 1) <= 1e-3


def test_default_is_default_preset(default):
    assert load_params(preset="default").sha256 == default.sha256
    assert (default.mass_kg, default.height_m, default.reference_height_m) == (75.0, 1.75, 1.80)


def test_female_body():
    f = load_params(preset="female")
    assert (f.mass_kg, f.height_m) == (62.0, 1.65)


def test_every_spec_group_and_muscle_present(default):
    by_group: dict[str, set[str]] = {}
    for m in default.muscles:
        by_group.setdefault(m.group, set()).add(m.name)
    assert set(GROUPS) == set(SPEC_MUSCLES)
    assert by_group == SPEC_MUSCLES


def test_every_muscle_has_a_source(default):
    for m in default.muscles:
        assert m.source.strip(), m.name
    for s in default.segments.values():
        assert s.source.strip()
    for j in default.joints.values():
        assert j.source.strip()
    assert default.itb.source and default.muscle_model.source and default.compensation.source


def test_units_converted_to_si(default):
    gm = default.muscle("gluteus_medius_anterior")
    assert gm.max_isometric_force == 819.0
    assert gm.pennation == pytest.approx(math.radians(8.0))
    assert default.muscle_model.specific_tension == pytest.approx(60e4)
    assert default.itb.youngs_modulus > 1e7 and default.itb.cross_section < 1e-3
    assert default.compensation.angle_scale == pytest.approx(math.radians(5.0))
    lo, hi = default.compensation.bounds["pelvic_tilt"]
    assert lo == pytest.approx(math.radians(-10)) and hi == pytest.approx(math.radians(25))


def test_itb_fractions(default):
    assert default.muscle("tensor_fasciae_latae").itb_fraction == 1.0
    assert default.muscle("gluteus_maximus_superior").itb_fraction == 0.7
    others = [m for m in default.muscles if m.name not in ("tensor_fasciae_latae", "gluteus_maximus_superior")]
    assert all(m.itb_fraction == 0.0 for m in others)


def test_psoas_starts_on_trunk(default):
    assert default.muscle("psoas").path[0][0] == "trunk"


def _arms_l5s1(p: ParamSet, name: str):
    """Moment arms [cm] about the L5/S1 centre at neutral: extension, right bending, left rotation."""
    c = np.array(p.joints["lumbar"].location)
    path = p.muscle(name).path
    for (s0, a), (s1, b) in zip(path[:-1], path[1:]):
        if {s0, s1} == {"pelvis", "trunk"}:
            pa = np.array(a if s0 == "pelvis" else b)
            tb = np.array(b if s1 == "trunk" else a) + c
            e = (tb - pa) / np.linalg.norm(tb - pa)
            m = np.cross(pa - c, -e) * 100
            return m[2], m[0], m[1]
    raise AssertionError(f"{name} does not cross L5/S1")


@pytest.mark.parametrize("name, ext, bend", [
    ("iliocostalis_lumborum", 3.4, 5.0), ("longissimus_lumborum", 4.4, 3.3), ("longissimus_thoracis", 6.1, 4.0),
    ("multifidus", 4.8, 2.1), ("quadratus_lumborum", 0.1, 6.4), ("external_oblique", -8.5, 7.3),
    ("internal_oblique", -5.5, 9.8), ("rectus_abdominis", -15.5, 5.8), ("psoas", -2.7, 3.9),
])
def test_lumbar_moment_arms(default, name, ext, bend):
    e, b, _ = _arms_l5s1(default, name)
    assert e == pytest.approx(ext, abs=0.3)
    assert b == pytest.approx(bend, abs=0.3)


def test_obliques_rotate_in_opposite_directions(default):
    assert _arms_l5s1(default, "external_oblique")[2] > 1.0   # right EO turns the trunk to the left
    assert _arms_l5s1(default, "internal_oblique")[2] < -1.0  # right IO turns it to the right


# --------------------------------------------------------------------------- preset errors
def test_unknown_preset_lists_valid_names():
    with pytest.raises(ParameterError, match=r"'nope'.*default.*female"):
        load_params(preset="nope")


# --------------------------------------------------------------------------- one test per kind of error
def test_malformed_toml_names_line(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "mass_kg = 75.0", "mass_kg = = 75.0"))
    msg = expect_error(p, "malformed TOML")
    assert re.search(r"line \d+", msg)


def test_unknown_key_suggests_close_match(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "mass_kg = 75.0", "mass_kgs = 75.0"))
    expect_error(p, "body.mass_kgs", "unknown key", "did you mean 'mass_kg'", "allowed keys: mass_kg, height_m")


def test_missing_key(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "height_m = 1.75\n", ""))
    expect_error(p, "body.height_m", "missing key", "required keys")


def test_wrong_type(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "mass_kg = 75.0", 'mass_kg = "heavy"'))
    expect_error(p, "body.mass_kg", "'heavy'", "expected a number")


def test_non_finite_number(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "max_isometric_force_n = 819.0", "max_isometric_force_n = nan"))
    expect_error(p, "muscles.gluteus_maximus_middle.max_isometric_force_n", "nan", "finite")


@pytest.mark.parametrize("old, new, key, allowed", [
    ("mass_kg = 75.0", "mass_kg = 300.0", "body.mass_kg", "[20, 250]"),
    ("height_m = 1.75", "height_m = 0.5", "body.height_m", "[1, 2.5]"),
    ("max_isometric_force_n = 819.0", "max_isometric_force_n = -5.0", "muscles.gluteus_maximus_middle.max_isometric_force_n", "[0.001, 20000]"),
    ("pennation_deg = 8.0", "pennation_deg = 60.0", "muscles.gluteus_medius_anterior.pennation_deg", "[0, 60)"),
    ("itb_fraction = 0.7", "itb_fraction = 1.5", "muscles.gluteus_maximus_superior.itb_fraction", "[0, 1]"),
    ("optimal_fiber_length_m = 0.0535", "optimal_fiber_length_m = 0.0", "muscles.gluteus_medius_anterior.optimal_fiber_length_m", "[0.005, 0.6]"),
])
def test_out_of_range(tmp_path, default_text, old, new, key, allowed):
    p = write(tmp_path, edited(default_text, old, new))
    expect_error(p, key, "allowed range", allowed)


def test_bounds_lower_below_upper(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "pelvic_tilt = [-10.0, 25.0]", "pelvic_tilt = [25.0, -10.0]"))
    expect_error(p, "compensation.bounds_deg.pelvic_tilt", "lower bound must be < upper bound")


def test_unknown_segment_in_path(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, '[ ["pelvis", -0.0408, 0.0304, 0.1209], ["thigh"',
                               '[ ["pelvis", -0.0408, 0.0304, 0.1209], ["femur"'))
    expect_error(p, "muscles.gluteus_medius_anterior.path[1]", "'femur'", "allowed: trunk, pelvis, thigh, shank")


def test_path_too_short(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, 'path = [ ["pelvis", -0.0408, 0.0304, 0.1209], ["thigh", 0.005, -0.0117, 0.0555] ]',
                               'path = [ ["pelvis", -0.0408, 0.0304, 0.1209] ]'))
    expect_error(p, "muscles.gluteus_medius_anterior.path", "at least 2 points")


def test_path_crossing_no_joint(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, '[ ["pelvis", -0.0408, 0.0304, 0.1209], ["thigh"',
                               '[ ["pelvis", -0.0408, 0.0304, 0.1209], ["pelvis"'))
    expect_error(p, "muscles.gluteus_medius_anterior.path", "crosses no joint", "at least two segments")


def test_duplicated_muscle_name(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, 'name = "gluteus_medius_middle"', 'name = "gluteus_medius_anterior"'))
    expect_error(p, "name", "'gluteus_medius_anterior'", "duplicated muscle name")


def test_unknown_group(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, 'group = "gluteus_medius"', 'group = "gluteus_media"'))
    expect_error(p, "muscles.gluteus_medius_anterior.group", "'gluteus_media'", "did you mean 'gluteus_medius'",
                 "allowed: gluteus_maximus")


def test_mass_fractions_must_sum_to_one(tmp_path, default_text):
    p = write(tmp_path, edited(default_text, "mass_fraction = 0.1117", "mass_fraction = 0.2117"))
    expect_error(p, "segments.*.mass_fraction", "must sum to 1", "tolerance")


def test_error_names_file_for_female_too(tmp_path):
    text = data_file("params", "female.toml").read_text()
    p = write(tmp_path, edited(text, "mass_kg = 62.0", "mass_kg = 10.0"), name="female_bad.toml")
    expect_error(p, "body.mass_kg", "10.0", "[20, 250]")


def test_every_number_has_a_source_in_file():
    for name in ("default", "female"):
        data = tomllib.loads(data_file("params", f"{name}.toml").read_text())
        for section in ("body", "foot", "muscle_model", "itb", "l5s1", "posture", "compensation"):
            assert data[section]["source"].strip(), (name, section)
        for m in data["muscles"]:
            assert m["source"].strip(), (name, m["name"])
