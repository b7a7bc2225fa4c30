"""Bounded Nelder-Mead with a grid start, by reverse communication (Numba).

The search never calls the function it minimises: :func:`ask` writes the next
point to evaluate, the caller evaluates it and hands the value to
:func:`tell`, until :func:`ask` returns False. So one compiled search serves
any cost (the optimal compensation's, a test function with a known minimum),
and a cost kernel needs no function arguments (which Numba cannot cache).

Algorithm: the value at x = 0, then on a ``grid`` x ``grid`` lattice over the
bounds (``grid`` points for one variable) including them, picks the start;
Nelder-Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2) from a
simplex of that start and steps of ``step`` along each axis (toward the
inside at an upper bound) until the simplex is smaller than ``xtol`` in every
coordinate or ``max_eval`` evaluations are spent. Points outside the bounds
cost +inf without an evaluation. At most two variables.

State (see :func:`new_search`): ``X`` (9, 2) points, ``F`` (5,) values,
``I`` (5,) integers, ``P`` (4, 2) bounds and settings.
"""
import numpy as np
from numba import njit

from .jit import step

# rows of X
_S = 0          # simplex vertices 0..2
_XR, _XE, _XC = 3, 4, 5   # reflected, expanded, contracted points
_START = 6      # best grid point
_CEN = 7        # centroid
_ASK = 8        # the point asked for
# F: simplex values 0..2, 3: the reflected point's value, 4: best grid value
_FR, _FBEST = 3, 4
# I: phase, evaluations, counter, number of variables, max evaluations
_PHASE, _EVALS, _K, _NVAR, _MAXEV = 0, 1, 2, 3, 4
# P rows: lo, hi, (xtol, step), (grid, unused)
_LO, _HI, _TOL, _GRID = 0, 1, 2, 3
# phases
_GRIDDING, _SIMPLEX, _ITERATE, _REFLECT, _EXPAND, _CONTRACT, _SHRINK, DONE = range(8)


@njit(cache=True, inline="always")
def _copy(X, dst, src):
    X[dst, 0] = X[src, 0]
    X[dst, 1] = X[src, 1]


@njit(cache=True, inline="always")
def _line(X, dst, a, b, c):
    """X[dst] = X[a] + c (X[a] - X[b]) (scalar loops: array expressions cost
    compile time)."""
    for k in range(2):
        X[dst, k] = X[a, k] + c * (X[a, k] - X[b, k])


@njit(cache=True)
def new_search(nvar, lo, hi, step, xtol, max_eval, grid):
    """State of a search over ``nvar`` (1 or 2) variables in [lo, hi]."""
    X = np.zeros((9, 2))
    F = np.full(5, np.inf)
    I = np.zeros(5, dtype=np.int64)
    P = np.zeros((4, 2))
    I[_NVAR] = nvar
    I[_MAXEV] = max_eval
    I[_PHASE] = _GRIDDING
    I[_K] = -1  # -1: x = 0, then the grid points
    for k in range(2):
        P[_LO, k] = lo[k]
        P[_HI, k] = hi[k]
    P[_TOL, 0] = xtol
    P[_TOL, 1] = step
    P[_GRID, 0] = grid
    return X, F, I, P


@njit(cache=True, inline="always")
def _inside(P, nvar, x):
    for k in range(nvar):
        if x[k] < P[_LO, k] or x[k] > P[_HI, k]:
            return False
    return True


@step
def _grid_point(P, nvar, c, x):
    g = int(P[_GRID, 0])
    n2 = g if nvar > 1 else 1
    g0 = c // n2
    g1 = c % n2
    x[0] = P[_LO, 0] + (P[_HI, 0] - P[_LO, 0]) * g0 / (g - 1)
    x[1] = P[_LO, 1] + (P[_HI, 1] - P[_LO, 1]) * g1 / (g - 1) if nvar > 1 else 0.0


@step
def _order(X, F, npt):
    """Sort the simplex by value (insertion sort, stable)."""
    for p in range(1, npt):
        f = F[p]
        x0 = X[p, 0]
        x1 = X[p, 1]
        q = p - 1
        while q >= 0 and F[q] > f:
            F[q + 1] = F[q]
            X[q + 1, 0] = X[q, 0]
            X[q + 1, 1] = X[q, 1]
            q -= 1
        F[q + 1] = f
        X[q + 1, 0] = x0
        X[q + 1, 1] = x1


@njit(cache=True, inline="always")
def _size(X, I):
    """Largest distance [x units] of a simplex vertex from the best, per coordinate."""
    size = 0.0
    for p in range(1, I[_NVAR] + 1):
        for k in range(I[_NVAR]):
            size = max(size, abs(X[p, k] - X[0, k]))
    return size


@step
def _iterate(X, F, I, P):
    """Start an iteration: order, test convergence, ask for the reflection."""
    nvar = I[_NVAR]
    npt = nvar + 1
    _order(X, F, npt)
    if _size(X, I) < P[_TOL, 0] or I[_EVALS] >= I[_MAXEV]:
        I[_PHASE] = DONE
        return
    for k in range(2):
        c = 0.0
        for p in range(npt - 1):
            c += X[p, k]
        X[_CEN, k] = c / (npt - 1)
    _line(X, _XR, _CEN, npt - 1, 1.0)
    I[_PHASE] = _REFLECT


@njit(cache=True, inline="always")
def _asked(X, I, P, row):
    """Ask for point X[row]; False (and +inf told) if it is out of bounds."""
    _copy(X, _ASK, row)
    return _inside(P, I[_NVAR], X[_ASK])


@njit(cache=True)
def ask(state, x):
    """The next point to evaluate, into ``x`` (2,); False when the search is done.

    Points outside the bounds are answered (+inf) here and never asked."""
    X, F, I, P = state
    nvar = I[_NVAR]
    while True:
        ph = I[_PHASE]
        if ph == DONE:
            return False
        if ph == _GRIDDING:
            if I[_K] < 0:
                X[_ASK, 0] = 0.0
                X[_ASK, 1] = 0.0
            else:
                _grid_point(P, nvar, I[_K], X[_ASK])
            ok = _inside(P, nvar, X[_ASK])
        elif ph == _SIMPLEX or ph == _SHRINK:
            ok = _asked(X, I, P, I[_K])
        elif ph == _ITERATE:
            _iterate(X, F, I, P)
            continue
        elif ph == _REFLECT:
            ok = _asked(X, I, P, _XR)
        elif ph == _EXPAND:
            ok = _asked(X, I, P, _XE)
        else:
            ok = _asked(X, I, P, _XC)
        if ok:
            x[0] = X[_ASK, 0]
            x[1] = X[_ASK, 1]
            I[_EVALS] += 1
            return True
        _advance(X, F, I, P, np.inf)


@njit(cache=True)
def grid_slot(state):
    """Index of the point :func:`ask` gave last in the start grid (0: x = 0,
    then the grid in order), -1 after the grid: the grid is the same for every
    search with the same bounds, so a caller may reuse work done at its points."""
    I = state[2]
    return I[_K] + 1 if I[_PHASE] == _GRIDDING else -1


@njit(cache=True)
def tell(state, f):
    """The value at the point :func:`ask` gave last."""
    X, F, I, P = state
    _advance(X, F, I, P, f)


@step
def _advance(X, F, I, P, f):
    nvar = I[_NVAR]
    npt = nvar + 1
    w = npt - 1  # worst vertex once ordered
    ph = I[_PHASE]
    if ph == _GRIDDING:
        if f < F[_FBEST]:
            F[_FBEST] = f
            _copy(X, _START, _ASK)
        I[_K] += 1
        g = int(P[_GRID, 0])
        if I[_K] == (g * g if nvar > 1 else g):
            step = P[_TOL, 1]
            for p in range(npt):
                _copy(X, p, _START)
                if p > 0:
                    k = p - 1
                    X[p, k] += step if X[_START, k] + step < P[_HI, k] else -step
            F[0] = F[_FBEST]
            I[_K] = 1
            I[_PHASE] = _SIMPLEX
    elif ph == _SIMPLEX or ph == _SHRINK:
        F[I[_K]] = f
        I[_K] += 1
        if I[_K] == npt:
            I[_PHASE] = _ITERATE
    elif ph == _REFLECT:
        F[_FR] = f
        if f < F[0]:
            _line(X, _XE, _CEN, w, 2.0)
            I[_PHASE] = _EXPAND
        elif f < F[npt - 2]:
            _copy(X, w, _XR)
            F[w] = f
            I[_PHASE] = _ITERATE
        else:
            if f < F[w]:
                _line(X, _XC, _CEN, _XR, -0.5)
            else:
                _line(X, _XC, _CEN, w, -0.5)
            I[_PHASE] = _CONTRACT
    elif ph == _EXPAND:
        if f < F[_FR]:
            _copy(X, w, _XE)
            F[w] = f
        else:
            _copy(X, w, _XR)
            F[w] = F[_FR]
        I[_PHASE] = _ITERATE
    elif ph == _CONTRACT:
        if f < min(F[_FR], F[w]):
            _copy(X, w, _XC)
            F[w] = f
            I[_PHASE] = _ITERATE
        else:
            for p in range(1, npt):
                _line(X, p, 0, p, -0.5)
            I[_K] = 1
            I[_PHASE] = _SHRINK


@njit(cache=True)
def result(state, x):
    """The best point into ``x`` (2,); returns (cost, success, evaluations):
    success is False when the evaluation budget ran out first."""
    X, F, I, P = state
    npt = I[_NVAR] + 1
    best = 0
    for p in range(1, npt):
        if F[p] < F[best]:
            best = p
    x[0] = X[best, 0]
    x[1] = X[best, 1]
    return F[best], _size(X, I) < P[_TOL, 0], I[_EVALS]
