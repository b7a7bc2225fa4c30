"""Numba compile time per entry point, as a new user meets it (prints, never asserts).

    python benchmarks/compile.py [--only solve ...] [--baseline PATH [--baseline-only run ...]] [--json FILE]

Each measurement runs in a fresh Python subprocess with ``PYTHONPATH=<src>``
and an empty temporary ``NUMBA_CACHE_DIR`` (cold: nothing compiled yet), then
once more in a fresh subprocess on the cache the first one left (warm: the
kernels are loaded from the cache). Per entry point it prints the wall time of
the step itself (``first``), and for the in-process steps also the time of the
same call repeated in the same process (``again``: the run time without
compilation or cache loading), so ``first - again`` is what compiling (cold)
or loading the cache (warm) costs. Entry points:

    import       import pelvisim
    solve        first pelvisim.solve(model, task("single_leg_stance"))
    optimal      first solve with compensation="optimal"
    sweep        first pelvisim.sweep of 2 points
    standing     first solve of a double-stance task ("standing")
    recruitment  first pelvisim.recruitment.solve on arrays (B = 4, m = 11, n = 60)
    run          the README's main command, ``pelvisim run`` (flagship experiment
                 into a temporary folder, plots included), whole process wall time

``--baseline PATH`` runs the same measurements with ``PYTHONPATH=PATH/src`` (a
checkout of another revision) in the same session and prints both side by
side. Goal (issue 14): everything the main command uses compiles in < 30 s.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PRELUDE = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
import pelvisim
out = {"import": time.perf_counter() - t0, "import_cpu": time.process_time() - c0}
def timed(name, f):
    t, c = time.perf_counter(), time.process_time(); f()
    out[name] = time.perf_counter() - t; out[name + "_cpu"] = time.process_time() - c
"""

_SNIPPETS = {
    "import": "",
    "solve": """
model = pelvisim.load_model(); task = pelvisim.task("single_leg_stance")
timed("first", lambda: pelvisim.solve(model, task))
timed("again", lambda: pelvisim.solve(model, task))
""",
    "optimal": """
model = pelvisim.load_model(); task = pelvisim.task("single_leg_stance")
timed("first", lambda: pelvisim.solve(model, task, compensation="optimal"))
timed("again", lambda: pelvisim.solve(model, task, compensation="optimal"))
""",
    "sweep": """
model = pelvisim.load_model(); task = pelvisim.task("single_leg_stance")
f = {"gluteus_medius": [1.0, 0.5]}
timed("first", lambda: pelvisim.sweep(model, task, f, progress=False))
timed("again", lambda: pelvisim.sweep(model, task, f, progress=False))
""",
    "standing": """
model = pelvisim.load_model(); task = pelvisim.task("standing")
timed("first", lambda: pelvisim.solve(model, task))
timed("again", lambda: pelvisim.solve(model, task))
""",
    "recruitment": """
import numpy as np
from pelvisim import recruitment
rng = np.random.default_rng(0)
M = rng.uniform(-0.08, 0.08, (4, 11, 60)) * rng.uniform(100.0, 2000.0, (4, 1, 60))
tau = np.einsum("bmn,bn->bm", M, rng.uniform(0.0, 0.5, (4, 60)))
timed("first", lambda: recruitment.solve(M, tau))
timed("again", lambda: recruitment.solve(M, tau))
""",
}
ENTRIES = list(_SNIPPETS) + ["run"]


def _env(src: Path, cache: str) -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(src), NUMBA_CACHE_DIR=cache, MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def measure(entry: str, src: Path, cache: str) -> dict:
    """Times [s] of one entry point in a fresh subprocess on the cache folder ``cache``."""
    if entry == "run":
        with tempfile.TemporaryDirectory(prefix="pelvisim-run-") as out:
            code = ("import sys; from pelvisim.cli import main; "
                    f"sys.exit(main(['run', '--out', {out!r}, '--no-progress']))")
            t, c = time.perf_counter(), _children_cpu()
            proc = subprocess.run([sys.executable, "-c", code], env=_env(src, cache),
                                  capture_output=True, text=True, cwd=out)
            wall, cpu = time.perf_counter() - t, _children_cpu() - c
        if proc.returncode:
            raise RuntimeError(f"run failed ({src}):\n{proc.stderr[-2000:]}")
        return {"first": wall, "first_cpu": cpu}
    code = _PRELUDE + textwrap.dedent(_SNIPPETS[entry]) + "\nprint(json.dumps(out))\n"
    proc = subprocess.run([sys.executable, "-c", code], env=_env(src, cache),
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{entry} failed ({src}):\n{proc.stderr[-2000:]}")
    times = json.loads(proc.stdout.strip().splitlines()[-1])
    if entry == "import":
        times["first"], times["first_cpu"] = times["import"], times["import_cpu"]
    return times


def _children_cpu() -> float:
    """CPU time [s] (user + system) of the finished child processes."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure_all(entries, src: Path, label: str) -> dict:
    res = {}
    for e in entries:
        with tempfile.TemporaryDirectory(prefix="pelvisim-numba-") as cache:
            cold = measure(e, src, cache)
            warm = measure(e, src, cache)
        res[e] = {"cold": cold, "warm": warm}
        print(f"  [{label}] {e:<12s} cold {_fmt(cold)} | warm {_fmt(warm)}", flush=True)
    return res


def _fmt(t: dict) -> str:
    s = f"first {t['first']:7.1f} s (cpu {t['first_cpu']:6.1f} s)"
    if "again" in t:
        s += f", again {t['again']:6.3f} s"
    if "import" in t and "again" in t:
        s += f", import {t['import']:5.1f} s"
    return s


def table(results: dict, labels) -> str:
    """Markdown table: wall time (CPU time) [s] of each entry point's first call."""
    head = "| entry point | " + " | ".join(f"{lab} cold | {lab} warm" for lab in labels)
    lines = [head + " |", "|---|" + "---:|---:|" * len(labels)]
    for e in results[labels[0]]:
        row = [e]
        for lab in labels:
            r = results[lab].get(e)
            row += (["-", "-"] if r is None else
                    [f"{r[k]['first']:.1f} ({r[k]['first_cpu']:.1f})" for k in ("cold", "warm")])
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=ENTRIES, default=ENTRIES)
    ap.add_argument("--baseline", type=Path, help="checkout of another revision (uses PATH/src)")
    ap.add_argument("--baseline-only", nargs="+", choices=ENTRIES,
                    help="entry points measured on the baseline (default: those of --only)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"python {sys.version.split()[0]}", flush=True)
    revs = {"this": ROOT / "src"}
    if args.baseline:
        revs["baseline"] = args.baseline.resolve() / "src"
    results = {}
    for lab, src in revs.items():
        print(f"{lab}: {src}", flush=True)
        entries = args.baseline_only or args.only if lab == "baseline" else args.only
        results[lab] = measure_all(entries, src, lab)
    print()
    print("first call of each entry point in a fresh process, wall time (CPU time) [s]; cold: "
          "empty NUMBA_CACHE_DIR, warm: the cache the cold run left")
    print(table(results, list(revs)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
