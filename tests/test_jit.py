"""How kernels call each other (pelvisim._kernels.jit): steps by address,
named tuples by reference, and the memory they hold (Numba's NRT counts)."""
from collections import namedtuple

import numpy as np
import pytest
from numba import njit
from numba.core.runtime import _nrt_python, rtsys

import pelvisim
from pelvisim._kernels import capacity
from pelvisim._kernels.jit import from_python, ref, release, step

Tup = namedtuple("Tup", ["v", "m", "flag", "mask", "x"])


@step
def _read_write(t, out):
    """Reads every field kind through a reference and writes into t.v."""
    out[0] = t.v[1] + t.m[1, 0] + t.x
    out[1] = 1.0 if t.flag else -1.0
    out[2] = t.mask.sum()
    t.v[0] = 7.0


@njit
def _through_ref(t, out):
    r = ref(t)
    _read_write(r, out)
    release(r)


@pytest.fixture(scope="module")
def nrt_stats():
    _nrt_python.memsys_enable_stats()
    yield rtsys.get_allocation_stats
    _nrt_python.memsys_disable_stats()


def _balance(before, after):
    return {k: (getattr(after, k) - getattr(before, k)) for k in before._fields}


def test_a_reference_reads_every_field_and_writes_through():
    t = Tup(np.arange(3.0), np.arange(4.0).reshape(2, 2), True,
            np.array([True, False, True]), 0.5)
    out = np.zeros(3)
    _through_ref(t, out)
    assert out.tolist() == [1.0 + 2.0 + 0.5, 1.0, 2.0]
    assert t.v[0] == 7.0  # the step wrote into the caller's array


def test_a_step_called_from_python_raises():
    with pytest.raises(TypeError, match="kernel step without a Python entry point"):
        capacity.fibre_forces(None, None, None, None)


def test_every_allocation_is_freed_once(nrt_stats):
    """ref/release and the by-address calls leak nothing and free nothing
    twice: over a solve (its workspace allocated in the kernel) and over a
    step called through from_python, NRT frees exactly what it allocates."""
    model = pelvisim.load_model()
    task = pelvisim.task("single_leg_stance")
    pelvisim.solve(model, task, compensation="optimal")  # compiled or loaded first
    fibre = from_python(capacity.fibre_forces)
    arr = model.arrays
    length = arr.lts + arr.lopt * arr.cos_penn
    cap, fp = np.zeros_like(length), np.zeros_like(length)
    fibre(arr, length, cap, fp)
    before = nrt_stats()
    for _ in range(3):
        pelvisim.solve(model, task, compensation="optimal")
        fibre(arr, length, cap, fp)
    change = _balance(before, nrt_stats())
    assert change["alloc"] > 0
    assert change["alloc"] == change["free"]
    assert change["mi_alloc"] == change["mi_free"]
    np.testing.assert_allclose(cap, arr.fmax, rtol=1e-14)


def test_plain_python_under_disable_jit():
    """NUMBA_DISABLE_JIT=1 (to debug a kernel in Python): steps, references
    and by-address calls fall back to plain Python and give the compiled
    answer (rtol 1e-6: fastmath reorders sums in the compiled kernels)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, pelvisim\n"
            "s = pelvisim.solve(pelvisim.load_model(), pelvisim.task('single_leg_stance'))\n"
            "print(json.dumps([s.itb_tension['r'], s.hip_contact_force['r']]))\n")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1",
               PYTHONPATH=str(Path(pelvisim.__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    plain = json.loads(out.stdout.strip().splitlines()[-1])
    sol = pelvisim.solve(pelvisim.load_model(), pelvisim.task("single_leg_stance"))
    np.testing.assert_allclose(plain, [sol.itb_tension["r"], sol.hip_contact_force["r"]],
                               rtol=1e-6)


@step
def _with_default(x, y=1.0):
    return x + y


@njit
def _calls_with_default(x):
    return _with_default(x, 2.0)


def test_a_step_with_defaults_is_refused():
    """A call by address passes every argument: defaults would be lost."""
    from numba.core.errors import TypingError

    with pytest.raises((TypeError, TypingError), match="plain parameters"):
        _calls_with_default(1.0)
