"""Tasks: the posture a task starts from and the loads it applies.

Every task states its loads:

``standing``
    Bipedal quiet standing, neutral posture. Loads: segment weights; ground
    reactions on both feet, vertical, sharing the body weight by
    ``weight_split_r`` (right share), centre of pressure under the whole-body
    centre of mass; plus a mediolateral force pair on the feet (the floor
    pushing them apart or together, equal and opposite), which statics cannot
    fix because the legs and the floor close a loop: the recruitment chooses
    it within friction (``Solution.ground_pair_force``). Compensation angle: pelvic tilt (trunk
    kept upright, thighs vertical).
``single_leg_stance``
    Standing on ``side``; the other (swing) hip and knee flexed by
    ``swing_hip_flexion_deg`` and ``swing_knee_flexion_deg``. Loads: segment
    weights; the stance foot carries everything (free bodies from the top down,
    no ground reaction needed). The stance hip adducts so that the whole-body
    centre of mass lies over the stance foot in the frontal plane.
    Compensation angles: pelvic list and trunk lean.
``forward_bend``
    Trunk inclined ``trunk_flexion_deg`` forward, shared between lumbar flexion
    and pelvic tilt by the model's lumbopelvic ratio; an optional load of
    ``hand_load_kg`` held in both hands, hanging below the shoulders or
    ``hand_distance_m`` in front of them (along the trunk's anterior axis).
    Loads: weights, hand load, ground reactions as in standing (50/50, with
    the mediolateral pair).
    Compensation angle: pelvic tilt at the same trunk inclination.
``gait_stance``
    One quasi-static frame at ``stance_pct`` of the stance phase of walking on
    ``side``: posture and stance-leg and lumbar joint moments from a gait table
    (default: :func:`pelvisim.gait.load_gait_table`), scaled by body mass.
    Loads: weights plus d'Alembert forces that match the table's ground
    reaction; in double support (tables from a trial with both force sets)
    also the other foot's measured ground reaction on the other shank at its
    centre of pressure. The joint moments are the table's (lumbar, stance
    leg, and the other leg when the table has its moments), plus the change
    that a compensated posture makes to the static moments. Compensation
    angles: pelvic list and trunk lean.
"""
from __future__ import annotations

import difflib
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import TaskError
from ._kernels.kinematics import PELVIS, SHANK_R, TRUNK
from ._kernels.posture import COMP_BEND, COMP_FRONTAL, COMP_STANDING
from ._kernels.statics import DOUBLE, SINGLE
from .conventions import (COORD_INDEX, DE_LEVA_STATURE_M, GRAVITY,  # noqa: F401 (re-exported)
                          N_COORD, N_DOF, SHOULDER_HEIGHT_M)

TaskArrays = namedtuple("TaskArrays", [
    "q0", "root", "support", "split_r", "stance", "balance", "load_seg", "load_local",
    "load_f", "grf", "tau_offset", "comp_kind", "grf_other", "cop_other",
])


# name -> (defaults, allowed ranges or choices, compensation variables)
_SPECS: dict[str, dict[str, Any]] = {
    "standing": dict(
        defaults={"weight_split_r": 0.5},
        ranges={"weight_split_r": (0.0, 1.0)},
        comp=("pelvic_tilt",)),
    "single_leg_stance": dict(
        defaults={"side": "r", "swing_hip_flexion_deg": 30.0, "swing_knee_flexion_deg": 60.0},
        ranges={"side": ("r", "l"), "swing_hip_flexion_deg": (-20.0, 120.0),
                "swing_knee_flexion_deg": (0.0, 140.0)},
        comp=("pelvic_list", "trunk_lean")),
    "forward_bend": dict(
        defaults={"trunk_flexion_deg": 40.0, "hand_load_kg": 0.0, "hand_distance_m": 0.0},
        ranges={"trunk_flexion_deg": (0.0, 90.0), "hand_load_kg": (0.0, 50.0),
                "hand_distance_m": (0.0, 0.8)},
        comp=("pelvic_tilt",)),
    "gait_stance": dict(
        defaults={"stance_pct": 50.0, "side": "r", "table": None},
        ranges={"stance_pct": (0.0, 100.0), "side": ("r", "l"), "table": None},
        comp=("pelvic_list", "trunk_lean")),
}


def tasks() -> list[str]:
    """Names of the available tasks."""
    return list(_SPECS)


@dataclass(frozen=True)
class Task:
    """A task and its parameters (see the module docstring for what each applies)."""

    name: str
    params: dict = field(default_factory=dict)

    @property
    def compensation_angles(self) -> tuple[str, ...]:
        return _SPECS[self.name]["comp"]

    def replace(self, **changes) -> "Task":
        return task(self.name, **{**self.params, **changes})

    def arrays(self, model) -> TaskArrays:
        return _BUILDERS[self.name](model, **self.params)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if k != "table")
        return f"{self.name}({args})"


def task(name: str, **params) -> Task:
    """Look up a task by name and check its parameters.

    Raises :class:`pelvisim.errors.TaskError` naming the task, the parameter,
    the value and what is allowed (close matches for misspelt names).
    """
    if not isinstance(name, str) or name not in _SPECS:
        close = difflib.get_close_matches(str(name), _SPECS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TaskError(f"task: unknown task {name!r}: allowed {', '.join(_SPECS)}{hint}")
    spec = _SPECS[name]
    values = dict(spec["defaults"])
    for key, value in params.items():
        if key not in spec["defaults"]:
            close = difflib.get_close_matches(key, spec["defaults"], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise TaskError(f"task {name}: unknown parameter {key!r}: allowed "
                             f"{', '.join(spec['defaults'])}{hint}")
        allowed = spec["ranges"][key]
        if key == "table":
            _check_table(name, value)
        elif isinstance(allowed, tuple) and isinstance(allowed[0], str):
            if value not in allowed:
                raise TaskError(f"task {name}: {key}: {value!r}: allowed {', '.join(allowed)}")
        elif allowed is not None:
            try:
                if isinstance(value, (bool, np.bool_)):
                    raise TypeError(value)
                value = float(value)
            except (TypeError, ValueError):
                raise TaskError(f"task {name}: {key}: {value!r}: allowed a number in "
                                 f"[{allowed[0]}, {allowed[1]}]") from None
            if not np.isfinite(value) or not allowed[0] <= value <= allowed[1]:
                raise TaskError(f"task {name}: {key}: {value!r}: allowed range "
                                 f"[{allowed[0]}, {allowed[1]}]")
        values[key] = value
    return Task(name, values)


def _check_table(name, value):
    """``table``: None (the shipped gait table), a GaitTable, or a gait-table
    CSV file (read now, so that a bad file fails before any work)."""
    import os

    from .gait import load_gait_table

    if value is None or hasattr(value, "at"):
        return
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        raise TaskError(f"task {name}: table: {value!r}: allowed a gait-table .csv file "
                        f"(pelvisim.gait.load_gait_table) or nothing for the shipped one")
    load_gait_table(value)


# ---------------------------------------------------------------- builders
def _base(q0, *, root, support, comp_kind, split_r=0.5, stance=0, balance=False,
          loads=(), grf=None, tau_offset=None, grf_other=None, cop_other=None) -> TaskArrays:
    seg = np.array([l[0] for l in loads], dtype=np.int64)
    local = np.array([l[1] for l in loads], dtype=float).reshape(-1, 3)
    force = np.array([l[2] for l in loads], dtype=float).reshape(-1, 3)
    return TaskArrays(
        q0=np.asarray(q0, dtype=float), root=int(root), support=int(support),
        split_r=float(split_r), stance=int(stance), balance=bool(balance),
        load_seg=seg, load_local=local, load_f=force,
        grf=np.zeros(3) if grf is None else np.asarray(grf, dtype=float),
        tau_offset=np.zeros(N_DOF) if tau_offset is None else np.asarray(tau_offset, float),
        comp_kind=int(comp_kind),
        grf_other=np.zeros(3) if grf_other is None else np.asarray(grf_other, dtype=float),
        cop_other=np.zeros(3) if cop_other is None else np.asarray(cop_other, dtype=float))


def _q(**deg) -> np.ndarray:
    q = np.zeros(N_COORD)
    for name, value in deg.items():
        q[COORD_INDEX[name]] = np.deg2rad(value)
    return q


def _standing(model, weight_split_r):
    return _base(_q(), root=PELVIS, support=DOUBLE, comp_kind=COMP_STANDING,
                 split_r=weight_split_r)


def _single_leg_stance(model, side, swing_hip_flexion_deg, swing_knee_flexion_deg):
    swing = "l" if side == "r" else "r"
    q = _q(**{f"hip_flexion_{swing}": swing_hip_flexion_deg,
              f"knee_flexion_{swing}": swing_knee_flexion_deg})
    s = 0 if side == "r" else 1
    return _base(q, root=SHANK_R + 2 * s, support=SINGLE, comp_kind=COMP_FRONTAL,
                 stance=s, balance=True)


def _forward_bend(model, trunk_flexion_deg, hand_load_kg, hand_distance_m):
    ratio = model.param("lumbopelvic_ratio")
    lumbar = ratio * trunk_flexion_deg
    tilt = trunk_flexion_deg - lumbar
    q = _q(pelvic_tilt=tilt, lumbar_flexion=lumbar, hip_flexion_r=tilt, hip_flexion_l=tilt)
    loads = []
    if hand_load_kg > 0.0:
        shoulder = SHOULDER_HEIGHT_M * model.height_m / DE_LEVA_STATURE_M
        loads.append((TRUNK, (hand_distance_m, shoulder, 0.0), (0.0, -hand_load_kg * GRAVITY, 0.0)))
    return _base(q, root=PELVIS, support=DOUBLE, comp_kind=COMP_BEND, loads=loads)


def _gait_stance(model, stance_pct, side, table):
    from ._kernels.pipeline import static_moments
    from .gait import OTHER_COP_COLUMNS, OTHER_GRF_COLUMNS, load_gait_table

    table = load_gait_table(table) if table is None or not hasattr(table, "at") else table
    row = table.at(stance_pct)
    swap = side == "l"
    mirror = -1.0 if swap else 1.0

    def angle(name):
        if swap:  # the table is for right stance: mirror into left stance
            name = name.replace("_r_", "_x_").replace("_l_", "_r_").replace("_x_", "_l_")
        return row[name]

    deg = {}
    for n in ("pelvic_tilt", "lumbar_flexion"):
        deg[n] = angle(n + "_deg")
    for n in ("pelvic_list", "lumbar_bending", "lumbar_rotation"):
        deg[n] = mirror * angle(n + "_deg")
    for s in ("r", "l"):
        for n in ("hip_flexion", "hip_adduction", "hip_rotation", "knee_flexion"):
            deg[f"{n}_{s}"] = angle(f"{n}_{s}_deg")
    q = _q(**deg)
    s = 0 if side == "r" else 1
    grf = np.array([row["grf_x_bw"], row["grf_y_bw"], mirror * row["grf_z_bw"]]) * model.body_weight
    # double support: the other foot's measured ground reaction, applied to the
    # other shank at its measured centre of pressure (relative to the pelvis
    # origin); zero in swing and in tables without these columns
    grf_other = cop_other = None
    if all(k in row for k in OTHER_GRF_COLUMNS + OTHER_COP_COLUMNS):
        grf_other = np.array([row[k] for k in OTHER_GRF_COLUMNS]) * model.body_weight
        cop_other = np.array([row[k] for k in OTHER_COP_COLUMNS])
        grf_other[2] *= mirror
        cop_other[2] *= mirror
    base = _base(q, root=SHANK_R + 2 * s, support=SINGLE, comp_kind=COMP_FRONTAL, stance=s,
                 grf=grf, grf_other=grf_other, cop_other=cop_other)
    # table moments for the lumbar and stance-leg DOFs; the static moments of
    # the table posture are removed so that a compensated posture adds its change
    static = np.zeros(N_DOF)
    static_moments(model.arrays, base, q, static)
    offset = np.zeros(N_DOF)
    moments = {
        0: row["lumbar_flexion_moment"], 1: mirror * row["lumbar_bending_moment"],
        2: mirror * row["lumbar_rotation_moment"],
    }
    j0 = 3 + 4 * s
    for k, n in enumerate(("hip_flexion", "hip_adduction", "hip_rotation", "knee_flexion")):
        moments[j0 + k] = row[f"{n}_r_moment"]
        # the other (swing or second-stance) leg: its measured inverse-dynamics
        # moments when the table has them (segment accelerations included),
        # else the statics of its free body
        if f"{n}_l_moment" in row:
            moments[3 + 4 * (1 - s) + k] = row[f"{n}_l_moment"]
    for j, per_kg in moments.items():
        offset[j] = per_kg * model.mass_kg - static[j]
    return base._replace(tau_offset=offset)


_BUILDERS = {
    "standing": _standing,
    "single_leg_stance": _single_leg_stance,
    "forward_bend": _forward_bend,
    "gait_stance": _gait_stance,
}
