"""Where a cold Numba compile spends its time, per phase and per kernel (prints, never asserts).

    python benchmarks/compile_phases.py [--entry solve|optimal|run] [--top 12]

Runs the entry point (as in ``compile.py``) in a fresh subprocess on an empty
``NUMBA_CACHE_DIR`` with timers wrapped around Numba's compiler stages
(exclusive time: a nested compile is counted in its own phases): the untyped
passes and the rest of the pipeline, type inference, lowering to LLVM IR
(wrappers included), parsing the IR, LLVM's function passes, linking the
callees' modules, LLVM's module passes, machine code, and the cache. Then the
kernels whose machine code and module passes took longest: a kernel that
links big callees re-optimises and re-compiles their code (see
``pelvisim/_kernels/jit.py``). The wrappers patch private Numba methods
(``numba.core.codegen``, ``typeinfer``, ``lowering``; Numba 0.68).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROFILE = r'''
import collections, sys, time
from numba.core import caching, codegen as cg, dispatcher, lowering, typeinfer
acc, cnt, per, stack = collections.defaultdict(float), collections.Counter(), collections.defaultdict(float), []
def wrap(cls, name, key):
    orig = getattr(cls, name)
    def timed(*a, **k):
        now = time.perf_counter()
        if stack:
            acc[stack[-1][0]] += now - stack[-1][1]
        stack.append([key, now]); cnt[key] += 1
        t0 = now
        try:
            return orig(*a, **k)
        finally:
            now = time.perf_counter()
            k_, s = stack.pop(); acc[k_] += now - s
            if stack:
                stack[-1][1] = now
            if isinstance(a[0], cg.CodeLibrary):
                per[(key, a[0].name.split(".")[-1])] += now - t0
    setattr(cls, name, timed)
wrap(dispatcher.Dispatcher, "compile", "untyped passes, pipeline")
for m in ("propagate", "build_constraint", "unify"):
    wrap(typeinfer.TypeInferer, m, "type inference")
for m in ("lower", "create_cpython_wrapper", "create_cfunc_wrapper"):
    wrap(lowering.BaseLower, m, "lowering to LLVM IR")
wrap(cg.CPUCodeLibrary, "add_ir_module", "parsing the IR")
wrap(cg.CPUCodeLibrary, "_optimize_functions", "LLVM function passes")
wrap(cg.CPUCodeLibrary, "finalize", "linking callees")
wrap(cg.CPUCodeLibrary, "_optimize_final_module", "LLVM module passes")
wrap(cg.JITCodeLibrary, "_finalize_specific", "machine code")
wrap(caching.Cache, "save_overload", "cache")
c0, t0 = time.process_time(), time.perf_counter()
import pelvisim
model = pelvisim.load_model()
entry = sys.argv[1]
if entry == "run":
    import tempfile
    from pelvisim.cli import main
    with tempfile.TemporaryDirectory() as out:
        main(["run", "--out", out, "--no-progress"])
else:
    pelvisim.solve(model, pelvisim.task("single_leg_stance"),
                   compensation="optimal" if entry == "optimal" else "none")
print(f"{entry}: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU "
      "(import, model and the call included)")
for k, v in sorted(acc.items(), key=lambda kv: -kv[1]):
    print(f"  {k:28s} {v:6.1f} s  ({cnt[k]} calls)")
top = int(sys.argv[2])
for key in ("machine code", "LLVM module passes"):
    items = sorted(((v, n) for (k, n), v in per.items() if k == key), reverse=True)[:top]
    print(f"{key}, longest kernels [s]: " + ", ".join(f"{n} {v:.1f}" for v, n in items))
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entry", choices=("solve", "optimal", "run"), default="solve")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="pelvisim-numba-") as cache, \
            tempfile.TemporaryDirectory(prefix="pelvisim-run-") as cwd:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), NUMBA_CACHE_DIR=cache,
                   MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run([sys.executable, "-c", _PROFILE, args.entry, str(args.top)],
                              env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{args.entry} failed:\n{proc.stderr[-2000:]}")
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{args.entry}: "))
    print("\n".join(lines[start:]))


if __name__ == "__main__":
    main()
