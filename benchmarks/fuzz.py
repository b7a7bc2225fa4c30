"""Fuzz pelvisim with hypothesis and print the count of each outcome per target.

Targets (see tests/fuzzing.py): the shipped parameter file, a small experiment
and the shipped experiments (mutated TOML), command lines, gait tables (CSV)
OpenSim .sto/.mot files and damaged
result files given to ``pelvisim plot``. Outcomes: ``error`` (a one-line PelvisimError),
``ok`` (a finite result) and ``BAD:...`` (anything else; listed with an
example at the end, exit code 1 if any).

    python benchmarks/fuzz.py              # 5,500 cases (about 10-20 min on 2 cores)
    python benchmarks/fuzz.py --cases 500  # quicker
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import fuzzing as F  # noqa: E402

# share of the cases per target
SHARES = {"params": 0.2, "experiment": 0.2, "shipped_experiments": 0.1, "cli": 0.15,
          "gait": 0.12, "opensim": 0.13, "results_plot": 0.1}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=5500, help="total number of cases")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    F.warm_up()
    print(f"kernels ready in {time.perf_counter() - t0:.1f} s", flush=True)
    counts: dict[str, collections.Counter] = {k: collections.Counter() for k in SHARES}
    examples: dict[str, tuple[str, object]] = {}

    def record(target, outcome, case):
        counts[target][outcome] += 1
        if outcome.startswith("BAD") and outcome not in examples:
            examples[outcome] = (target, case)
            print(f"  {target}: {outcome}", flush=True)

    shipped = sorted(F.EXPERIMENT_TEXTS)
    targets = {
        "params": (F.mutated_toml(F.PARAMS_TEXT), lambda t: F.params_case(t)),
        "experiment": (F.mutated_toml(F.TINY_EXPERIMENT), lambda t: F.experiment_case(t)),
        "shipped_experiments": (
            st.sampled_from(shipped).flatmap(lambda n: F.mutated_toml(F.EXPERIMENT_TEXTS[n])),
            lambda t: F.experiment_case(t)),
        "cli": (F.cli_args(), lambda a: F.cli_case(a)),
        "gait": (F.mutated_csv(), lambda t: F.gait_case(t)),
        "opensim": (st.tuples(F.opensim_text(), st.sampled_from([".sto", ".mot"])),
                    lambda c: F.opensim_case(*c)),
        "results_plot": (F.mutated_result(), lambda c: F.plot_case(c)),
    }
    timings = {}
    for name, (strategy, case) in targets.items():
        n = max(1, round(args.cases * SHARES[name]))

        @settings(max_examples=n, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def run(c):
            record(name, case(c), c)

        t = time.perf_counter()
        run._hypothesis_internal_use_seed = args.seed  # reproducible runs
        run()
        timings[name] = time.perf_counter() - t
        c = counts[name]
        print(f"{name:<20} {sum(c.values()):>6} cases {timings[name]:>7.1f} s   " +
              ", ".join(f"{k}={v}" for k, v in sorted(c.items()) if not k.startswith("BAD")) +
              f", BAD={sum(v for k, v in c.items() if k.startswith('BAD'))}", flush=True)

    total = collections.Counter()
    for c in counts.values():
        total.update({("BAD" if k.startswith("BAD") else k): v for k, v in c.items()})
    print(f"\ntotal {sum(total.values())} cases in {sum(timings.values()):.0f} s: " +
          ", ".join(f"{k}={v}" for k, v in sorted(total.items())))
    for outcome, (target, case) in examples.items():
        print(f"\n{target}: {outcome}\n  example: {str(case)[:2000]!r}")
    return 1 if total["BAD"] else 0


if __name__ == "__main__":
    sys.exit(main())
