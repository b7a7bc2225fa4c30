"""Wall time of one ``pelvisim.solve`` call (the interactive case), side by side.

    python benchmarks/latency.py [--baseline PATH] [--calls 200] [--task single_leg_stance]
                                 [--repeats 4] [--json FILE]

Single-leg stance on the default model, posture fixed and optimal compensation:
median and 90th percentile of ``--calls`` successive calls, with
``NUMBA_NUM_THREADS=1`` and ``=2``, on the machine as it is and while a
busy-loop process occupies one core (pinned to the last one). Issue 14: a
single solve must not pay for threads; on a busy 2-core machine it took 2-8 ms
through the parallel batch path against 0.3-0.5 ms with one thread.
No discarded warm-up round by default (``setup`` already calls both solves in
each worker). Other options: ``_side_by_side.py``.
"""
from __future__ import annotations

import numpy as np

from _side_by_side import Case, fig, main, timed_calls


def setup(opts):
    import pelvisim
    model = pelvisim.load_model()
    task = pelvisim.task(opts.task)
    for comp in ("none", "optimal"):
        for _ in range(3):
            pelvisim.solve(model, task, compensation=comp)
    return {"pelvisim": pelvisim, "model": model, "task": task}


def run(state, opts):
    pelvisim, model, task = state["pelvisim"], state["model"], state["task"]
    res = {}
    for comp, label in (("none", "posture fixed"), ("optimal", "optimal compensation")):
        t = 1e3 * np.array(timed_calls(lambda: pelvisim.solve(model, task, compensation=comp),
                                       opts.calls))
        res[f"{label}, median"] = fig(np.median(t), "ms", "lower")
        res[f"{label}, 90th percentile"] = fig(np.percentile(t, 90), "ms", "lower")
    return res


def add_arguments(ap):
    ap.add_argument("--calls", type=int, default=200, help="solve calls per round")
    ap.add_argument("--task", default="single_leg_stance")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                    help="NUMBA_NUM_THREADS values")


def cases(opts):
    out = []
    for load in (False, True):
        for th in opts.threads:
            name = f"{th} thread{'s' if th > 1 else ''}{', one core busy' if load else ''}"
            out.append(Case(name, run, {"NUMBA_NUM_THREADS": str(th)}, load=load))
    return out


if __name__ == "__main__":
    main(description=__doc__.splitlines()[0], setup=setup, cases=cases,
         add_arguments=add_arguments, repeats=4, warmup_rounds=0)
