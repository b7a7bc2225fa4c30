"""Parameter sweeps: many conditions of one task, solved in parallel batches,
returned as an ``xarray.Dataset``.

Factors
-------
``factors`` maps a factor name to its values (a list or array: one dimension
of the result) or to a range ``(low, high)`` / distribution (sampled by
``lhs`` or ``sobol``; see :mod:`pelvisim.sampling`). Names:

=============================  ===============================================
name                           what it changes
=============================  ===============================================
``<group>`` or ``<muscle>``    strength factor [0..1] (``gluteus_medius``,
                               ``gluteus_medius_r``, ``adductor_magnus``, ...;
                               ``a+b`` sets several to the same value)
``tightness.<group|muscle>``   clinical tightness [deg] of lost passive range
                               (hip flexors: modified Thomas test; hamstrings:
                               straight-leg raise), see ``Model.with_tightness``
``slack_shortening.<g|m>``     passive slack-length shortening [0..0.5]
``task.<parameter>``           a task parameter (``task.stance_pct``)
``body.mass_kg``               body mass [kg]
``body.height_m``              body height [m]
``param.<name>``               a tunable model parameter
                               (``pelvisim.model.TUNABLE``)
``compensation``               ``"none"`` / ``"optimal"``
``criterion``                  recruitment criterion (``pelvisim.CRITERIA``:
                               ``"activation_squared"``, ``"minmax"``, ...)
=============================  ===============================================

Dimension names
---------------
Every dimension and variable of the result is a valid Python identifier
(:func:`pelvisim.conventions.dim_name`): ``"+"`` becomes ``"_and_"`` and
``"."`` becomes ``"_"``, so the factor ``gluteus_medius+gluteus_minimus`` is
the dimension ``gluteus_medius_and_gluteus_minimus``, ``param.lumbopelvic_ratio``
is ``param_lumbopelvic_ratio``, ``tightness.hip_flexors`` is
``tightness_hip_flexors``, ``task.hand_load_kg`` is ``task_hand_load_kg``. The
factor's spelling as given is in the coordinate's ``attrs["factor"]``, with
``units`` (CF/UDUNITS: ``"1"`` dimensionless, ``"deg"``, ``"kg"``, ...),
``long_name`` and ``factor_kind``.

Batching
--------
Strength factors only change the strength matrix, so all points that share
every other factor ("a configuration") are solved by one
:func:`pelvisim.simulate.run_points` call per chunk of ``chunk_size`` points.
A chunk (:class:`Chunk`) is a pure function of its specification, so chunks
can run anywhere: pass a ``dask.distributed.Client`` as ``client`` and they
are mapped over the cluster.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import json
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import xarray as xr

from .errors import ExperimentError
from . import sampling
from .conventions import (COMPENSATIONS, CRITERIA, DOFS, N_COORD,  # noqa: F401 (re-exported)
                          POSTURE_ANGLES, SIDES, dim_name, trunk_angles)
from .model import PASSIVE_GROUPS, TIGHTNESS_TESTS, TUNABLE

__all__ = ["sweep", "sensitivity", "Chunk", "run_chunk", "parse_factors", "Factor",
           "solution_dataset"]

BODY = ("mass_kg", "height_m")
ANGLES = tuple(f"{n}_deg" for n in POSTURE_ANGLES)
AXES = ("x", "y", "z")


# ------------------------------------------------------------------ factors
@dataclass(frozen=True)
class Factor:
    """One swept factor.

    name : as given (``"gluteus_medius"``, ``"task.stance_pct"``)
    dim : the dimension name in the result, a valid identifier (``dim_name``)
    kind : ``strength``, ``tightness``, ``task``, ``body``, ``param``, ``compensation``,
        ``criterion``
    target : the muscle/group, task parameter, body attribute or model parameter
    values : explicit values (a dimension of the result), or None
    dist : a distribution to sample (lhs/sobol), or None
    """

    name: str
    kind: str
    target: str
    values: tuple | None = None
    dist: Any = None

    @property
    def dim(self) -> str:
        return dim_name(self.name)

    @property
    def units(self) -> str | None:
        """CF/UDUNITS units; None for the string-valued factors."""
        if self.kind in ("strength", "slack_shortening"):
            return "1"
        if self.kind == "tightness":
            return "deg"
        if self.kind in ("compensation", "criterion"):
            return None
        return _units_from_name(self.target)

    @property
    def long_name(self) -> str:
        return {"strength": f"strength factor of {self.target} (1 healthy, 0 absent)",
                "tightness": f"tightness of {self.target}: lost passive range",
                "slack_shortening": f"passive slack-length shortening of {self.target}",
                "task": f"task parameter {self.target}",
                "body": f"body {self.target.split('_')[0]}",
                "param": f"model parameter {self.target}",
                "compensation": "compensation strategy",
                "criterion": "recruitment criterion"}[self.kind]

    def describe(self) -> dict:
        out = {"kind": self.kind, "target": self.target}
        if self.values is not None:
            out["values"] = [_plain(v) for v in self.values]
        else:
            out["dist"] = repr(self.dist)
        return out


def _units_from_name(name: str) -> str:
    for suffix, unit in (("_deg", "deg"), ("_pct", "%"), ("_kg", "kg"), ("_m", "m"),
                         ("_mpa", "MPa"), ("_n_per_cm2", "N cm-2"), ("_fraction", "1"),
                         ("_ratio", "1"), ("_weight", "1"), ("_r", "1")):
        if name.endswith(suffix):
            return unit
    return "1"


def _plain(v):
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    return str(v)


def _factor_names(model, task) -> list[str]:
    base = sorted({m[:-2] for m in model.muscles})
    return (list(model.groups) + base + [f"tightness.{g}" for g in TIGHTNESS_TESTS]
            + [f"slack_shortening.{g}" for g in PASSIVE_GROUPS]
            + [f"task.{k}" for k in task.params if k != "table"]
            + [f"body.{b}" for b in BODY] + [f"param.{p}" for p in TUNABLE]
            + ["compensation", "criterion"])


def _unknown(name, model, task, why=""):
    close = difflib.get_close_matches(name, _factor_names(model, task), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ExperimentError(
        f"factor {name!r}: {why or 'unknown factor'}: allowed a group or muscle name (strength), "
        f"tightness.<group>, slack_shortening.<group>, task.<parameter> ({', '.join(k for k in task.params if k != 'table')}), "
        f"body.mass_kg, body.height_m, param.<name> ({', '.join(TUNABLE)}), compensation, "
        f"criterion{hint}")


def resolve(model, target: str) -> np.ndarray:
    """Muscle indices of a strength/tightness target; ``a+b`` joins targets
    (``gluteus_medius+gluteus_minimus`` weakens both by the same factor)."""
    return np.unique(np.concatenate([model.resolve(k.strip(), what="factor")
                                     for k in target.split("+")]))


def _classify(name: str, model, task) -> tuple[str, str]:
    if name in ("compensation", "criterion"):
        return name, name
    prefix, dot, rest = name.partition(".")
    if not dot:
        try:
            resolve(model, name)
        except ValueError:
            raise _unknown(name, model, task) from None
        return "strength", name
    if prefix in ("tightness", "slack_shortening"):
        try:
            resolve(model, rest)
        except ValueError:
            raise _unknown(name, model, task, "unknown muscle or group") from None
        return prefix, rest
    if prefix == "task":
        if rest not in task.params or rest == "table":
            raise _unknown(name, model, task, f"task {task.name} has no parameter {rest!r}")
        return "task", rest
    if prefix == "body":
        if rest not in BODY:
            raise _unknown(name, model, task, "allowed body.mass_kg, body.height_m")
        return "body", rest
    if prefix == "param":
        if rest not in TUNABLE:
            raise _unknown(name, model, task, "unknown model parameter")
        return "param", rest
    raise _unknown(name, model, task, f"unknown prefix {prefix!r}")


def parse_factors(model, task, factors: Mapping[str, Any], sampler: str = "grid",
                  n: int | None = None) -> list[Factor]:
    """Check factor names and values; return :class:`Factor` objects.

    Lists and arrays are explicit values; ``(low, high)`` tuples, dicts with
    ``low``/``high`` or ``dist``, and distribution objects are ranges (sampled
    by lhs/sobol; on a grid a range needs ``n`` and becomes ``linspace``).
    Dicts with ``from``/``to``/``num`` are ``linspace`` values.
    """
    if sampler not in sampling.SAMPLERS:
        close = difflib.get_close_matches(str(sampler), sampling.SAMPLERS, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ExperimentError(f"sampler: {sampler!r}: allowed {', '.join(sampling.SAMPLERS)}{hint}")
    out = []
    for name, spec in factors.items():
        kind, target = _classify(name, model, task)
        values = dist = None
        if isinstance(spec, Mapping) and "from" in spec:
            missing = {"from", "to", "num"} - set(spec)
            if missing:
                raise ExperimentError(f"factor {name!r}: linspace needs from, to, num (missing "
                                 f"{', '.join(sorted(missing))})")
            extra = set(spec) - {"from", "to", "num"}
            if extra:
                raise ExperimentError(f"factor {name!r}: {', '.join(sorted(extra))}: unknown key: "
                                      f"allowed from, to, num")
            for key in ("from", "to"):
                v = spec[key]
                if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) \
                        or not np.isfinite(v):
                    raise ExperimentError(f"factor {name!r}: {key} = {v!r}: allowed a finite number")
            num = spec["num"]
            if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
                raise ExperimentError(f"factor {name!r}: num = {num!r}: allowed a positive "
                                      f"integer (number of points)")
            values = np.linspace(float(spec["from"]), float(spec["to"]), int(num))
        elif isinstance(spec, (list, np.ndarray)) or (isinstance(spec, tuple) and kind in ("compensation", "criterion")):
            try:
                values = np.asarray(spec)
            except ValueError:  # ragged nested lists
                values = np.empty(0)
            if values.ndim != 1 or values.size == 0:
                raise ExperimentError(f"factor {name!r}: {spec!r}: allowed a non-empty 1-D list of values")
        elif isinstance(spec, str):
            values = np.asarray([spec])
        else:
            dist = sampling.as_distribution(spec, where=f"factor {name!r}")
            if sampler == "grid":
                if n is None:
                    raise ExperimentError(f"factor {name!r}: a range on a grid needs n (points per range)")
                n = sampling.check_n(n, "grid")
                lo, hi = getattr(dist, "bounds", (dist.ppf(0.0), dist.ppf(1.0)))
                values, dist = np.linspace(lo, hi, int(n)), None
        if values is not None:
            if kind in ("compensation", "criterion") or (kind == "task" and values.dtype.kind in "US"):
                values = values.astype(str)
            elif values.dtype.kind in "iuf":
                values = values.astype(float)
            else:
                raise ExperimentError(f"factor {name!r}: {spec!r}: allowed a list of numbers")
        f = Factor(name, kind, target, None if values is None else tuple(values.tolist()), dist)
        _check_values(f, model, task)
        out.append(f)
    names = [f.name for f in out]
    if sampler != "grid":
        sampling.check_n(n, sampler)
    if sampler != "grid" and not any(f.dist is not None for f in out):
        raise ExperimentError(f"sampler {sampler}: needs at least one factor given as a range "
                         f"(low, high) or a distribution; factors: {', '.join(names) or 'none'}")
    return out


def _check_values(f: Factor, model, task):
    if f.values is not None:
        vals = list(f.values)
    else:
        vals = list(getattr(f.dist, "bounds", (f.dist.ppf(1e-9), f.dist.ppf(1 - 1e-9))))
    for v in vals:
        _apply(f, v, model, task, check_only=True)


def _apply(f: Factor, v, model, task, check_only=False):
    """Model/task/compensation with one non-strength factor set (validated)."""
    where = f"factor {f.name!r}: {v!r}"
    if f.kind == "strength":
        if not (np.isfinite(v) and 0.0 <= v <= 1.0):
            raise ExperimentError(f"{where}: allowed strength in [0, 1]")
        return model, task, None
    if f.kind == "compensation":
        if v not in COMPENSATIONS:
            raise ExperimentError(f"{where}: allowed {', '.join(COMPENSATIONS)}")
        return model, task, v
    if f.kind == "criterion":  # taken by _chunks, not applied to the model
        if not isinstance(v, str) or v not in CRITERIA:
            close = difflib.get_close_matches(str(v), CRITERIA, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ExperimentError(f"{where}: allowed {', '.join(CRITERIA)}{hint}")
        return model, task, None
    if f.kind == "tightness":
        return model.with_tightness({k: v for k in f.target.split("+")}), task, None
    if f.kind == "slack_shortening":
        return model.with_slack_shortening({k: v for k in f.target.split("+")}), task, None
    if f.kind == "task":
        return model, task.replace(**{f.target: v}), None
    if f.kind == "body":
        return model.with_body(**{f.target: float(v)}), task, None
    if f.kind == "param":
        return model.with_params(**{f.target: v}), task, None
    raise AssertionError(f.kind)


# ------------------------------------------------------------------ chunks
@dataclass(frozen=True)
class Chunk:
    """Everything one batch needs: solved by :func:`run_chunk`, a pure function.

    model, task : the configuration (all non-strength factors applied)
    compensation : "none", "optimal" or a Prescribed
    criterion : recruitment criterion name
    strength_idx : tuple of index arrays, one per strength factor
    strength_values : (B, k) values of the k strength factors
    points : (B,) flat indices of the points in the sweep
    """

    model: Any
    task: Any
    compensation: Any
    criterion: str
    strength_idx: tuple
    strength_values: np.ndarray
    points: np.ndarray


def run_chunk(chunk: Chunk) -> dict[str, np.ndarray]:
    """Solve one chunk; returns per-point output arrays (first axis B)."""
    from .simulate import run_points

    model = chunk.model
    B = len(chunk.points)
    S = np.repeat(model.strength[None, :], B, axis=0)
    for k, idx in enumerate(chunk.strength_idx):
        S[:, idx] = chunk.strength_values[:, k:k + 1]
    out = run_points(model, chunk.task, S, compensation=chunk.compensation,
                     criterion=chunk.criterion)
    hip_vec = out.hip[:, :, 0, :]
    deg = np.rad2deg(out.q)
    posture = np.empty((B, N_COORD + 2))
    posture[:, :N_COORD] = deg
    posture[:, N_COORD], posture[:, N_COORD + 1] = trunk_angles(deg)
    return {
        "points": chunk.points,
        "muscle_force": out.force, "activation": out.activation,
        "group_force": group_forces(model, out.force),
        "itb_tension": out.itb, "hip_contact_vector": hip_vec,
        "hip_contact_force": np.linalg.norm(hip_vec, axis=-1),
        "l5s1": out.l5s1, "ground_pair_force": out.ground_pair, "reserve": out.reserve,
        "passive_moment": out.passive_moment, "demanded_moment": out.tau,
        "feasible": out.feasible, "status": out.status, "objective": out.objective, "posture": posture,
        "body_weight": np.full(B, model.body_weight),
    }


def group_forces(model, force: np.ndarray) -> np.ndarray:
    """(B, G*2) [N] group forces per side (columns: group-major, side-minor)
    from muscle forces (B, n) [N].

    Each column is a row-wise sum over its muscles, in model order, not a
    matrix product: BLAS blocking would make the last bit depend on the number
    of rows (the chunk size)."""
    out = np.zeros((force.shape[0], len(model.groups) * len(SIDES)))
    for c, idx in enumerate(_group_columns(model)):
        for i in idx:
            out[:, c] += force[:, i]
    return out


def _group_columns(model) -> list[list[int]]:
    """The muscles of each group-and-side column, in model order."""
    groups = list(model.groups)
    cols = [[] for _ in range(len(groups) * len(SIDES))]
    for i, (m, g) in enumerate(zip(model.muscles, model.muscle_group)):
        cols[groups.index(g) * 2 + SIDES.index(m[-1])].append(i)
    return cols


# ------------------------------------------------------------------ design
def _design(factors: list[Factor], sampler: str, n, seed):
    """Dimensions and the flat per-point value of every factor."""
    listed = [f for f in factors if f.values is not None]
    sampled = [f for f in factors if f.dist is not None]
    dims = [(f.dim, np.asarray(f.values)) for f in listed]
    sample = None
    if sampled:
        dists = [f.dist for f in sampled]
        sample = (sampling.lhs if sampler == "lhs" else sampling.sobol)(dists, n, seed)
        dims.append(("sample", np.arange(sample.shape[0])))
    flat = sampling.grid([v for _, v in dims])
    values = {f.name: flat[k] for k, f in enumerate(listed)}
    if sampled:
        idx = flat[-1]
        for k, f in enumerate(sampled):
            values[f.name] = sample[idx, k]
    shape = tuple(len(v) for _, v in dims)
    return dims, shape, values, sample


def _configurations(factors, values, P):
    """Group the points by their non-strength factor values."""
    other = [f for f in factors if f.kind != "strength"]
    if not other:
        return [({}, np.arange(P))]
    codes, uniques = [], []
    for f in other:
        u, inv = np.unique(values[f.name], return_inverse=True)
        uniques.append(u)
        codes.append(inv.ravel())
    combined = np.ravel_multi_index(codes, tuple(len(u) for u in uniques))
    keys, inverse = np.unique(combined, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    out = []
    for c, key in enumerate(keys):
        point_idx = order[bounds[c]:bounds[c + 1]]
        sub = np.unravel_index(key, tuple(len(u) for u in uniques))
        config = {f.name: uniques[k][sub[k]].item() for k, f in enumerate(other)}
        out.append((config, point_idx))
    return out


def _chunks(model, task, factors, values, P, compensation, criterion, chunk_size):
    by_name = {f.name: f for f in factors}
    strength = [f for f in factors if f.kind == "strength"]
    for config, idx in _configurations(factors, values, P):
        m, t, comp, crit = model, task, compensation, criterion
        for name, v in config.items():
            if by_name[name].kind == "criterion":
                crit = v
                continue
            m, t, c = _apply(by_name[name], v, m, t)
            comp = c if c is not None else comp
        m.arrays  # build once per configuration, shared by its chunks
        sidx = tuple(resolve(m, f.target) for f in strength)
        svals = (np.stack([values[f.name][idx] for f in strength], axis=1) if strength
                 else np.zeros((len(idx), 0)))
        for start in range(0, len(idx), chunk_size):
            sl = slice(start, start + chunk_size)
            yield Chunk(m, t, comp, crit, sidx, np.ascontiguousarray(svals[sl]), idx[sl])


# ------------------------------------------------------------------ sweep
def sweep(model, task, factors: Mapping[str, Any], *, sampler: str = "grid", n: int | None = None,
          seed=None, compensation="none", criterion: str = "activation_squared",
          progress: bool = True, chunk_size: int = 4096, client=None,
          muscle_outputs: bool = True, store=None) -> xr.Dataset:
    """Solve ``task`` on ``model`` over a set of factors.

    Parameters
    ----------
    model : pelvisim.Model
        The base model; strength/tightness edits already on it apply to every point.
    task : pelvisim.Task
    factors : mapping factor name -> values or range (see the module docstring)
    sampler : "grid", "lhs" or "sobol"
        On lhs/sobol, ranges are sampled (dimension ``sample``) and crossed
        with the factors given as explicit values.
    n : int
        lhs: number of samples; sobol: base samples (a power of 2; the design
        has ``n * (d + 2)`` points); grid: points per range factor.
    seed : None, int or numpy.random.Generator
    compensation : "none", "optimal" or pelvisim.Prescribed (unless a factor)
    criterion : recruitment criterion (``pelvisim.CRITERIA``), unless a factor
    progress : show a tqdm progress bar (on a terminal)
    chunk_size : points per batch (bounds the working memory)
    client : dask.distributed.Client, optional; run the chunks on it
    muscle_outputs : keep ``muscle_force`` and ``activation`` (1.3 kB per point;
        False for very large sweeps: group-level outputs only)
    store : folder, optional
        Write every finished chunk there (:class:`pelvisim.store.ChunkStore`);
        if it holds chunks of the same sweep (an interrupted run), they are read
        instead of solved again (with ``seed=None`` the recorded seed is reused).
        The result is bitwise the one of an uninterrupted sweep. The caller
        removes the store once the result is saved.

    Returns
    -------
    xarray.Dataset with provenance in ``attrs`` (see :func:`pelvisim.results.save`).
    """
    if not isinstance(criterion, str) or criterion not in CRITERIA:
        close = difflib.get_close_matches(str(criterion), CRITERIA, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ExperimentError(f"criterion: {criterion!r}: allowed {', '.join(CRITERIA)}{hint}")
    if isinstance(compensation, str) and compensation not in COMPENSATIONS:
        raise ExperimentError(f"compensation: {compensation!r}: allowed {', '.join(COMPENSATIONS)}")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ExperimentError(f"chunk_size: {chunk_size!r}: allowed a positive integer")
    facs = parse_factors(model, task, factors, sampler, n)
    chunk_store = None
    if store is not None:
        from .store import ChunkStore

        chunk_store = ChunkStore(store)
        if isinstance(seed, np.random.Generator):
            raise ExperimentError("seed: a numpy.random.Generator: allowed None or an integer "
                                  "for a sweep with a store (a resumed sweep must redraw the "
                                  "same design)")
        old = chunk_store.recorded()
        if seed is None and old is not None and isinstance(old.get("spec", {}).get("seed"), int):
            seed = old["spec"]["seed"]
    seed = sampling.resolve_seed(seed)
    dims, shape, values, sample = _design(facs, sampler, n, seed)
    P = int(np.prod(shape)) if shape else 1
    for f in facs:  # sampled values must be valid too (e.g. unbounded normal strengths)
        if f.dist is not None and f.kind == "strength":
            v = values[f.name]
            if np.any((v < 0) | (v > 1)):
                raise ExperimentError(f"factor {f.name!r}: sampled strengths leave [0, 1]; "
                                 f"truncate the distribution (low, high)")
    results = _allocate(model, P, muscle_outputs)
    chunks = list(_chunks(model, task, facs, values, P, compensation, criterion, int(chunk_size)))
    prov = _provenance(model, task, facs, compensation, criterion, sampler, n, seed)
    done = set()
    if chunk_store is not None:
        spec = {k: v for k, v in prov.items() if k != "created_utc"}
        spec.update(chunk_size=int(chunk_size), points=P, muscle_outputs=bool(muscle_outputs))
        done = chunk_store.open(spec, len(chunks))
    _execute(chunks, results, P, progress, client, chunk_store, done)
    ds = _dataset(model, facs, dims, shape, sample, results)
    ds.attrs.update(prov)
    from .results import compensation_at_bound  # flags, after the sweep (issue 12)

    ds["compensation_at_bound"] = compensation_at_bound(ds, model, task)
    return ds


def solution_dataset(sol) -> xr.Dataset:
    """One solved point (:class:`pelvisim.Solution`) as the ``xarray.Dataset``
    of a one-point sweep: the variables, dimensions, units and provenance that
    ``sweep(model, task, {})`` returns, without sweep dimensions."""
    from .results import compensation_at_bound

    model, task = sol.model, sol.task
    force = np.array([[sol.muscle_force[m] for m in model.muscles]])
    hip_vec = np.array([[sol.hip_contact_vector_pelvis[s] for s in SIDES]])
    posture = np.array([[sol.posture[a] for a in ANGLES]])
    part = {
        "muscle_force": force,
        "activation": np.array([[sol.activation[m] for m in model.muscles]]),
        "group_force": group_forces(model, force),
        "itb_tension": np.array([[sol.itb_tension[s] for s in SIDES]]),
        "hip_contact_vector": hip_vec,
        "hip_contact_force": np.linalg.norm(hip_vec, axis=-1),
        "l5s1": np.array([[sol.l5s1_compression, sol.l5s1_shear_ap, sol.l5s1_shear_lat]]),
        "ground_pair_force": np.array([sol.ground_pair_force]),
        "reserve": np.array([[sol.reserve[d] for d in DOFS]]),
        "passive_moment": np.array([[sol.passive_moment[d] for d in DOFS]]),
        "demanded_moment": np.array([[sol.demanded_moment[d] for d in DOFS]]),
        "feasible": np.array([sol.feasible]), "status": np.array([sol.status]),
        "objective": np.array([sol.objective]), "posture": posture,
        "body_weight": np.array([sol.body_weight]),
        "points": np.array([0]),
    }
    results = _allocate(model, 1)
    _store(results, part)
    ds = _dataset(model, [], [], (), None, results)
    comp = sol.compensation if sol.compensation is not None else "none"
    ds.attrs.update(_provenance(model, task, [], comp, sol.criterion, "grid", None,
                                "not sampled"))
    ds["compensation_at_bound"] = compensation_at_bound(ds, model, task)
    return ds


def _allocate(model, P, muscle_outputs=True):
    n, G = len(model.muscles), len(model.groups)
    muscle = {"muscle_force": np.zeros((P, n)), "activation": np.zeros((P, n))} \
        if muscle_outputs else {}
    return {
        **muscle,
        "group_force": np.zeros((P, G * 2)), "itb_tension": np.zeros((P, 2)),
        "hip_contact_vector": np.zeros((P, 2, 3)), "hip_contact_force": np.zeros((P, 2)),
        "l5s1": np.zeros((P, 3)), "ground_pair_force": np.zeros(P),
        "reserve": np.zeros((P, len(DOFS))),
        "passive_moment": np.zeros((P, len(DOFS))), "demanded_moment": np.zeros((P, len(DOFS))),
        "feasible": np.zeros(P, dtype=bool), "status": np.zeros(P, dtype=np.int64),
        "objective": np.zeros(P), "posture": np.zeros((P, len(ANGLES))),
        "body_weight": np.zeros(P),
    }


def _execute(chunks, results, P, progress, client, chunk_store=None, done=()):
    """Solve the chunks (those in ``done`` are read from ``chunk_store``) into
    ``results``; each solved chunk is written to the store as it finishes."""
    from tqdm.auto import tqdm

    bar = tqdm(total=P, unit="pt", desc="sweep", disable=None if progress else True,
               leave=False)
    todo = []
    for i, chunk in enumerate(chunks):
        if i in done:
            part = chunk_store.read(i)
            if not np.array_equal(part["points"], chunk.points):
                raise AssertionError(f"chunk store {chunk_store.folder}: chunk {i} holds other "
                                     f"points than the sweep's")
            _store(results, part)
            bar.update(len(chunk.points))
        else:
            todo.append(i)

    def finished(i, part):
        if chunk_store is not None:
            chunk_store.write(i, {k: part[k] for k in ("points", *results)})
        _store(results, part)
        bar.update(len(part["points"]))

    try:
        if client is None:
            for i in todo:
                finished(i, run_chunk(chunks[i]))
        else:
            from dask.distributed import as_completed  # optional dependency

            futures = client.map(run_chunk, [chunks[i] for i in todo], pure=True)
            number = {f.key: i for f, i in zip(futures, todo)}
            try:
                for fut in as_completed(futures):
                    finished(number[fut.key], fut.result())
            except BaseException:
                client.cancel(futures)
                raise
    finally:
        bar.close()


def _store(results, part):
    idx = part["points"]
    for key, arr in results.items():
        arr[idx] = part[key]


def _share(part, whole):
    """part / whole where whole is not 0 (0 there)."""
    out = np.zeros_like(whole)
    np.divide(part, whole, out=out, where=np.abs(whole) > 1e-9)
    return out


def _dataset(model, facs, dims, shape, sample, r) -> xr.Dataset:
    dim_names = [d for d, _ in dims]
    groups = list(model.groups)

    def var(arr, extra_dims=(), extra_shape=()):
        return (dim_names + list(extra_dims), arr.reshape(shape + tuple(extra_shape)))

    bw = r["body_weight"]
    bw_col = bw[:, None]
    gf = r["group_force"].reshape(-1, len(groups), 2)
    l5 = r["l5s1"]
    data = {} if "muscle_force" not in r else {
        "muscle_force": var(r["muscle_force"], ["muscle"], [len(model.muscles)]),
        "activation": var(r["activation"], ["muscle"], [len(model.muscles)]),
    }
    data |= {
        "group_force": var(gf, ["group", "side"], [len(groups), 2]),
        "group_force_bw": var(gf / bw[:, None, None], ["group", "side"], [len(groups), 2]),
        "itb_tension": var(r["itb_tension"], ["side"], [2]),
        "itb_tension_bw": var(r["itb_tension"] / bw_col, ["side"], [2]),
        "hip_contact_force": var(r["hip_contact_force"], ["side"], [2]),
        "hip_contact_force_bw": var(r["hip_contact_force"] / bw_col, ["side"], [2]),
        "hip_contact_vector": var(r["hip_contact_vector"], ["side", "axis"], [2, 3]),
        "l5s1_compression": var(l5[:, 0]), "l5s1_shear_ap": var(l5[:, 1]),
        "l5s1_shear_lat": var(l5[:, 2]),
        "l5s1_compression_bw": var(l5[:, 0] / bw),
        "ground_pair_force": var(r["ground_pair_force"]),
        "reserve": var(r["reserve"], ["dof"], [len(DOFS)]),
        "passive_moment": var(r["passive_moment"], ["dof"], [len(DOFS)]),
        "lumbar_passive_moment": var(-r["passive_moment"][:, 0]),
        "lumbar_passive_share": var(_share(r["passive_moment"][:, 0], r["demanded_moment"][:, 0])),
        "demanded_moment": var(r["demanded_moment"], ["dof"], [len(DOFS)]),
        "feasible": var(r["feasible"]), "status": var(r["status"]),
        "objective": var(r["objective"]),
        "posture": var(r["posture"], ["angle"], [len(ANGLES)]),
        "body_weight": var(bw),
    }
    coords = {d: v for d, v in dims}
    coords.update(muscle=list(model.muscles), group=groups, side=list(SIDES), dof=list(DOFS),
                  angle=list(ANGLES), axis=list(AXES))
    coords["muscle_group"] = ("muscle", list(model.muscle_group))
    if sample is not None:
        for k, f in enumerate(f for f in facs if f.dist is not None):
            coords[f.dim] = ("sample", sample[:, k])
    ds = xr.Dataset(data, coords=coords)
    for name, (units, long_name) in _VARIABLE_ATTRS.items():
        if name in ds:
            ds[name].attrs.update(units=units, long_name=long_name)
            if name.endswith("_bw"):
                ds[name].attrs["display_units"] = "BW"
    for f in facs:
        attrs = dict(long_name=f.long_name, factor=f.name, factor_kind=f.kind)
        if f.units is not None:
            attrs["units"] = f.units
        ds[f.dim].attrs.update(attrs)
    for name, long_name in _INDEX_ATTRS.items():
        if name in ds.coords:
            ds[name].attrs.update(long_name=long_name)
    if "sample" in ds.coords:
        ds["sample"].attrs.update(units="1", long_name="sample index")
    return ds


# Label coordinates (strings: no units, CF has none for them)
_INDEX_ATTRS = {
    "muscle": "muscle (pelvisim name: <muscle>[_<part>]_<side>)",
    "muscle_group": "muscle group of each muscle",
    "group": "muscle group",
    "side": "body side (r right, l left)",
    "dof": "degree of freedom (pelvisim.conventions.DOFS)",
    "angle": "posture angle (pelvisim.conventions.POSTURE_ANGLES, in degrees)",
    "axis": "pelvis-frame axis (x anterior, y up, z right)",
}
# Ratios to body weight are dimensionless ("1" in CF/UDUNITS); display_units
# "BW" is what figures and summaries print.
_VARIABLE_ATTRS = {
    "muscle_force": ("N", "muscle force (active + passive)"),
    "activation": ("1", "muscle activation"),
    "group_force": ("N", "summed muscle force of a group on one side"),
    "group_force_bw": ("1", "group force / body weight"),
    "itb_tension": ("N", "iliotibial band tension"),
    "itb_tension_bw": ("1", "iliotibial band tension / body weight"),
    "hip_contact_force": ("N", "hip contact force magnitude (force on the femoral head)"),
    "hip_contact_force_bw": ("1", "hip contact force / body weight"),
    "hip_contact_vector": ("N", "force on the femoral head, pelvis frame (x anterior, y up, z right)"),
    "l5s1_compression": ("N", "L5/S1 compression (along the disc normal)"),
    "l5s1_shear_ap": ("N", "L5/S1 antero-posterior shear (anterior +)"),
    "l5s1_shear_lat": ("N", "L5/S1 lateral shear (to the right +)"),
    "l5s1_compression_bw": ("1", "L5/S1 compression / body weight"),
    "ground_pair_force": ("N", "double stance: mediolateral force of the floor on each foot, "
                          "pushing the feet apart (+) or together (-); 0 in single stance"),
    "reserve": ("N m", "reserve moment (zero when the muscles can do the task)"),
    "passive_moment": ("N m", "moment of the passive joint tissues (ligaments, discs, capsule)"),
    "demanded_moment": ("N m", "net joint moment the task demands"),
    "lumbar_passive_moment": ("N m", "lumbar passive tissue moment resisting flexion (extension +)"),
    "lumbar_passive_share": ("1", "passive tissues' share of the demanded lumbar flexion-extension moment"),
    "feasible": ("1", "all reserve moments below the feasibility tolerance"),
    "status": ("1", "solver status code (0 converged)"),
    "objective": ("1", "static-optimization objective"),
    "posture": ("deg", "posture used (after compensation); conventions in pelvisim.conventions"),
    "body_weight": ("N", "body weight"),
}


def _provenance(model, task, facs, compensation, criterion, sampler, n, seed) -> dict:
    from . import __version__

    def edits(arr, neutral):
        return json.dumps({m: float(v) for m, v in zip(model.muscles, arr) if v != neutral})

    sampled = [f.name for f in facs if f.dist is not None]
    params = {k: (v if isinstance(v, (int, float, str)) or v is None else repr(v))
              for k, v in task.params.items()}
    import platform

    import llvmlite
    import numba

    return {
        "title": f"pelvisim sweep: {task.describe()}",
        "pelvisim_version": str(__version__),
        "numba_version": numba.__version__, "llvmlite_version": llvmlite.__version__,
        "numpy_version": np.__version__, "xarray_version": xr.__version__,
        "python_version": platform.python_version(),
        "params_path": str(model.params.path),
        "params_sha256": str(model.params.sha256),
        "model_mass_kg": float(model.mass_kg),
        "model_height_m": float(model.height_m),
        "model_strength": edits(model.strength, 1.0),
        "model_tightness_deg": edits(model.tightness, 0.0),
        "model_slack_shortening": edits(model.slack_shortening, 0.0),
        "posture_model": model.posture,
        "model_params": json.dumps(dict(model.tuned)),
        "model_passive_fibre_force": int(bool(model.passive_fibre_force)),
        "task": task.describe(),
        "task_name": task.name,
        "task_params": json.dumps(params),
        "compensation": compensation if isinstance(compensation, str) else repr(compensation),
        "criterion": next((",".join(f.values) for f in facs if f.kind == "criterion"), criterion),
        "sampler": sampler,
        "sampler_n": -1 if n is None else int(n),
        "seed": int(seed) if isinstance(seed, int) else seed if isinstance(seed, str)
        else "numpy.random.Generator (not recorded)",
        "factors": json.dumps({f.name: f.describe() for f in facs}),
        "sampled_factors": json.dumps(sampled),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


# ------------------------------------------------------------------ sensitivity
# The Sobol' analysis lives in pelvisim.sensitivity (kept importable from here).
from .sensitivity import (SOBOL_MIN_N, ishigami_indices, sensitivity,  # noqa: E402,F401
                          sobol_indices_of)
