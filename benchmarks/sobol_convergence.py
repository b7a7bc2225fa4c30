"""Convergence of pelvisim's Sobol' design + SALib analysis on the Ishigami
function (a = 7, b = 0.1), whose indices are known analytically:
S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) (Saltelli et al. 2008,
Global Sensitivity Analysis: The Primer, section 4.4; Ishigami & Homma 1990).

Prints, per base sample size n, the largest error of S1 and ST against the
analytic values and the largest 95 % confidence half-width, over 5 seeds.
This is what ``pelvisim.sweep.SOBOL_MIN_N`` rests on.

    python benchmarks/sobol_convergence.py
"""
import numpy as np

from pelvisim.sensitivity import ishigami_indices, sobol_indices_of
from pelvisim import sampling


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def main():
    s1_true, st_true = ishigami_indices()
    dists = [sampling.Uniform(-np.pi, np.pi)] * 3
    print(f"{'n':>6}{'points':>8}{'max|S1 err|':>13}{'max|ST err|':>13}{'max S1 conf':>13}"
          f"{'max ST conf':>13}  (worst of 5 seeds)")
    for n in (32, 64, 128, 256, 512, 1024, 2048, 4096):
        e1 = et = c1 = ct = 0.0
        for seed in range(5):
            x = sampling.sobol(dists, n, seed=seed)
            r = sobol_indices_of(ishigami(x), 3, seed=seed)
            e1 = max(e1, np.abs(r["S1"] - s1_true).max())
            et = max(et, np.abs(r["ST"] - st_true).max())
            c1 = max(c1, r["S1_conf"].max())
            ct = max(ct, r["ST_conf"].max())
        print(f"{n:>6}{n * 5:>8}{e1:>13.3f}{et:>13.3f}{c1:>13.3f}{ct:>13.3f}")


if __name__ == "__main__":
    main()
