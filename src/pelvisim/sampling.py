"""Samplers for sweeps: pure functions of a problem description and a seed.

A *problem* is a sequence of distributions, one per sampled factor. The
distributions here (:class:`Uniform`, :class:`Normal`, :class:`Triangular`)
map the unit interval to factor values through their inverse cumulative
distribution (``ppf``); any frozen ``scipy.stats`` distribution works too.

Seeds follow SciPy and SALib: ``None`` (fresh entropy), an ``int`` or a
``numpy.random.Generator``, all passed through ``np.random.default_rng``.
:func:`resolve_seed` turns ``None`` into a concrete integer first, so that a
sweep can record the seed it actually used and be repeated exactly.

Samplers
--------
:func:`grid`
    Full factorial of explicit value lists (one array per factor, ``ij``
    order: the last factor varies fastest).
:func:`lhs`
    Latin hypercube (``scipy.stats.qmc.LatinHypercube``), ``n`` points.
:func:`sobol`
    Saltelli/Sobol' design of SALib (``SALib.sample.sobol.sample``), ``n``
    base points (a power of 2) giving ``n * (d + 2)`` points, in the order
    ``SALib.analyze.sobol.analyze`` expects (first-order and total indices,
    no second-order terms).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats
from scipy.stats import qmc

from .conventions import SAMPLERS
from .errors import ExperimentError

__all__ = ["Uniform", "Normal", "Triangular", "as_distribution", "resolve_seed", "grid", "lhs",
           "sobol", "SAMPLERS"]

_EPS = 1e-12


@dataclass(frozen=True)
class Uniform:
    """Uniform distribution on [low, high]."""

    low: float
    high: float

    def __post_init__(self):
        if not (np.isfinite(self.low) and np.isfinite(self.high)) or self.high < self.low:
            raise ExperimentError(f"uniform range ({self.low}, {self.high}): allowed finite low <= high")

    def ppf(self, u):
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    @property
    def bounds(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))


@dataclass(frozen=True)
class Normal:
    """Normal distribution (mean, sd), optionally truncated to [low, high]."""

    mean: float
    sd: float
    low: float = -np.inf
    high: float = np.inf

    def __post_init__(self):
        if not np.isfinite(self.mean) or not self.sd > 0 or self.high <= self.low:
            raise ExperimentError(f"normal(mean={self.mean}, sd={self.sd}, low={self.low}, "
                             f"high={self.high}): allowed finite mean, sd > 0, low < high")

    def ppf(self, u):
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd).ppf(u)

    @property
    def bounds(self) -> tuple[float, float]:
        lo = self.low if np.isfinite(self.low) else self.mean - 4 * self.sd
        hi = self.high if np.isfinite(self.high) else self.mean + 4 * self.sd
        return (float(lo), float(hi))


@dataclass(frozen=True)
class Triangular:
    """Triangular distribution on [low, high] with its mode."""

    low: float
    mode: float
    high: float

    def __post_init__(self):
        if not self.low <= self.mode <= self.high or self.high <= self.low:
            raise ExperimentError(f"triangular({self.low}, {self.mode}, {self.high}): allowed "
                             f"low <= mode <= high, low < high")

    def ppf(self, u):
        c = (self.mode - self.low) / (self.high - self.low)
        return stats.triang(c, loc=self.low, scale=self.high - self.low).ppf(u)

    @property
    def bounds(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))


_DISTS = {"uniform": (Uniform, ("low", "high")),
          "normal": (Normal, ("mean", "sd", "low", "high")),
          "triangular": (Triangular, ("low", "mode", "high"))}


def as_distribution(spec, *, where: str = "factor"):
    """A distribution from ``(low, high)``, ``{"low":, "high":}``,
    ``{"dist": "normal", "mean":, "sd":}``, a distribution object of this
    module or a frozen ``scipy.stats`` distribution.

    Raises ``ValueError`` (naming ``where``) for anything else.
    """
    if hasattr(spec, "ppf"):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        return Uniform(float(spec[0]), float(spec[1]))
    if isinstance(spec, Mapping):
        spec = dict(spec)
        kind = spec.pop("dist", "uniform")
        if kind not in _DISTS:
            raise ExperimentError(f"{where}: dist {kind!r}: allowed {', '.join(_DISTS)}")
        cls, keys = _DISTS[kind]
        unknown = set(spec) - set(keys)
        if unknown:
            raise ExperimentError(f"{where}: {kind} distribution: unknown key(s) "
                             f"{', '.join(sorted(unknown))}: allowed {', '.join(keys)}")
        try:
            return cls(**{k: float(v) for k, v in spec.items()})
        except TypeError:
            raise ExperimentError(f"{where}: {kind} distribution needs {', '.join(keys[:2])}") from None
    raise ExperimentError(f"{where}: {spec!r}: allowed a (low, high) range or a distribution")


def resolve_seed(seed):
    """A seed that can be recorded: ``None`` becomes a fresh integer; ints and
    Generators are returned unchanged."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise ExperimentError(f"seed: {seed!r}: allowed None, a non-negative integer or a "
                     f"numpy.random.Generator")


def _ppf(dists: Sequence, unit: np.ndarray) -> np.ndarray:
    unit = np.clip(unit, _EPS, 1.0 - _EPS)
    out = np.empty_like(unit)
    for k, dist in enumerate(dists):
        out[:, k] = dist.ppf(unit[:, k])
    return out


def grid(values: Sequence[Sequence]) -> list[np.ndarray]:
    """Full factorial design of explicit value lists.

    Returns one flat array per factor (length ``prod(len(v))``), ``ij`` order.
    """
    values = [np.asarray(v) for v in values]
    shape = tuple(len(v) for v in values)
    index = np.indices(shape).reshape(len(shape), -1)
    return [v[i] for v, i in zip(values, index)]


def lhs(dists: Sequence, n: int, seed=None) -> np.ndarray:
    """Latin hypercube of ``n`` points, shape ``(n, len(dists))``."""
    n = check_n(n, "lhs")
    unit = qmc.LatinHypercube(d=len(dists), rng=np.random.default_rng(seed)).random(n)
    return _ppf(dists, unit)


def sobol(dists: Sequence, n: int, seed=None) -> np.ndarray:
    """Saltelli/Sobol' design of SALib: ``n`` base points (a power of 2),
    ``n * (len(dists) + 2)`` rows, shape ``(rows, len(dists))``."""
    from SALib.sample import sobol as salib_sobol

    n = check_n(n, "sobol")
    d = len(dists)
    problem = sobol_problem(d)
    salib_seed = int(np.random.default_rng(seed).integers(2**31 - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unit = salib_sobol.sample(problem, n, calc_second_order=False, seed=salib_seed)
    return _ppf(dists, unit)


def sobol_problem(d: int, names: Sequence[str] | None = None) -> dict:
    """The SALib problem of a Sobol' design on the unit hypercube."""
    names = list(names) if names is not None else [f"x{k}" for k in range(d)]
    return {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}


def check_n(n, sampler):
    """``n`` of a sampler checked (positive integer; a power of 2 for sobol)."""
    if n is None or isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ExperimentError(f"sampler {sampler}: n = {n!r}: allowed a positive integer")
    n = int(n)
    if sampler == "sobol" and n & (n - 1):
        p = 1 << (n - 1).bit_length()
        raise ExperimentError(f"sampler sobol: n = {n}: allowed a power of 2 (e.g. {p // 2} or {p})")
    return n
