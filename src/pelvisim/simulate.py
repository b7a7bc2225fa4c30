"""The entry point: solve a task on a model, with a recruitment criterion and a
compensation strategy, for one point or a batch of strength conditions."""
from __future__ import annotations

import difflib
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from .errors import TaskError
from ._kernels.batch import NONE, OPTIMAL, PRESCRIBED, run_block
from . import threads
from .conventions import COMPENSATION_ANGLES, CRITERIA, N_COORD, N_DOF  # noqa: F401
from .recruitment import SolverOptions

# compensation angles that are frontal orientations of a segment in space
FRONTAL_ORIENTATION_ANGLES = ("pelvic_list", "trunk_lean")
# CRITERIA (criterion name -> (exponent, weights)) lives in pelvisim.conventions


@dataclass(frozen=True)
class Prescribed:
    """A prescribed compensation [deg]: changes from the task's own posture.

    pelvic_list_deg, trunk_lean_deg : frontal tasks (single-leg stance, walking)
    pelvic_tilt_deg : sagittal tasks (standing, forward bend): anterior tilt,
        the hips flexing with it (thighs keep their orientation)
    lumbar_flexion_deg : sagittal tasks; None (default) keeps the trunk's
        inclination, i.e. the lumbar spine flexes by -pelvic_tilt_deg; a number
        is the lumbar flexion change itself, and the trunk then inclines forward
        by pelvic_tilt_deg + lumbar_flexion_deg
    """

    pelvic_list_deg: float = 0.0
    trunk_lean_deg: float = 0.0
    pelvic_tilt_deg: float = 0.0
    lumbar_flexion_deg: float | None = None

    def __post_init__(self):
        for name in COMPENSATION_ANGLES:
            v = getattr(self, name + "_deg")
            if v is None and name == "lumbar_flexion":
                continue
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) \
                    or not np.isfinite(v):
                raise TaskError(f"compensation: {name}_deg: {v!r}: allowed a finite number [deg]")

    def check(self, angles, q0, bounds, where="") -> None:
        """Raise TaskError unless the prescribed posture lies within the
        compensation bounds [rad] (params ``[compensation] bounds_deg``)."""
        x = self.vector(angles)
        if "pelvic_tilt" in angles:
            tilt = float(np.rad2deg(x[0]))
            lumbar = (-tilt if self.lumbar_flexion_deg is None else float(self.lumbar_flexion_deg))
            checks = (("pelvic_tilt", tilt, q0[0]), ("lumbar_flexion", lumbar, q0[2]))
        else:
            checks = tuple((a, float(getattr(self, a + "_deg")), 0.0) for a in angles)
        for name, change, base in checks:
            lo, hi = (float(np.rad2deg(b - base)) for b in bounds[name])
            if not lo - 1e-9 <= change <= hi + 1e-9:
                how = (" (follows -pelvic_tilt_deg unless lumbar_flexion is given)"
                       if name == "lumbar_flexion" and self.lumbar_flexion_deg is None else "")
                raise TaskError(f"compensation: {name}_deg: {change:g}{how}: allowed a change of "
                                f"[{lo:g}, {hi:g}] deg from this task's posture (compensation "
                                f"bounds_deg.{name} of {where or 'the parameter file'})")

    def vector(self, angles: tuple[str, ...]) -> np.ndarray:
        """Kernel vector [rad]: frontal [d_list, d_lean]; sagittal [d_tilt,
        d_trunk_inclination] (see ``pipeline.apply_compensation``)."""
        sagittal = "pelvic_tilt" in angles
        allowed = angles + ("lumbar_flexion",) if sagittal else angles
        for name in COMPENSATION_ANGLES:
            if name not in allowed and getattr(self, name + "_deg") not in (0.0, None):
                raise TaskError(f"compensation: {name}_deg: this task compensates only with "
                                 f"{', '.join(allowed)}")
        x = np.zeros(2)
        for k, name in enumerate(angles):
            x[k] = np.deg2rad(getattr(self, name + "_deg"))
        if sagittal and self.lumbar_flexion_deg is not None:
            x[1] = np.deg2rad(self.pelvic_tilt_deg + self.lumbar_flexion_deg)
        return x


def criterion_arrays(model, criterion: str):
    """Kernel arrays of ``model`` for a recruitment criterion looked up by name."""
    if not isinstance(criterion, str) or criterion not in CRITERIA:
        close = difflib.get_close_matches(criterion, CRITERIA, n=2)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TaskError(f"criterion: {criterion!r}: allowed {', '.join(CRITERIA)}{hint}")
    exponent, kind = CRITERIA[criterion]
    arr = model.arrays
    if kind == "volume":
        volume = arr.fmax * arr.lopt
        weights = volume / volume.mean()
    else:
        weights = np.ones_like(arr.fmax)
    return model.criterion_arrays(exponent, weights)


def _compensation_setup(model, task, ta, compensation, B):
    angles = task.compensation_angles
    nvar = len(angles)
    comp = model.params.compensation
    lo = np.full(2, -1.0)
    hi = np.full(2, 1.0)
    for k, name in enumerate(angles):
        lo[k], hi[k] = comp.bounds[name]
    if "pelvic_tilt" in angles:
        # bounds hold for the absolute angles; x is the change from the task's
        # posture, and lumbar flexion (which takes -x) must stay within its own
        q0 = ta.q0
        lf_lo, lf_hi = comp.bounds["lumbar_flexion"]
        lo[0] = max(lo[0] - q0[0], q0[2] - lf_hi)
        hi[0] = min(hi[0] - q0[0], q0[2] - lf_lo)
    x0 = np.zeros((B, 2))
    if compensation is None or compensation == "none":
        mode = NONE
    elif compensation == "optimal":
        mode = OPTIMAL
    elif isinstance(compensation, Prescribed):
        mode = PRESCRIBED
        compensation.check(angles, ta.q0, comp.bounds, model.params.path.name)
        x0[:] = compensation.vector(angles)
    else:
        raise TaskError(f"compensation: {compensation!r}: allowed 'none', 'optimal' or "
                         f"pelvisim.Prescribed(...)")
    return mode, nvar, lo, hi, x0


def posture_cost_weights(model, task) -> np.ndarray:
    """Weight [-] per compensation angle of the posture cost sum_k w_k (x_k / scale)^2.

    Tissue model: ``frontal_orientation_weight`` on the frontal orientation of
    the trunk and the pelvis in space (trunk lean, pelvic list), which people
    keep near level for balance and gaze; nothing on the sagittal angles,
    whose posture the tissues and the effort decide. Penalty model (earlier
    versions): ``posture_cost_weight`` on every angle.
    """
    w = np.zeros(2)
    angles = task.compensation_angles
    if model.posture == "penalty":
        w[:len(angles)] = model.param("posture_cost_weight")
    else:
        for k, name in enumerate(angles):
            if name in FRONTAL_ORIENTATION_ANGLES:
                w[k] = model.param("frontal_orientation_weight")
    return w


BatchOutput = namedtuple("BatchOutput", [
    "x", "q", "activation", "force", "reserve", "tau", "itb", "hip", "l5s1", "ground_pair",
    "status", "iterations", "objective", "evaluations", "feasible", "passive_moment",
    "search_converged",
])


def run_points(model, task, strength=None, *, compensation="none",
               criterion="activation_squared", options: SolverOptions | None = None,
               task_arrays=None, model_arrays=None) -> BatchOutput:
    """Solve ``task`` on ``model`` for B strength vectors.

    The batch is cut into one block per thread (see :mod:`pelvisim.threads`);
    a small batch runs in the calling thread.

    Parameters
    ----------
    strength : ndarray (B, n), optional; default the model's own strength (B = 1)
    compensation : "none", "optimal" or :class:`Prescribed`
    criterion : str, see ``CRITERIA``
    options : SolverOptions, the recruitment's and the compensation search's
        tolerances
    """
    options = options or SolverOptions()
    arr = model_arrays if model_arrays is not None else criterion_arrays(model, criterion)
    ta = task_arrays if task_arrays is not None else task.arrays(model)
    if strength is None:
        strength = model.strength[None, :]
    strength = np.ascontiguousarray(strength, dtype=float)
    B, n = strength.shape
    mode, nvar, lo, hi, x0 = _compensation_setup(model, task, ta, compensation, B)
    comp = model.params.compensation
    weight = posture_cost_weights(model, task)
    out = BatchOutput(
        x=np.zeros((B, 2)), q=np.zeros((B, N_COORD)), activation=np.zeros((B, n)),
        force=np.zeros((B, n)), reserve=np.zeros((B, N_DOF)), tau=np.zeros((B, N_DOF)),
        itb=np.zeros((B, 2)), hip=np.zeros((B, 2, 2, 3)), l5s1=np.zeros((B, 3)),
        ground_pair=np.zeros(B), status=np.zeros(B, dtype=np.int64),
        iterations=np.zeros(B, dtype=np.int64), objective=np.zeros(B),
        evaluations=np.zeros(B, dtype=np.int64), feasible=np.zeros(B, dtype=bool),
        passive_moment=np.zeros((B, N_DOF)), search_converged=np.zeros(B, dtype=bool))

    def block(start, stop):
        run_block(arr, ta, strength, x0, mode, nvar, lo, hi, comp.angle_scale, weight,
                  options.tol, options.max_iter, options.search_xtol,
                  options.search_max_evaluations, start, stop,
                  out.x, out.q, out.activation, out.force, out.reserve, out.tau,
                  out.passive_moment, out.itb, out.hip, out.l5s1, out.ground_pair, out.status,
                  out.iterations, out.objective, out.evaluations, out.search_converged)

    threads.run_blocks(block, B, cost=threads.OPTIMAL_COST if mode == OPTIMAL else 1)
    out.feasible[:] = np.all(np.abs(out.reserve) <= options.feasibility_tol, axis=1)
    return out


def solve(model, task, *, compensation="none", criterion: str = "activation_squared",
          options: SolverOptions | None = None):
    """Solve one task on one model.

    Parameters
    ----------
    model : pelvisim.Model
    task : pelvisim.Task (see :func:`pelvisim.task`)
    compensation : "none" (posture fixed), "optimal" (compensation angles chosen
        within physiological bounds to minimise muscle effort plus a
        posture-deviation cost) or :class:`Prescribed`
    criterion : "activation_squared" (default, OpenSim), "activation_cubed",
        "volume_weighted", or "minmax" (smallest largest activation, AnyBody's
        default; ties broken by the least sum of squares)

    Returns
    -------
    pelvisim.Solution
    """
    from .solution import Solution

    out = run_points(model, task, compensation=compensation, criterion=criterion,
                     options=options)
    return Solution.from_batch(model, task, out, 0, compensation=compensation,
                               criterion=criterion)
