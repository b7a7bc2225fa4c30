"""Benchmark of the recruitment solver: Numba batch vs the SciPy (SLSQP) reference.

Run: ``python benchmarks/recruitment.py [--batch 20000] [--reference 100] [--repeats 5]``.
Prints the machine load (``os.getloadavg``; other processes on a 2-core machine
easily halve the figures), the first-call time (compilation, or loading from
Numba's cache), the batch throughput on default-size problems (m = 11 DOFs,
n = 60 muscles) through :func:`pelvisim.recruitment.solve` (input checks and
result assembly included) and of the bare parallel kernel, both best of
``--repeats`` after a warm-up call, the min-max criterion in the same kernel
(exponent inf) as a ratio to p = 2 and against the HiGHS LP path, the time per SLSQP solve (BLAS pinned to one
thread; total time over ``--reference`` solves) and the ratio.
"""

import argparse
import os
import time

# The reference solves tiny dense problems: BLAS threads only add contention
# (and made SLSQP 10-30x slower on a busy machine), so they are pinned to 1.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numba  # noqa: E402
import numpy as np  # noqa: E402


def problems(rng, batch, m=11, n=60):
    """Moment-arm-like M [N m] (arm in +-0.08 m times Fmax 100-2000 N), feasible tau [N m]."""
    M = rng.uniform(-0.08, 0.08, (batch, m, n)) * rng.uniform(100.0, 2000.0, (batch, 1, n))
    tau = np.einsum("bmn,bn->bm", M, rng.uniform(0.0, 0.5, (batch, n)))
    return M, tau


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20000)
    parser.add_argument("--reference", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))

    t0 = time.perf_counter()
    from pelvisim import recruitment as rec

    M, tau = problems(rng, 2)
    rec.solve(M, tau)
    first = time.perf_counter() - t0
    print(f"first call (import + compile or cache load): {first:.2f} s")

    M, tau = problems(rng, args.batch)
    res = rec.solve(M, tau)  # warm-up at full size
    best = np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        res = rec.solve(M, tau)
        best = min(best, time.perf_counter() - t0)
    rate = args.batch / best
    print(f"numba batch: B = {args.batch}, {numba.get_num_threads()} threads, best of {args.repeats}: "
          f"{best:.3f} s -> {rate:,.0f} solves/s ({1e6 / rate:.2f} us/solve)")
    print(f"  status counts {np.bincount(res.status)}, mean iterations {res.iterations.mean():.2f}, "
          f"max {res.iterations.max()}")

    from pelvisim import _recruitment_kernel as kern

    B, m, n = M.shape
    w, ub = np.ones((1, n)), np.ones((1, n))
    out = (np.zeros((B, m)), False, np.empty((B, n)), np.empty((B, m)), np.empty(B, np.int64),
           np.empty(B, np.int64))
    opts = rec.SolverOptions()
    kbest = np.inf
    for _ in range(args.repeats + 1):
        t0 = time.perf_counter()
        kern.solve_batch(M, tau, w, ub, 2.0, rec.DEFAULT_RESERVE_WEIGHT, opts.tol, opts.max_iter, *out)
        kbest = min(kbest, time.perf_counter() - t0)
    print(f"  bare kernel (solve_batch): {args.batch / kbest:,.0f} solves/s ({1e6 * kbest / args.batch:.2f} us/solve)")

    # min-max (exponent = inf) in the same kernel, on the same batch: ratio to p = 2
    mbest = np.inf
    for _ in range(args.repeats + 1):
        t0 = time.perf_counter()
        kern.solve_batch(M, tau, w, ub, np.inf, rec.DEFAULT_RESERVE_WEIGHT, opts.tol, opts.max_iter, *out)
        mbest = min(mbest, time.perf_counter() - t0)
    mm_status, mm_iters = out[4], out[5]
    print(f"  min-max kernel (exponent inf): {1e6 * mbest / args.batch:.2f} us/solve, "
          f"{mbest / kbest:.1f}x the p = 2 kernel; status counts {np.bincount(mm_status)}, "
          f"mean Newton iterations {mm_iters.mean():.1f}")
    Mr, taur = M[: args.reference], tau[: args.reference]
    t0 = time.perf_counter()
    lp = rec.solve(Mr, taur, criterion="minmax")
    per_lp = (time.perf_counter() - t0) / args.reference
    print(f"  min-max LP path (HiGHS + refinement): {per_lp * 1e3:.2f} ms/solve, "
          f"{per_lp / (mbest / args.batch):,.0f}x the min-max kernel; max |activation difference| "
          f"{np.abs(lp.activation - out[2][: args.reference]).max():.2e}")


    t0 = time.perf_counter()
    ref = rec.solve_reference(Mr, taur)
    per_ref = (time.perf_counter() - t0) / args.reference
    print(f"SLSQP reference: {args.reference} solves, {per_ref * 1e3:.2f} ms/solve")
    diff = np.abs(ref.activation - res.activation[: args.reference]).max()
    print(f"  max |activation difference| vs numba: {diff:.2e}")
    print(f"speed-up numba batch / SLSQP: {per_ref * rate:,.0f}x")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
