"""Which compensation angles of a solved posture sit on their bounds.

Optimal compensation chooses the angles of ``task.compensation_angles``
inside the ``[compensation] bounds_deg`` of the parameter file. A solution
whose compensation sits on a bound is the effort-least posture *inside the
box*, not a free optimum: reports flag it (angle, which bound, its value).

The bounds the solver uses come from :func:`pelvisim.simulate._compensation_setup`
(the same code), in terms of the change ``x`` from the task's own posture:

- frontal tasks (single-leg stance, walking): ``x = [d pelvic list,
  d trunk lean]``, each bounded by its ``bounds_deg`` entry;
- sagittal tasks (standing, forward bend): ``x[0]`` = change of pelvic tilt,
  bounded so that the absolute pelvic tilt and the absolute lumbar flexion
  (which changes by ``-x[0]``) stay inside theirs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TaskError

__all__ = ["AtBound", "at_bound", "limits", "BOUND_TOL_DEG", "describe_bounds"]

BOUND_TOL_DEG = 0.05  # [deg] an angle this close to a bound counts as on it


@dataclass(frozen=True)
class AtBound:
    """One compensation angle on a bound.

    angle : ``pelvic_list``, ``trunk_lean``, ``pelvic_tilt`` or ``lumbar_flexion``
    bound : ``"lower"`` or ``"upper"``
    value_deg : the bound [deg] as written in the parameter file
    """

    angle: str
    bound: str
    value_deg: float
    relative: bool = False

    def __str__(self) -> str:
        what = " change from the task posture" if self.relative else ""
        return f"{self.angle} at its {self.bound} bound ({self.value_deg:g} deg{what})"

    @property
    def short(self) -> str:
        """E.g. ``pelvic_list=-10 (lower)``."""
        return f"{self.angle}={self.value_deg:g}{'d' if self.relative else ''} ({self.bound})"


def limits(model, task):
    """``(q0, [(angle, lo, hi, lower_bound, upper_bound), ...])``: the task's
    posture q0 [rad], the solver's limits of each compensation change [rad] and
    which bound each limit is ``(angle, "lower"|"upper", value_deg, relative)``."""
    from .simulate import _compensation_setup

    ta = task.arrays(model)
    _, nvar, lo, hi, _ = _compensation_setup(model, task, ta, "optimal", 1)
    angles = task.compensation_angles
    comp = model.params.compensation
    out = []
    for k, name in enumerate(angles):
        blo, bhi = (np.rad2deg(v) for v in comp.bounds[name])
        rel = name != "pelvic_tilt"
        which_lo = (name, "lower", float(blo), rel)
        which_hi = (name, "upper", float(bhi), rel)
        if name == "pelvic_tilt":
            q0 = ta.q0
            lf_lo, lf_hi = (np.rad2deg(v) for v in comp.bounds["lumbar_flexion"])
            if not np.isclose(lo[k], comp.bounds[name][0] - q0[0]):
                which_lo = ("lumbar_flexion", "upper", float(lf_hi), False)
            if not np.isclose(hi[k], comp.bounds[name][1] - q0[0]):
                which_hi = ("lumbar_flexion", "lower", float(lf_lo), False)
        out.append((name, lo[k], hi[k], which_lo, which_hi))
    return ta.q0, out


def _change(q0, name, posture) -> float:
    """Compensation change x [rad] of one angle from the posture used [deg]."""
    from ._kernels.posture import LIST, TILT
    from .conventions import trunk_angles

    if name == "pelvic_list":
        return np.deg2rad(posture["pelvic_list_deg"]) - q0[LIST]
    if name == "trunk_lean":
        return np.deg2rad(posture["trunk_lean_deg"]) - trunk_angles(q0)[1]
    if name == "pelvic_tilt":
        return np.deg2rad(posture["pelvic_tilt_deg"]) - q0[TILT]
    raise TaskError(f"compensation angle {name!r}: not searched by optimal compensation")


def at_bound(model, task, posture, *, tol_deg: float = BOUND_TOL_DEG,
             task_limits=None) -> list[AtBound]:
    """Compensation angles of ``posture`` that sit on a bound of optimal compensation.

    Parameters
    ----------
    model : pelvisim.Model
    task : pelvisim.Task
    posture : mapping ``<angle>_deg`` -> [deg] (``Solution.posture``)
    tol_deg : float [deg]
        Distance from a bound that counts as on it.
    task_limits : the result of :func:`limits` for (model, task), to reuse

    Returns
    -------
    list of :class:`AtBound` (empty when every angle is inside).
    """
    q0, lims = task_limits if task_limits is not None else limits(model, task)
    tol = np.deg2rad(tol_deg)
    out = []
    for name, lo, hi, which_lo, which_hi in lims:
        x = _change(q0, name, posture)
        if x <= lo + tol:
            out.append(AtBound(*which_lo))
        elif x >= hi - tol:
            out.append(AtBound(*which_hi))
    return out


def describe_bounds(model, task) -> str:
    """The optimal-compensation bounds of ``task`` in words (absolute angles [deg])."""
    _, lims = limits(model, task)
    parts = []
    for name, _, _, (a0, _, v0, rel), (a1, _, v1, _) in lims:
        if a0 == a1 == name:
            what = " change" if rel else ""
            parts.append(f"{name}{what} {v0:g}..{v1:g} deg")
        else:
            parts.append(f"{name} within its bounds and lumbar_flexion within "
                         f"{np.rad2deg(model.params.compensation.bounds['lumbar_flexion'][0]):g}.."
                         f"{np.rad2deg(model.params.compensation.bounds['lumbar_flexion'][1]):g} deg")
    return ", ".join(parts)
