"""The decorator of the kernel steps called only from other kernels (Numba).

``@step`` is ``@njit(cache=True)`` without the CPython and C wrappers
(``no_cpython_wrapper``, ``no_cfunc_wrapper``; the option Numba's
maintainers point to for functions Python never calls, numba/numba#2078).
Numba builds those wrappers for every compiled function whether Python calls
it or not, and the CPython wrapper of a step unboxes every array of the model,
task and workspace named tuples it takes (about 110 arrays): dropping them
cut the first ``pelvisim.solve``'s compile time from 89 to 61 s
(``benchmarks/compile.py``). A step called from Python would crash (its
entry point is null): tests call one through :func:`from_python`.
"""
from numba import njit


def step(fn=None, **options):
    """``@njit(cache=True, **options)`` for a kernel called only from kernels."""
    options = {"cache": True, "no_cpython_wrapper": True, "no_cfunc_wrapper": True, **options}
    if fn is None:
        return njit(**options)
    return njit(**options)(fn)


def from_python(kernel):
    """A Python-callable version of a :func:`step` (a jitted function calling
    it, compiled on first use and not cached; for tests)."""

    @njit
    def call(*args):
        return kernel(*args)

    return call
