"""pelvisim: where the load goes when hip muscles are weak.

A sagittal- and frontal-plane musculoskeletal model of trunk, pelvis and legs
with a Numba static-optimization core. Top-level API::

    import pelvisim
    model = pelvisim.load_model().with_strength(gluteus_medius=0.5)
    sol = pelvisim.solve(model, pelvisim.task("single_leg_stance"), compensation="optimal")
    print(sol.summary())
"""
from importlib.metadata import PackageNotFoundError, version as _version

from . import _numba_cache

# Before any kernel module is imported: Numba's cache folder keyed by the kernel sources.
_numba_cache.setup()

try:
    __version__ = _version("pelvisim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

_API = {
    "CRITERIA": "simulate", "Prescribed": "simulate", "solve": "simulate",
    "Model": "model", "load_model": "model", "Solution": "solution",
    "Task": "task_library", "task": "task_library", "tasks": "task_library", "sweep": "sweep",
    "validate": "validation", "run_and_report": "report",
    "PelvisimError": "errors", "ParameterError": "errors", "ExperimentError": "errors",
    "InputFileError": "errors", "TaskError": "errors",
    "gait_trial": "walking", "plot_gait": "walking",
}

__all__ = sorted(_API) + ["__version__"]

# `sweep` is both a submodule and a function: bind the function now, because the
# first `import pelvisim.sweep` (anywhere) would otherwise leave the module under
# that name and `pelvisim.sweep(...)` would fail depending on import order.
from .sweep import sweep  # noqa: E402


def __getattr__(name):
    # imported on first use: `import pelvisim` stays cheap for the command line
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pelvisim' has no attribute {name!r}")
