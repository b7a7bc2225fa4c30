"""Bounded quasi-Newton search (BFGS) with a grid start and forward-difference
gradients, by reverse communication (Numba).

The search never calls the function it minimises: :func:`ask` writes the
next point to evaluate, the caller evaluates it and hands the value to
:func:`tell`, until :func:`ask` returns False. So one compiled search serves
any cost (the optimal compensation's, a test function with a known minimum),
and a cost kernel needs no function arguments (which Numba cannot cache).

Algorithm: the value at x = 0, then on a ``grid`` x ``grid`` lattice over the
bounds (``grid`` points for one variable), picks the start (the deepest
basin: the landscape can have more than one minimum). From there, projected
BFGS: the gradient by forward differences of step :data:`FD_STEP` (toward the
inside at an upper bound); the direction ``-H g`` on the variables not held
at a bound by their gradient (``H`` the inverse-Hessian estimate, at first
the identity scaled so that the step is ``step`` long, then BFGS updates,
skipped when the curvature ``s.y`` is not positive); Armijo backtracking
along the direction clipped to the bounds (projected path). It stops when an
accepted step, or the step still to try, is shorter than ``xtol`` in every
coordinate (success), or when ``max_eval`` evaluations are spent. Points
outside the bounds are never asked. At most two variables.

Per iteration: one value along the direction (more when it backtracks) and
one per variable for the gradient. On the optimal-compensation costs it
needs about half the evaluations of the grid-started Nelder-Mead it replaced
(see :mod:`.compensation`).
"""
import numpy as np
from numba import njit

from .jit import step

#: Forward-difference step [x units] of the gradient. The cost's relative
#: noise is about 1e-12 (the recruitment solves to 1e-10 (1 + |tau|) N m), so
#: its round-off error is ~1e-6 of the cost per unit x and its truncation error
#: ~1e-6 times the curvature: both well below what a step of xtol = 1e-4 needs.
FD_STEP = 1e-6
_ARMIJO = 1e-4

# rows of X
_ASK, _START, _XC, _GC, _XT, _GT, _D, _H0, _H1, _XB = range(10)
# F: value at XC, at XT, best grid value, best accepted value
_FC, _FT, _FGRID, _FB = range(4)
# I: phase, evaluations, counter, variables, max evaluations, BFGS updates
# (-1: no point before the current one), converged
_PHASE, _EVALS, _K, _NVAR, _MAXEV, _NUPD, _OK = range(7)
# P rows: lo, hi, (xtol, step), (grid, step length t)
_LO, _HI, _TOL, _GRID = range(4)
# phases
_GRIDDING, _GRADIENT, _TRIAL, DONE = range(4)


@njit(cache=True)
def new_search(nvar, lo, hi, step, xtol, max_eval, grid):
    """State of a search over ``nvar`` (1 or 2) variables in [lo, hi]."""
    X = np.zeros((10, 2))
    F = np.full(4, np.inf)
    I = np.zeros(7, dtype=np.int64)
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


@step
def _grid_point(P, nvar, c, x):
    g = int(P[_GRID, 0])
    n2 = g if nvar > 1 else 1
    g0 = c // n2
    g1 = c % n2
    x[0] = P[_LO, 0] + (P[_HI, 0] - P[_LO, 0]) * g0 / (g - 1)
    x[1] = P[_LO, 1] + (P[_HI, 1] - P[_LO, 1]) * g1 / (g - 1) if nvar > 1 else 0.0


@step
def _fd_step(P, X, k):
    """The difference step of variable k at XT: toward the inside at an upper bound."""
    return FD_STEP if X[_XT, k] + FD_STEP <= P[_HI, k] else -FD_STEP


@step
def _scaled_identity(X, h):
    """H = h I."""
    X[_H0, 0] = h
    X[_H0, 1] = 0.0
    X[_H1, 0] = 0.0
    X[_H1, 1] = h


@step
def _armijo_bound(X, F, I):
    """Armijo's bound on the value at the trial XT: ``f(XC) + c g.(XT - XC)``."""
    slope = 0.0
    for k in range(I[_NVAR]):
        slope += X[_GC, k] * (X[_XT, k] - X[_XC, k])
    return F[_FC] + _ARMIJO * slope


@step
def _trial_change(X, I):
    """Largest coordinate change of the trial XT from XC."""
    change = 0.0
    for k in range(I[_NVAR]):
        change = max(change, abs(X[_XT, k] - X[_XC, k]))
    return change


@step
def _update_inverse_hessian(X, I, P):
    """BFGS update of H with s = XT - XC, y = GT - GC (the first time after
    scaling H to s.y / y.y); the first point sets H to the identity scaled so
    that the first step is ``step`` long."""
    nvar = I[_NVAR]
    if I[_NUPD] < 0:
        gmax = 0.0
        for k in range(nvar):
            gmax = max(gmax, abs(X[_GT, k]))
        _scaled_identity(X, P[_TOL, 1] / gmax if gmax > 0.0 else 1.0)
        I[_NUPD] = 0
        return
    s0 = X[_XT, 0] - X[_XC, 0]
    s1 = X[_XT, 1] - X[_XC, 1] if nvar > 1 else 0.0
    y0 = X[_GT, 0] - X[_GC, 0]
    y1 = X[_GT, 1] - X[_GC, 1] if nvar > 1 else 0.0
    sy = s0 * y0 + s1 * y1
    yy = y0 * y0 + y1 * y1
    if not sy > 1e-12 * np.sqrt((s0 * s0 + s1 * s1) * yy):
        return  # no positive curvature along s: keep H
    if I[_NUPD] == 0:
        _scaled_identity(X, sy / yy)
    r = 1.0 / sy
    # H <- (I - r s y') H (I - r y s') + r s s'
    hy0 = X[_H0, 0] * y0 + X[_H0, 1] * y1
    hy1 = X[_H1, 0] * y0 + X[_H1, 1] * y1
    yhy = y0 * hy0 + y1 * hy1
    c = r * (1.0 + r * yhy)
    X[_H0, 0] += c * s0 * s0 - r * (hy0 * s0 + s0 * hy0)
    X[_H0, 1] += c * s0 * s1 - r * (hy0 * s1 + s0 * hy1)
    X[_H1, 0] += c * s1 * s0 - r * (hy1 * s0 + s1 * hy0)
    X[_H1, 1] += c * s1 * s1 - r * (hy1 * s1 + s1 * hy1)
    I[_NUPD] += 1


@step
def _direction(X, I, P):
    """``D = -H g`` at XC on the free variables (not at a bound that their
    gradient pushes against); H reset to the scaled identity when that is not
    a descent direction. Returns False when every variable is held."""
    nvar = I[_NVAR]
    free0 = not ((X[_XC, 0] <= P[_LO, 0] and X[_GC, 0] > 0.0)
                 or (X[_XC, 0] >= P[_HI, 0] and X[_GC, 0] < 0.0))
    free1 = nvar > 1 and not ((X[_XC, 1] <= P[_LO, 1] and X[_GC, 1] > 0.0)
                              or (X[_XC, 1] >= P[_HI, 1] and X[_GC, 1] < 0.0))
    if not (free0 or free1):
        return False
    g0 = X[_GC, 0] if free0 else 0.0
    g1 = X[_GC, 1] if free1 else 0.0
    d0 = -(X[_H0, 0] * g0 + X[_H0, 1] * g1) if free0 else 0.0
    d1 = -(X[_H1, 0] * g0 + X[_H1, 1] * g1) if free1 else 0.0
    if not d0 * g0 + d1 * g1 < 0.0:
        gmax = max(abs(g0), abs(g1))
        if not gmax > 0.0:
            return False
        h = P[_TOL, 1] / gmax
        d0 = -h * g0
        d1 = -h * g1
        I[_NUPD] = 0
        _scaled_identity(X, h)
    X[_D, 0] = d0
    X[_D, 1] = d1
    return True


@step
def _place_trial(X, I, P):
    """XT = XC + t D clipped to the bounds; returns its largest coordinate
    change from XC."""
    t = P[_GRID, 1]
    for k in range(I[_NVAR]):
        X[_XT, k] = min(max(X[_XC, k] + t * X[_D, k], P[_LO, k]), P[_HI, k])
    return _trial_change(X, I)


@step
def _new_point(X, F, I, P):
    """The gradient at XT is complete: XT becomes the current point, and the
    first trial along the new direction is placed (or the search ends)."""
    nvar = I[_NVAR]
    for k in range(nvar):
        if not np.isfinite(X[_GT, k]):
            I[_PHASE] = DONE
            return
    _update_inverse_hessian(X, I, P)
    for k in range(2):
        X[_XC, k] = X[_XT, k]
        X[_GC, k] = X[_GT, k]
    F[_FC] = F[_FT]
    if not _direction(X, I, P):
        I[_OK] = 1
        I[_PHASE] = DONE
        return
    P[_GRID, 1] = 1.0
    if _place_trial(X, I, P) < P[_TOL, 0]:
        I[_OK] = 1
        I[_PHASE] = DONE
        return
    I[_PHASE] = _TRIAL


@njit(cache=True)
def ask(state, x):
    """The next point to evaluate, into ``x`` (2,); False when the search is done."""
    X, F, I, P = state
    nvar = I[_NVAR]
    ph = I[_PHASE]
    if ph == DONE:
        return False
    if ph != _GRIDDING and I[_EVALS] >= I[_MAXEV]:
        I[_PHASE] = DONE
        return False
    if ph == _GRIDDING:
        if I[_K] < 0:
            X[_ASK, 0] = 0.0
            X[_ASK, 1] = 0.0
        else:
            _grid_point(P, nvar, I[_K], X[_ASK])
    else:  # the trial, or a difference point beside it
        X[_ASK, 0] = X[_XT, 0]
        X[_ASK, 1] = X[_XT, 1]
        if ph == _GRADIENT:
            X[_ASK, I[_K]] += _fd_step(P, X, I[_K])
    x[0] = X[_ASK, 0]
    x[1] = X[_ASK, 1]
    I[_EVALS] += 1
    return True


@njit(cache=True)
def grid_slot(state):
    """Index of the point :func:`ask` gave last in the start grid (0: x = 0,
    then the grid in order), -1 after the grid: the grid is the same for every
    search with the same bounds, so a caller may reuse work done at its points."""
    I = state[2]
    return I[_K] + 1 if I[_PHASE] == _GRIDDING else -1


@njit(cache=True)
def near_last(state):
    """True when the point :func:`ask` gave last is near the point evaluated
    before it: a gradient's difference point (after the first gradient, whose
    points follow the grid), or a trial along the direction (from the last
    difference point, a step from the current point): a caller may start its
    work there from the last point's."""
    I = state[2]
    ph = I[_PHASE]
    return (ph == _GRADIENT and (I[_K] > 0 or I[_NUPD] >= 0)) or ph == _TRIAL


@njit(cache=True)
def cutoff(state):
    """The value from which on the value of the point :func:`ask` gave last
    no longer matters: every value >= it leads to the same next step (in the
    grid: not below the best so far; along a direction: not passing Armijo;
    +inf for the gradient's points). A caller with a cheap lower bound on its
    cost may tell that bound instead of the cost when the bound is >= this."""
    X, F, I, P = state
    ph = I[_PHASE]
    if ph == _GRIDDING:
        return F[_FGRID]
    if ph == _TRIAL:
        return np.nextafter(_armijo_bound(X, F, I), np.inf)
    return np.inf


@njit(cache=True)
def tell(state, f):
    """The value at the point :func:`ask` gave last."""
    X, F, I, P = state
    nvar = I[_NVAR]
    ph = I[_PHASE]
    if ph == _GRIDDING:
        if f < F[_FGRID]:
            F[_FGRID] = f
            X[_START, 0] = X[_ASK, 0]
            X[_START, 1] = X[_ASK, 1]
        I[_K] += 1
        g = int(P[_GRID, 0])
        if I[_K] == (g * g if nvar > 1 else g):
            for k in range(2):
                X[_XT, k] = X[_START, k]
                X[_XB, k] = X[_START, k]
            F[_FT] = F[_FGRID]
            F[_FB] = F[_FGRID]
            I[_NUPD] = -1
            I[_K] = 0
            I[_PHASE] = _GRADIENT
    elif ph == _GRADIENT:
        k = I[_K]
        X[_GT, k] = (f - F[_FT]) / _fd_step(P, X, k)
        I[_K] += 1
        if I[_K] == nvar:
            _new_point(X, F, I, P)
    elif ph == _TRIAL:
        F[_FT] = f
        if f <= _armijo_bound(X, F, I):
            X[_XB, 0] = X[_XT, 0]
            X[_XB, 1] = X[_XT, 1]
            F[_FB] = f
            if _trial_change(X, I) < P[_TOL, 0]:
                I[_OK] = 1
                I[_PHASE] = DONE
            else:
                I[_K] = 0
                I[_PHASE] = _GRADIENT
        else:
            P[_GRID, 1] *= 0.5
            if _place_trial(X, I, P) < P[_TOL, 0]:
                I[_OK] = 1  # no better point a step of xtol away along the direction
                I[_PHASE] = DONE


@njit(cache=True)
def result(state, x):
    """The best point into ``x`` (2,); returns (cost, success, evaluations):
    success is False when the evaluation budget ran out first."""
    X, F, I, P = state
    x[0] = X[_XB, 0]
    x[1] = X[_XB, 1]
    return F[_FB], I[_OK] == 1, I[_EVALS]
