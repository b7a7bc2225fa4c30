"""Time per optimal-compensation solve, per task, and of the min-max criterion
against the default one (prints, never asserts).

    python benchmarks/compensation.py [--points 64] [--repeat 3]

For each task: one ``pelvisim.solve(..., compensation="optimal")`` call (the
interactive case) and a batch of weakened models through ``run_points`` (the
sweep case, all threads), each against a no-compensation solve of the same
points measured in the same run. Figures: median of ``--repeat`` rounds.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import pelvisim
from pelvisim.simulate import run_points

TASKS = {
    "single_leg_stance": ({}, ("gluteus_medius", "gluteus_minimus")),
    "standing": ({}, ("gluteus_maximus",)),
    "forward_bend": ({"trunk_flexion_deg": 40}, ("gluteus_maximus", "hamstrings")),
    "gait_stance": ({"stance_pct": 20}, ("gluteus_medius", "gluteus_minimus")),
}


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=64, help="weakened models per batch")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    model = pelvisim.load_model()
    t0 = time.perf_counter()
    for name, (params, _) in TASKS.items():
        pelvisim.solve(model, pelvisim.task(name, **params), compensation="optimal")
    print(f"warm-up (Numba compile or cache load): {time.perf_counter() - t0:.1f} s")
    print(f"{'task':<18}{'one solve [ms]':>15}{'x none':>8}{'batch [ms/pt]':>15}{'x none':>8}"
          f"{'evaluations':>13}")
    for name, (params, groups) in TASKS.items():
        task = pelvisim.task(name, **params)
        one, _ = timed(lambda: pelvisim.solve(model, task, compensation="optimal"), args.repeat)
        one_none, _ = timed(lambda: pelvisim.solve(model, task), args.repeat)
        levels = np.linspace(1.0, 0.2, args.points)
        idx = np.concatenate([model.resolve(g) for g in groups])
        S = np.repeat(model.strength[None, :], args.points, axis=0)
        S[:, idx] = levels[:, None]
        batch, out = timed(lambda: run_points(model, task, S, compensation="optimal"), args.repeat)
        batch_none, _ = timed(lambda: run_points(model, task, S), args.repeat)
        n = args.points
        print(f"{name:<18}{1e3 * one:>15.2f}{one / one_none:>8.0f}{1e3 * batch / n:>15.2f}"
              f"{batch / batch_none:>8.0f}{out.evaluations.mean():>13.1f}")
    # the min-max criterion (Numba kernel, exponent inf) against the default one
    task = pelvisim.task("single_leg_stance")
    idx = np.concatenate([model.resolve(g) for g in TASKS["single_leg_stance"][1]])
    S = np.repeat(model.strength[None, :], args.points, axis=0)
    S[:, idx] = np.linspace(1.0, 0.2, args.points)[:, None]
    for comp in ("none", "optimal"):
        t = {c: timed(lambda: run_points(model, task, S, compensation=comp, criterion=c),
                      args.repeat)[0] / args.points for c in ("activation_squared", "minmax")}
        print(f"single_leg_stance, {comp}: minmax {1e3 * t['minmax']:.2f} ms/pt, activation_squared "
              f"{1e3 * t['activation_squared']:.2f} ms/pt, ratio {t['minmax'] / t['activation_squared']:.1f}")


if __name__ == "__main__":
    main()
