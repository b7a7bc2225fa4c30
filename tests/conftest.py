"""Shared fixtures and invariant helpers."""
import sys
from pathlib import Path

import numpy as np
import pytest

import pelvisim
from pelvisim.geometry import geometry

REFERENCE = Path(__file__).parent.parent.parent / "shared" / "reference"


def pytest_sessionstart(session):
    """On a cold Numba cache, say why the first tests take a while (one line),
    instead of the compile notice inside a test's captured stderr."""
    from pelvisim import _numba_cache

    if _numba_cache.is_cold():
        line = _numba_cache.compile_message().replace("first run only", "first test run only")
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:  # pragma: no cover - terminal plugin disabled
            print(line, file=sys.stderr)
    _numba_cache.announce_done()


@pytest.fixture(scope="session")
def model():
    return pelvisim.load_model()


def tissue_moments(arr, q):
    """Passive joint-tissue moments [N m] per DOF at posture q [rad] (13,),
    written out independently of the kernel: zero in the neutral zone, an
    exponential a (exp(b u / range) - 1) beyond it, resisting the motion."""
    theta = q[2:]
    lo, hi = arr.pj_nz[:, 0], arr.pj_nz[:, 1]
    up = np.maximum(theta - hi, 0.0)
    down = np.maximum(lo - theta, 0.0)
    return (-arr.pj_a[:, 1] * np.expm1(arr.pj_b[:, 1] * up / arr.pj_range[:, 1])
            + arr.pj_a[:, 0] * np.expm1(arr.pj_b[:, 0] * down / arr.pj_range[:, 0]))


def assert_equilibrium(sol, *, atol=1e-6):
    """Muscle moments + passive tissue moments + reserves = demanded moments, per DOF."""
    from pelvisim.geometry import posture_vector

    m = sol.model
    q = posture_vector(**{k: v for k, v in sol.posture.items()
                          if k not in ("trunk_flexion_deg", "trunk_lean_deg")})
    g = geometry(m, q)
    force = np.array([sol.muscle_force[n] for n in m.muscles])
    arr = m.arrays
    itb_passive = np.maximum(g.itb_length - arr.itb_slack, 0.0) * arr.itb_stiffness
    tissue = tissue_moments(arr, q)
    np.testing.assert_allclose(list(sol.passive_moment.values()), tissue, atol=1e-9, rtol=1e-9)
    produced = g.moment_arm @ force + g.itb_moment_arm @ itb_passive + tissue
    reserve = np.array(list(sol.reserve.values()))
    demanded = np.array(list(sol.demanded_moment.values()))
    np.testing.assert_allclose(produced + reserve, demanded, atol=atol, rtol=1e-7)


def assert_bounds(sol):
    act = np.array(list(sol.activation.values()))
    assert np.all(np.isfinite(act))
    assert np.all(act >= -1e-12) and np.all(act <= 1 + 1e-9)
    assert np.all(np.isfinite(list(sol.muscle_force.values())))
    assert np.isfinite(sol.l5s1_compression)
