"""Sweep throughput of the whole pipeline, side by side with a baseline checkout.

    python benchmarks/sweep.py [--baseline PATH] [--points 10000 100000] [--optimal 128]
                               [--threads 2] [--repeats 4] [--json FILE]

Single-leg stance, strength grid of gluteus medius x gluteus maximus (1.0 to
0.1), through ``pelvisim.sweep`` (parsing, chunked parallel batches, dataset
assembly): points/s without compensation for each ``--points`` (a sweep of
fewer than ``--min-points`` runs several times per round, median), and ms per
point with optimal compensation on a grid of ``--optimal`` points; each with
the peak resident memory of the case, the feasible fraction and the mean hip
contact force (the same on both sides if they compute the same thing). ``NUMBA_NUM_THREADS=--threads``.
Issue 14 goal: >= 5x today's points/s (today about 11,000-14,000) and >= 10x
less time per optimal-compensation point. Other options: ``_side_by_side.py``.
"""
from __future__ import annotations

import time

import numpy as np

from _side_by_side import Case, fig, main, peak_rss_mb, reset_peak_rss


def strength_factors(points: int) -> dict:
    side = int(round(np.sqrt(points)))
    return {"gluteus_medius": np.linspace(1.0, 0.1, side),
            "gluteus_maximus": np.linspace(1.0, 0.1, points // side)}


def n_points(points: int) -> int:
    f = strength_factors(points)
    return len(f["gluteus_medius"]) * len(f["gluteus_maximus"])


def checks(ds) -> dict:
    """Figures that match on both sides if they compute the same thing."""
    out = {"feasible fraction": fig(float(ds["feasible"].mean()), "1")}
    if "hip_contact_force_bw" in ds:
        out["mean hip contact force"] = fig(float(ds["hip_contact_force_bw"].mean()), "BW")
    return out


def setup(opts):
    import pelvisim
    model = pelvisim.load_model()
    task = pelvisim.task("single_leg_stance")
    # warm-up: one point and a full chunk (serial and parallel paths), no compensation and
    # optimal, so that no measured round compiles; hence no discarded round by default
    for size in (1, opts.chunk_size):
        pelvisim.sweep(model, task, strength_factors(size), progress=False,
                       chunk_size=opts.chunk_size)
    for size in (1, 16):
        pelvisim.sweep(model, task, strength_factors(size), compensation="optimal",
                       progress=False, chunk_size=opts.chunk_size)
    return {"pelvisim": pelvisim, "model": model, "task": task}


def none_case(points):
    def run(state, opts):
        pelvisim, model, task = state["pelvisim"], state["model"], state["task"]
        f = strength_factors(points)
        muscles = n_points(points) <= opts.muscle_limit
        reset_peak_rss()
        times = []
        for _ in range(max(1, opts.min_points // n_points(points))):  # short sweeps: median
            t0 = time.perf_counter()
            ds = pelvisim.sweep(model, task, f, progress=False, chunk_size=opts.chunk_size,
                                muscle_outputs=muscles)
            times.append(time.perf_counter() - t0)
        n = int(ds["feasible"].size)
        return {"throughput": fig(n / np.median(times), "points/s", "higher"),
                "peak memory": fig(peak_rss_mb(), "MB", "lower"), **checks(ds)}
    return run


def optimal_case(state, opts):
    pelvisim, model, task = state["pelvisim"], state["model"], state["task"]
    side = int(np.sqrt(opts.optimal))
    f = {"gluteus_medius": np.linspace(1, 0.1, side), "gluteus_maximus": np.linspace(1, 0.1, side)}
    t0 = time.perf_counter()
    ds = pelvisim.sweep(model, task, f, compensation="optimal", progress=False,
                        chunk_size=opts.chunk_size)
    dt = time.perf_counter() - t0
    return {"time per point": fig(1e3 * dt / (side * side), "ms/point", "lower"), **checks(ds)}


def add_arguments(ap):
    ap.add_argument("--points", type=int, nargs="+", default=[10_000, 100_000],
                    help="sweep sizes without compensation")
    ap.add_argument("--optimal", type=int, default=128,
                    help="points with optimal compensation (a square grid below it)")
    ap.add_argument("--threads", type=int, default=2, help="NUMBA_NUM_THREADS")
    ap.add_argument("--min-points", type=int, default=30_000,
                    help="a smaller sweep runs this many points' worth of times per round "
                         "(figure: the median)")
    ap.add_argument("--chunk-size", type=int, default=4096)
    ap.add_argument("--muscle-limit", type=int, default=200_000,
                    help="above this many points keep group-level outputs only")


def cases(opts):
    env = {"NUMBA_NUM_THREADS": str(opts.threads)}
    side = int(np.sqrt(opts.optimal))
    out = [Case(f"no compensation, {n_points(p):,d} points", none_case(p), env)
           for p in opts.points]
    out.append(Case(f"optimal compensation, {side * side} points", optimal_case, env))
    return out


if __name__ == "__main__":
    main(description=__doc__.splitlines()[0], setup=setup, cases=cases,
         add_arguments=add_arguments, repeats=4, warmup_rounds=0)
