"""The result of one solve: forces, loads, reserves and the posture used."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .conventions import COORDINATES, DOFS, SIDES, trunk_angles
from .errors import ParameterError


@dataclass(frozen=True)
class Solution:
    """One solved point.

    Attributes
    ----------
    feasible : bool
        True when every reserve moment is below the solver's feasibility
        tolerance (the muscles can do the task).
    objective : float [1]
        The recruitment criterion at the solution, sum_i w_i a_i^p plus the
        reserve penalty (min-max: the largest weighted activation plus the
        reserve penalty); without the posture cost of optimal compensation.
    body_weight : float [N]
    muscle_force : dict muscle -> [N] (active + passive)
    activation : dict muscle -> [0..1]
    itb_tension : dict side -> [N] (``itb_tension_bw``: [BW])
    hip_contact_force : dict side -> [N] magnitude of the force on the femoral head
        (``hip_contact_force_bw``: [BW])
    hip_contact_vector_pelvis, hip_contact_vector_femur : dict side -> ndarray (3,) [N]
    l5s1_compression, l5s1_shear_ap, l5s1_shear_lat : float [N]
        Force of the upper body on the sacrum along the L5/S1 disc normal
        (compression +), in the disc plane forward (anterior shear +) and to the
        right (lateral shear +).
    ground_pair_force : float [N]
        Double stance: mediolateral force of the floor on each foot, pushing the
        feet apart (+) or together (-); equal and opposite on the two feet, so
        the body's equilibrium does not fix it and the recruitment chooses it.
        0 in single stance.
    reserve : dict DOF -> [N m] reserve moment (zero when feasible)
    demanded_moment : dict DOF -> [N m] net joint moment the task demands
    passive_moment : dict DOF -> [N m] moment of the passive joint tissues
        (ligaments, discs, capsules; not the passive fibre force of muscles),
        part of the demanded moment that the muscles do not have to produce
    posture : dict angle name (``*_deg``) -> [deg], the posture actually used
    """

    model: object
    task: object
    compensation: object
    criterion: str
    feasible: bool
    status: int
    objective: float
    body_weight: float
    muscle_force: Mapping[str, float]
    activation: Mapping[str, float]
    itb_tension: Mapping[str, float]
    hip_contact_force: Mapping[str, float]
    hip_contact_vector_pelvis: Mapping[str, np.ndarray]
    hip_contact_vector_femur: Mapping[str, np.ndarray]
    l5s1_compression: float
    l5s1_shear_ap: float
    l5s1_shear_lat: float
    ground_pair_force: float
    reserve: Mapping[str, float]
    demanded_moment: Mapping[str, float]
    passive_moment: Mapping[str, float]
    posture: Mapping[str, float]

    @classmethod
    def from_batch(cls, model, task, out, b, *, compensation, criterion) -> "Solution":
        names = model.muscles
        q = out.q[b]
        return cls(
            model=model, task=task, compensation=compensation, criterion=criterion,
            feasible=bool(out.feasible[b]), status=int(out.status[b]),
            objective=float(out.objective[b]),
            body_weight=model.body_weight,
            muscle_force=dict(zip(names, out.force[b].tolist())),
            activation=dict(zip(names, out.activation[b].tolist())),
            itb_tension={s: float(out.itb[b, k]) for k, s in enumerate(SIDES)},
            hip_contact_force={s: float(np.linalg.norm(out.hip[b, k, 0]))
                               for k, s in enumerate(SIDES)},
            hip_contact_vector_pelvis={s: out.hip[b, k, 0].copy() for k, s in enumerate(SIDES)},
            hip_contact_vector_femur={s: out.hip[b, k, 1].copy() for k, s in enumerate(SIDES)},
            l5s1_compression=float(out.l5s1[b, 0]), l5s1_shear_ap=float(out.l5s1[b, 1]),
            l5s1_shear_lat=float(out.l5s1[b, 2]),
            ground_pair_force=float(out.ground_pair[b]),
            reserve=dict(zip(DOFS, out.reserve[b].tolist())),
            demanded_moment=dict(zip(DOFS, out.tau[b].tolist())),
            passive_moment=dict(zip(DOFS, out.passive_moment[b].tolist())),
            posture=posture_dict(q),
        )

    @property
    def hip_contact_force_bw(self) -> dict[str, float]:
        """Hip contact force magnitude per side [BW]."""
        return {s: f / self.body_weight for s, f in self.hip_contact_force.items()}

    @property
    def itb_tension_bw(self) -> dict[str, float]:
        """ITB tension per side [BW]."""
        return {s: f / self.body_weight for s, f in self.itb_tension.items()}

    @property
    def l5s1_compression_bw(self) -> float:
        """L5/S1 compression [BW]."""
        return self.l5s1_compression / self.body_weight

    def group_force(self, group: str, side: str) -> float:
        """Summed force [N] of a muscle group on one side."""
        if group not in self.model.groups:
            raise ParameterError(f"group: {group!r}: allowed {', '.join(self.model.groups)}")
        if side not in SIDES:
            raise ParameterError(f"side: {side!r}: allowed r, l")
        return float(sum(self.muscle_force[m] for m in self.model.groups[group]
                         if m.endswith("_" + side)))

    def to_xarray(self):
        """This point as the ``xarray.Dataset`` of a one-point sweep (the
        variables, units and provenance of :func:`pelvisim.sweep`, without
        sweep dimensions; see :func:`pelvisim.sweep.solution_dataset`)."""
        from .sweep import solution_dataset

        return solution_dataset(self)

    def to_dataframe(self):
        """Group forces per side and the joint loads as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        rows = [{"quantity": f"{g} force", "side": s, "value": self.group_force(g, s), "unit": "N"}
                for g in self.model.groups for s in SIDES]
        for s in SIDES:
            rows.append({"quantity": "ITB tension", "side": s, "value": self.itb_tension[s], "unit": "N"})
            rows.append({"quantity": "hip contact force", "side": s,
                         "value": self.hip_contact_force[s], "unit": "N"})
        for name in ("l5s1_compression", "l5s1_shear_ap", "l5s1_shear_lat", "ground_pair_force"):
            rows.append({"quantity": name, "side": "-", "value": getattr(self, name), "unit": "N"})
        return pd.DataFrame(rows)

    @property
    def compensation_at_bound(self) -> list:
        """Compensation angles on a bound of optimal compensation
        (:class:`pelvisim.bounds.AtBound`; empty when inside, or when the
        compensation is not ``"optimal"``)."""
        if self.compensation != "optimal":
            return []
        from .bounds import at_bound

        return at_bound(self.model, self.task, self.posture)

    def summary(self) -> str:
        """A plain-text table of the key outputs, with the condition it holds
        for (task, body, strengths, compensation, criterion) and whether the
        muscles can do it (infeasible values are marked ``*``)."""
        from .labels import compensation_words, model_words, task_words

        hip_bw = self.hip_contact_force_bw
        mark = "" if self.feasible else " *"
        lines = [f"task: {task_words(self.task)}",
                 f"model: {model_words(self.model)}",
                 f"{compensation_words(self.compensation)}; criterion {self.criterion} "
                 f"(objective {self.objective:.4g})"]
        big = {k: v for k, v in self.reserve.items() if abs(v) >= 5e-3}
        if self.feasible:
            lines.append("feasible: the muscles do the task without reserve moments")
        else:
            lines.append("INFEASIBLE: the muscles cannot do the task; reserve moments [N m]: "
                         + (", ".join(f"{k}={v:.2f}" for k, v in big.items()) or "below 0.005")
                         + "; values marked * include that help and are not results")
        for b in self.compensation_at_bound:
            lines.append(f"compensation AT BOUND: {b}")
        lines.append(f"{'group':<20}{'right [N]':>12}{'left [N]':>12}")
        for g in self.model.groups:
            lines.append(f"{g:<20}{self.group_force(g, 'r'):>12.1f}"
                         f"{self.group_force(g, 'l'):>12.1f}{mark}")
        lines.append(f"{'ITB tension':<20}{self.itb_tension['r']:>12.1f}"
                     f"{self.itb_tension['l']:>12.1f}{mark}")
        lines.append(f"{'hip contact':<20}{self.hip_contact_force['r']:>12.1f}"
                     f"{self.hip_contact_force['l']:>12.1f}   "
                     f"({hip_bw['r']:.2f} / {hip_bw['l']:.2f} BW){mark}")
        lines.append(f"L5/S1 compression {self.l5s1_compression:.1f} N, shear AP "
                     f"{self.l5s1_shear_ap:.1f} N, lateral {self.l5s1_shear_lat:.1f} N{mark}")
        if self.ground_pair_force != 0.0:
            lines.append(f"floor pushing the feet apart {self.ground_pair_force:.1f} N each "
                         "(negative: together)")
        lines.append("reserves [N m]: " + (", ".join(f"{k}={v:.2f}" for k, v in big.items())
                                          if big else "none"))
        tissue = {k: v for k, v in self.passive_moment.items() if abs(v) >= 0.05}
        lines.append("passive tissue moments [N m]: " + (
            ", ".join(f"{k}={v:.1f}" for k, v in tissue.items()) if tissue else "none"))
        lines.append("posture [deg]: " + ", ".join(f"{k[:-4]}={v:.1f}" for k, v in self.posture.items()
                                                   if abs(v) > 0.05))
        return "\n".join(lines)


def posture_dict(q: np.ndarray) -> dict[str, float]:
    """Coordinates [rad] -> named angles [deg], with the trunk inclinations."""
    deg = np.rad2deg(q)
    out = {f"{n}_deg": float(v) for n, v in zip(COORDINATES, deg)}
    flexion, lean = trunk_angles(deg)
    out["trunk_flexion_deg"], out["trunk_lean_deg"] = float(flexion), float(lean)
    return out
