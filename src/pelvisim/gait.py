"""Walking data for the ``gait_stance`` task: a table of the stance phase.

A :class:`GaitTable` holds joint angles, joint moments and the ground reaction
force of ONE stance phase (heel strike = 0 %, toe off = 100 %), with the
stance leg always in the ``_r`` columns, in pelvisim's conventions
(:mod:`pelvisim.conventions`):

- angles [deg]: pelvic tilt and list relative to the ground, lumbar angles of
  the trunk relative to the pelvis, hip angles of the thigh relative to the
  pelvis, knee flexion;
- moments [N m/kg]: generalized forces conjugate to those angles (a positive
  hip adduction moment would adduct the hip), divided by body mass;
- ground reaction on the stance foot [BW], ground frame (x anterior, y up,
  z right), divided by body weight ``mass * GRAVITY`` (9.81 m/s^2,
  :data:`pelvisim.conventions.GRAVITY`, the gravity the model multiplies back);
- optional (:data:`OPTIONAL_COLUMNS`): the other leg's hip and knee moments
  (``_l`` columns, from the same inverse dynamics), the other foot's ground
  reaction [BW] and its centre of pressure [m] relative to the pelvis origin
  (ground axes), zero while that foot is off the ground.

The shipped default (``params/gait_normative.csv``) is built by
:func:`build_reference_table` from the OpenSim gait2392 example trial;
:func:`table_from_opensim` builds the same table from a user's trial.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .conventions import GRAVITY
from .errors import InputFileError, TaskError, read_text
from .io import OpenSimTable, read_opensim_table

__all__ = [
    "COLUMNS",
    "GaitTable",
    "build_reference_table",
    "detect_stance",
    "load_gait_table",
    "table_from_opensim",
]

G = GRAVITY  # [m/s^2], the model's (pelvisim.conventions)

ANGLE_COLUMNS = (
    "pelvic_tilt_deg", "pelvic_list_deg",
    "lumbar_flexion_deg", "lumbar_bending_deg", "lumbar_rotation_deg",
    "hip_flexion_r_deg", "hip_adduction_r_deg", "hip_rotation_r_deg", "knee_flexion_r_deg",
    "hip_flexion_l_deg", "hip_adduction_l_deg", "hip_rotation_l_deg", "knee_flexion_l_deg",
)
MOMENT_COLUMNS = (
    "lumbar_flexion_moment", "lumbar_bending_moment", "lumbar_rotation_moment",
    "hip_flexion_r_moment", "hip_adduction_r_moment", "hip_rotation_r_moment",
    "knee_flexion_r_moment",
)
GRF_COLUMNS = ("grf_x_bw", "grf_y_bw", "grf_z_bw")
COLUMNS = ANGLE_COLUMNS + MOMENT_COLUMNS + GRF_COLUMNS
# Validity limits of a gait table (not model values): angles within half a
# turn [deg]; joint moments [N m/kg] and ground reactions [BW] within about 50x
# the largest of walking (about 2 N m/kg and 1.2 BW; Winter 2009), so that a
# unit slip or a typo (1e308) is an error instead of a non-finite solve.
TABLE_LIMITS = {"_deg": 180.0, "_moment": 100.0, "_bw": 100.0}
"""Data columns of a gait table (``stance_pct`` [%] comes first in the CSV)."""
# Optional columns (a table without them still works): the other leg's joint
# moments and the other foot's ground reaction and centre of pressure, used in
# double support and for the swing leg (see task_library.gait_stance).
OTHER_MOMENT_COLUMNS = (
    "hip_flexion_l_moment", "hip_adduction_l_moment", "hip_rotation_l_moment",
    "knee_flexion_l_moment",
)
OTHER_GRF_COLUMNS = ("grf_l_x_bw", "grf_l_y_bw", "grf_l_z_bw")
OTHER_COP_COLUMNS = ("cop_l_x_m", "cop_l_y_m", "cop_l_z_m")
OPTIONAL_COLUMNS = OTHER_MOMENT_COLUMNS + OTHER_GRF_COLUMNS + OTHER_COP_COLUMNS

# pelvisim coordinate -> (gait2392 coordinate, sign); checked against the joint
# axes in gait2392_millard2012muscle.osim (joints ground_pelvis, back, hip, knee).
_OPENSIM_COORD = {
    "pelvic_tilt": ("pelvis_tilt", -1.0),        # Rz(+) lifts the ASIS: posterior tilt
    "pelvic_list": ("pelvis_list", -1.0),        # Rx(+) lowers the right crest
    "lumbar_flexion": ("lumbar_extension", -1.0),  # Rz(+) tips the trunk back
    "lumbar_bending": ("lumbar_bending", 1.0),   # Rx(+) tips the trunk to the right
    "lumbar_rotation": ("lumbar_rotation", 1.0),  # Ry(+) turns the trunk's front to the left
    "hip_flexion": ("hip_flexion", 1.0),
    "hip_adduction": ("hip_adduction", 1.0),     # left axes mirrored in gait2392
    "hip_rotation": ("hip_rotation", 1.0),       # internal +
    "knee_flexion": ("knee_angle", -1.0),        # knee_angle + = extension
}
# Quantities that change sign when a left stance is mirrored into the right columns.
_MIRROR_NEGATE = ("pelvic_list", "lumbar_bending", "lumbar_rotation", "grf_z")

SIGN_NOTE = (
    "signs (pelvisim.conventions, from the gait2392 joint axes): pelvic_tilt = -pelvis_tilt (anterior +); "
    "pelvic_list = -pelvis_list (right crest up +; gait2392 list is about +x, right crest down +); "
    "lumbar_flexion = -lumbar_extension; lumbar_bending = +lumbar_bending (to the right +); "
    "lumbar_rotation = +lumbar_rotation (trunk to the left +); knee_flexion = -knee_angle; "
    "hip flexion/adduction/internal rotation as OpenSim on both sides; "
    "each moment converts with the sign of its coordinate"
)
UNITS_NOTE = (
    "units: stance_pct [%] heel strike 0 to toe off 100; *_deg [deg]; *_moment [N m/kg] (joint moment / body mass); "
    f"grf_*_bw [BW] (force on the stance foot / (mass * {G} m/s^2)), ground frame x anterior, y up, z right; "
    "grf_l_*_bw [BW] the other foot's, cop_l_*_m [m] its centre of pressure minus the pelvis origin (pelvis_tx/ty/tz), "
    "both 0 while its vertical force is below the contact threshold; "
    "pelvic angles relative to the ground, hip angles pelvis-relative, lumbar angles trunk relative to pelvis"
)

REFERENCE_FILES = (
    "subject01_walk1_inverse_dynamics.sto",
    "subject01_walk1_ik.mot",
    "subject01_walk1_grf.mot",
)
REFERENCE_MASS_KG = 72.6
REFERENCE_CREDIT = (
    "credit: OpenSim gait2392 example subject01 walk1, opensim-org/opensim-models, "
    "Delp et al. 1990 / Anderson & Pandy; CC BY 3.0"
)


@dataclass(frozen=True, eq=False)
class GaitTable:
    """Stance-phase walking table.

    Attributes
    ----------
    stance_pct : numpy.ndarray, shape (k,)
        Stance phase [%], strictly increasing from 0 (heel strike) to 100 (toe off).
    columns : dict of str to numpy.ndarray
        Each of :data:`COLUMNS` (and any extra user columns), shape (k,); units
        as their names say (see the module docstring).
    source : str
        Provenance text (one or more lines): data source, credit, event
        detection, sign conversions, units.
    mass_kg : float or None
        Body mass of the original subject [kg], if known.
    """

    stance_pct: np.ndarray
    columns: dict
    source: str = ""
    mass_kg: float | None = None

    def __post_init__(self):
        pct = np.array(self.stance_pct, dtype=float)
        if pct.ndim != 1 or pct.size < 2 or np.any(np.diff(pct) <= 0):
            raise InputFileError("GaitTable: stance_pct must be a strictly increasing 1-D array of at least 2 values [%]")
        cols = {}
        for name, values in self.columns.items():
            arr = np.array(values, dtype=float)
            if arr.shape != pct.shape:
                raise InputFileError(f"GaitTable: column {name!r} has shape {arr.shape}, expected {pct.shape} like stance_pct")
            arr.setflags(write=False)
            cols[name] = arr
        pct.setflags(write=False)
        object.__setattr__(self, "stance_pct", pct)
        object.__setattr__(self, "columns", cols)

    def at(self, stance_pct: float) -> dict[str, float]:
        """Values of every column at one stance phase, by linear interpolation.

        Parameters
        ----------
        stance_pct : float
            Stance phase [%].

        Returns
        -------
        dict of str to float
            Column name -> value (units as in the column names).

        Raises
        ------
        ValueError
            If ``stance_pct`` is outside the table's range [0, 100] % (or not finite).
        """
        lo, hi = float(self.stance_pct[0]), float(self.stance_pct[-1])
        x = float(stance_pct)
        if not (lo <= x <= hi):
            raise TaskError(f"stance_pct = {stance_pct!r} is outside the allowed range [{lo:g}, {hi:g}] %")
        return {name: float(np.interp(x, self.stance_pct, v)) for name, v in self.columns.items()}

    def to_csv(self, path) -> Path:
        """Write the table as CSV: ``#`` provenance lines, a ``# mass_kg = ...``
        line, the header ``stance_pct,<columns>``, one row per stance phase.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        path = Path(path)
        lines = [f"# {line}".rstrip() for line in self.source.splitlines()]
        lines.append(f"# mass_kg = {self.mass_kg:g}" if self.mass_kg is not None else "# mass_kg = unknown")
        names = list(self.columns)
        lines.append(",".join(["stance_pct"] + names))
        for i, pct in enumerate(self.stance_pct):
            lines.append(",".join([f"{pct:g}"] + [f"{self.columns[n][i]:.6f}" for n in names]))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


@functools.lru_cache(maxsize=1)
def _shipped_table() -> GaitTable:
    # read once: every gait_stance point of a sweep builds its task from it
    from .resources import data_file

    return load_gait_table(data_file("params", "gait_normative.csv"))


def load_gait_table(path=None) -> GaitTable:
    """Read a gait table CSV (the format :meth:`GaitTable.to_csv` writes).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A user table with the columns ``stance_pct`` and :data:`COLUMNS`; ``None``
        reads the shipped ``params/gait_normative.csv``.

    Returns
    -------
    GaitTable

    Raises
    ------
    ValueError
        Naming the file and the problem: a missing column, a non-numeric or
        missing value (GRF columns may be ``nan``), or ``stance_pct`` not
        strictly increasing from 0 to 100.
    """
    if path is None:
        return _shipped_table()
    path = Path(path)
    name = path.name
    source, mass, header, body_start = [], None, None, 0
    lines = read_text(path, "gait table (.csv)").splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            text = s[1:].strip()
            key, eq, value = text.partition("=")
            if eq and key.strip() == "mass_kg":
                try:
                    mass = None if value.strip() == "unknown" else float(value)
                except ValueError:
                    raise InputFileError(f"{name}: line {i + 1}: mass_kg = {value.strip()!r}: "
                                         f"allowed a number [kg] or unknown") from None
            else:
                source.append(text)
            continue
        header, body_start = [h.strip() for h in s.split(",")], i + 1
        break
    if header is None:
        raise InputFileError(f"{name}: no header line found; expected 'stance_pct,' followed by the gait columns")
    for col in ("stance_pct",) + COLUMNS:
        if col not in header:
            raise InputFileError(f"{name}: missing column {col!r}; expected stance_pct and {', '.join(COLUMNS)}")
    rows = []
    for i in range(body_start, len(lines)):
        if not lines[i].strip():
            continue
        fields = lines[i].split(",")
        if len(fields) != len(header):
            raise InputFileError(f"{name}: line {i + 1} has {len(fields)} values, expected {len(header)} (one per column)")
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            raise InputFileError(f"{name}: non-numeric value at line {i + 1}; expected numbers") from None
    data = np.array(rows, dtype=float).reshape(-1, len(header))
    pct = data[:, header.index("stance_pct")]
    if pct.size < 2 or np.any(np.diff(pct) <= 0) or pct[0] != 0.0 or pct[-1] != 100.0:
        raise InputFileError(f"{name}: stance_pct must increase strictly from 0 to 100 [%]")
    for j, col in enumerate(header):
        if col not in GRF_COLUMNS and np.any(~np.isfinite(data[:, j])):
            raise InputFileError(f"{name}: column {col!r} has missing or non-finite values; expected numbers")
        limit = next((v for suffix, v in TABLE_LIMITS.items() if col.endswith(suffix)), None)
        values = data[:, j][np.isfinite(data[:, j])]
        if limit is not None and np.any(np.abs(values) > limit):
            bad = float(values[np.argmax(np.abs(values))])
            raise InputFileError(f"{name}: column {col!r}: {bad!r}: allowed values within "
                                 f"+/-{limit:g} (check the units)")
    if mass is not None and not (np.isfinite(mass) and 20.0 <= mass <= 250.0):
        raise InputFileError(f"{name}: mass_kg = {mass!r}: allowed a number in [20, 250] [kg] "
                             f"or unknown")
    columns = {col: data[:, j] for j, col in enumerate(header) if col != "stance_pct"}
    return GaitTable(stance_pct=pct, columns=columns, source="\n".join(source), mass_kg=mass)


def _crossings(t: np.ndarray, f: np.ndarray, threshold: float, rising: bool) -> np.ndarray:
    """Times [s] where ``f`` crosses ``threshold`` upward (or downward), linearly interpolated."""
    above = f >= threshold
    idx = np.flatnonzero(~above[:-1] & above[1:]) if rising else np.flatnonzero(above[:-1] & ~above[1:])
    frac = (threshold - f[idx]) / (f[idx + 1] - f[idx])
    return t[idx] + frac * (t[idx + 1] - t[idx])


def detect_stance(time, fy, threshold_n: float = 20.0, t_min: float = -np.inf, t_max: float = np.inf):
    """Heel strike and toe off of the first complete stance inside a time window.

    Parameters
    ----------
    time : array_like, shape (n,)
        Time [s].
    fy : array_like, shape (n,)
        Vertical ground reaction force on the foot [N].
    threshold_n : float
        Contact threshold [N]: heel strike when ``fy`` rises through it, toe off
        when it next falls through it.
    t_min, t_max : float
        Window [s] the stance must lie in (e.g. where kinematics and moments exist).

    Returns
    -------
    (float, float)
        Heel-strike and toe-off times [s].

    Raises
    ------
    ValueError
        If no complete stance lies in the window.
    """
    t, f = np.asarray(time, float), np.asarray(fy, float)
    for hs in _crossings(t, f, threshold_n, rising=True):
        if hs < t_min:
            continue
        offs = _crossings(t, f, threshold_n, rising=False)
        offs = offs[offs > hs]
        if offs.size and offs[0] <= t_max:
            return float(hs), float(offs[0])
        break
    raise InputFileError(
        f"no complete stance (vertical GRF rising through {threshold_n:g} N, then falling through it) "
        f"between t = {t_min:g} s and {t_max:g} s"
    )


def _angle(ik: OpenSimTable, coord: str) -> np.ndarray:
    values = ik.column(coord)
    return values if ik.in_degrees else np.degrees(values)


def table_from_opensim(
    id_sto,
    ik_mot,
    grf_mot=None,
    *,
    side: str = "r",
    mass_kg: float | None = None,
    force_set: str | None = None,
    threshold_n: float = 20.0,
    stance: tuple[float, float] | None = None,
    step_pct: float = 2.0,
    credit: str | None = None,
) -> GaitTable:
    """Build a stance-phase gait table from an OpenSim walking trial (gait2392 coordinates).

    Parameters
    ----------
    id_sto : str or pathlib.Path
        Inverse-dynamics output (``<coordinate>_moment`` columns [N m]).
    ik_mot : str or pathlib.Path
        Inverse-kinematics angles (degrees or radians per its header).
    grf_mot : str or pathlib.Path, optional
        Ground reactions (``<force_set>vx/vy/vz`` [N], ground frame). Needed to
        detect the stance unless ``stance`` is given; without it the GRF columns
        are NaN.
    side : {"r", "l"}
        Stance leg. A left stance is mirrored (z -> -z) into the right columns:
        left and right columns swap and pelvic list, lumbar bending and
        rotation (angles and moments) and the lateral GRF change sign.
    mass_kg : float, optional
        Body mass [kg]. If omitted it is estimated from the mean total vertical
        GRF (all ``*force_vy`` columns) over the stride that starts at the
        detected heel strike, which needs ``grf_mot`` and a second heel strike.
    force_set : str, optional
        Column prefix of the stance foot's force set; default ``"ground_force_"``
        (the first set) for ``side="r"`` and ``"1_ground_force_"`` for ``"l"``.
    threshold_n : float
        Vertical GRF threshold [N] for heel strike and toe off.
    stance : (float, float), optional
        Heel-strike and toe-off times [s]; overrides the detection.
    step_pct : float
        Resampling step [%]; must divide 100.
    credit : str, optional
        Credit line for the data, kept in the table's ``source``.

    Returns
    -------
    GaitTable
    """
    if side not in ("r", "l"):
        raise InputFileError(f"side = {side!r}; expected 'r' or 'l'")
    n_step = 100.0 / step_pct
    if step_pct <= 0 or abs(n_step - round(n_step)) > 1e-9:
        raise InputFileError(f"step_pct = {step_pct!r}; expected a positive step that divides 100 [%]")
    ids, ik = read_opensim_table(id_sto), read_opensim_table(ik_mot)
    grf = read_opensim_table(grf_mot) if grf_mot is not None else None
    other = "l" if side == "r" else "r"
    if force_set is None:
        force_set = "ground_force_" if side == "r" else "1_ground_force_"

    t_min = max(ids.time[0], ik.time[0])
    t_max = min(ids.time[-1], ik.time[-1])
    if stance is not None:
        t_hs, t_to = map(float, stance)
        how = f"heel strike / toe off given: t = {t_hs:.4f} s and {t_to:.4f} s"
        if not (t_min <= t_hs < t_to <= t_max):
            raise InputFileError(f"stance = {stance!r} s is not inside the data's time range [{t_min:g}, {t_max:g}] s")
    elif grf is None:
        raise InputFileError("table_from_opensim needs grf_mot to detect the stance, or stance=(t_heel_strike, t_toe_off) [s]")
    else:
        t_hs, t_to = detect_stance(grf.time, grf.column(force_set + "vy"), threshold_n, t_min, t_max)
        how = (f"heel strike / toe off: vertical GRF {force_set}vy of {Path(grf.path).name} crossing "
               f"{threshold_n:g} N (t = {t_hs:.4f} s and {t_to:.4f} s)")

    if mass_kg is None:
        mass_kg, mass_note = _estimate_mass(grf, force_set, threshold_n, t_hs), "estimated from mean vertical GRF over a stride"
    else:
        mass_kg, mass_note = float(mass_kg), "given"

    pct = np.linspace(0.0, 100.0, int(round(n_step)) + 1)
    t = t_hs + pct / 100.0 * (t_to - t_hs)
    cols = {}
    for ours in ANGLE_COLUMNS:
        base = ours[: -len("_deg")]
        cols[ours] = _converted(base, side, other, lambda c: np.interp(t, ik.time, _angle(ik, c)))
    for ours in MOMENT_COLUMNS:
        base = ours[: -len("_moment")]
        cols[ours] = _converted(base, side, other, lambda c: np.interp(t, ids.time, ids.column(c + "_moment"))) / mass_kg
    for axis, ours in zip("xyz", GRF_COLUMNS):
        if grf is None:
            cols[ours] = np.full_like(t, np.nan)
        else:
            sign = -1.0 if (side == "l" and axis == "z") else 1.0
            cols[ours] = sign * np.interp(t, grf.time, grf.column(force_set + "v" + axis)) / (mass_kg * G)
    for ours in OTHER_MOMENT_COLUMNS:
        base = ours[: -len("_moment")]
        cols[ours] = _converted(base, side, other, lambda c: np.interp(t, ids.time, ids.column(c + "_moment"))) / mass_kg
    if grf is not None:
        cols.update(_other_foot(grf, ik, t, side, force_set, threshold_n, mass_kg))

    files = ", ".join(Path(p.path).name for p in (ids, ik, grf) if p is not None)
    lines = [
        "pelvisim gait_stance table: stance phase of one leg in the _r columns"
        + (" (left stance mirrored to the right)" if side == "l" else " (right leg)"),
        f"source: {files}",
    ]
    if credit:
        lines.append(credit)
    lines += [how, f"subject mass {mass_kg:g} kg ({mass_note}); BW = mass * {G} m/s^2", SIGN_NOTE, UNITS_NOTE]
    return GaitTable(stance_pct=pct, columns=cols, source="\n".join(lines), mass_kg=mass_kg)


def _other_set(grf: OpenSimTable, force_set: str) -> str | None:
    """Column prefix of the other foot's force set (the one that is not ``force_set``)."""
    sets = sorted({c[: -len("vy")] for c in grf.columns if c.endswith("force_vy")} - {force_set})
    return sets[0] if len(sets) == 1 else None


def _other_foot(grf, ik, t, side, force_set, threshold_n, mass_kg) -> dict:
    """The other foot's ground reaction [BW] and centre of pressure relative to
    the pelvis origin [m] (ground axes; z mirrored for a left stance), zero
    while its vertical force is below ``threshold_n``. Empty when the file
    has no second force set or the kinematics lack pelvis_tx/ty/tz."""
    prefix = _other_set(grf, force_set)
    if prefix is None or any(f"pelvis_t{a}" not in ik.columns for a in "xyz") \
            or any(prefix + f"p{a}" not in grf.columns for a in "xyz"):
        return {}
    mirror = -1.0 if side == "l" else 1.0
    fy = np.interp(t, grf.time, grf.column(prefix + "vy"))
    on = fy >= threshold_n
    out = {}
    for axis, f_col, p_col in zip("xyz", OTHER_GRF_COLUMNS, OTHER_COP_COLUMNS):
        sign = mirror if axis == "z" else 1.0
        force = np.interp(t, grf.time, grf.column(prefix + "v" + axis)) / (mass_kg * G)
        cop = np.interp(t, grf.time, grf.column(prefix + "p" + axis)) - np.interp(t, ik.time, ik.column(f"pelvis_t{axis}"))
        out[f_col] = np.where(on, sign * force, 0.0)
        out[p_col] = np.where(on, sign * cop, 0.0)
    return out


def _converted(base: str, side: str, other: str, get) -> np.ndarray:
    """One of our quantities from OpenSim coordinate columns: side swap, sign, mirroring."""
    if base.endswith("_r") or base.endswith("_l"):
        dof, leg = base[:-2], base[-1]
        coord, sign = _OPENSIM_COORD[dof]
        return sign * get(f"{coord}_{side if leg == 'r' else other}")
    coord, sign = _OPENSIM_COORD[base]
    if side == "l" and base in _MIRROR_NEGATE:
        sign = -sign
    return sign * get(coord)


def _estimate_mass(grf: OpenSimTable | None, force_set: str, threshold_n: float, t_hs: float) -> float:
    """Body mass [kg] from the mean total vertical GRF over one stride (mean = body weight)."""
    if grf is None:
        raise InputFileError("mass_kg not given and no grf_mot to estimate it from; pass mass_kg [kg]")
    t = grf.time
    strikes = _crossings(t, grf.column(force_set + "vy"), threshold_n, rising=True)
    later = strikes[strikes > t_hs + 1e-9]
    if later.size == 0:
        raise InputFileError(
            f"{Path(grf.path).name}: mass_kg not given and no full stride after t = {t_hs:.4f} s "
            "to estimate it from the mean vertical GRF; pass mass_kg [kg]"
        )
    fy = sum(grf.data[:, j] for j, c in enumerate(grf.columns) if c.endswith("force_vy"))
    f = np.interp(np.linspace(t_hs, later[0], 2001), t, fy)
    mean_fy = (f.sum() - 0.5 * (f[0] + f[-1])) / (f.size - 1)  # trapezoid rule on a uniform grid
    return float(mean_fy / G)


def build_reference_table(reference_dir) -> GaitTable:
    """The shipped default table, from the OpenSim gait2392 example trial
    (subject01 walk1, 72.6 kg, right stance) in ``reference_dir``."""
    d = Path(reference_dir)
    id_sto, ik_mot, grf_mot = (d / f for f in REFERENCE_FILES)
    return table_from_opensim(id_sto, ik_mot, grf_mot, side="r", mass_kg=REFERENCE_MASS_KG, credit=REFERENCE_CREDIT)


if __name__ == "__main__":  # python -m pelvisim.gait <reference_dir> <out.csv>
    import sys

    build_reference_table(sys.argv[1]).to_csv(sys.argv[2])
