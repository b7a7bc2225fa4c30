"""Sweep throughput and memory of the whole pipeline (prints, never asserts).

    python benchmarks/sweep.py [--points 100000 1000000] [--optimal 256]

Goals (issue 5): >= 10,000 points/s without compensation; < 2 GB peak memory
for a 10^6-point strength sweep run in chunks.
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import pelvisim
from pelvisim.sweep import sweep


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def strength_factors(points: int) -> dict:
    side = int(round(np.sqrt(points)))
    return {"gluteus_medius": np.linspace(1.0, 0.1, side),
            "gluteus_maximus": np.linspace(1.0, 0.1, points // side)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--optimal", type=int, default=128, help="points with optimal compensation")
    ap.add_argument("--chunk-size", type=int, default=4096)
    ap.add_argument("--muscle-limit", type=int, default=200_000,
                    help="above this many points keep group-level outputs only")
    args = ap.parse_args()

    model = pelvisim.load_model()
    task = pelvisim.task("single_leg_stance")
    t0 = time.perf_counter()
    sweep(model, task, {"gluteus_medius": [1.0, 0.5]}, progress=False)
    sweep(model, task, {"gluteus_medius": [0.5], "compensation": ["optimal"]}, progress=False)
    print(f"warm-up (Numba compile or cache load): {time.perf_counter() - t0:.1f} s")
    print(f"peak RSS after warm-up: {peak_rss_mb():.0f} MB")

    for points in args.points:
        f = strength_factors(points)
        n = len(f["gluteus_medius"]) * len(f["gluteus_maximus"])
        t0 = time.perf_counter()
        muscles = n <= args.muscle_limit
        ds = sweep(model, task, f, progress=False, chunk_size=args.chunk_size,
                   muscle_outputs=muscles)
        dt = time.perf_counter() - t0
        print(f"compensation none{'' if muscles else ' (group-level outputs only)'}: {n:>9,d} points in {dt:7.2f} s = {n / dt:9,.0f} points/s; "
              f"dataset {ds.nbytes / 1e6:,.0f} MB; peak RSS {peak_rss_mb():,.0f} MB; "
              f"feasible {float(ds['feasible'].mean()):.2f}")
        del ds

    side = int(np.sqrt(args.optimal))
    f = {"gluteus_medius": np.linspace(1, 0.1, side), "gluteus_maximus": np.linspace(1, 0.1, side),
         "compensation": ["optimal"]}
    t0 = time.perf_counter()
    sweep(model, task, f, progress=False, chunk_size=args.chunk_size)
    dt = time.perf_counter() - t0
    n = side * side
    print(f"compensation optimal: {n:>6,d} points in {dt:7.2f} s = {n / dt:9,.1f} points/s "
          f"({1e3 * dt / n:.1f} ms/point)")
    print(f"final peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
