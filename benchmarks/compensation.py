"""Time per optimal-compensation solve, per task, and of the min-max criterion, side by side.

    python benchmarks/compensation.py [--baseline PATH] [--points 64] [--calls 20]
                                      [--threads 2] [--repeats 5] [--json FILE]

For each task (single-leg stance; standing; forward bend 40 deg; walking,
stance 20 %): one ``pelvisim.solve(..., compensation="optimal")`` call (the
interactive case; best of ``--calls`` calls: on this shared machine a parallel
call may wait up to 12 ms for its second thread, which ``latency.py``
measures) and a batch of ``--points`` weakened models through ``run_points``
(the sweep case, all threads; one call per round), each against a
no-compensation solve of the same points measured in the same run (best of
``--calls`` and of 5 calls; "optimal / none"), and the mean number of cost
evaluations per solve. Then the min-max criterion against the default one on
the single-leg-stance batch, without and with compensation. Issue 14 goal:
>= 10x less time per optimal-compensation point in a batch (today 3.5-3.9 ms
in single-leg stance). Other options: ``_side_by_side.py``.
"""
from __future__ import annotations

import time

import numpy as np

from _side_by_side import Case, fig, main, timed_calls

TASKS = {
    "single_leg_stance": ({}, ("gluteus_medius", "gluteus_minimus")),
    "standing": ({}, ("gluteus_maximus",)),
    "forward_bend": ({"trunk_flexion_deg": 40}, ("gluteus_maximus", "hamstrings")),
    "gait_stance": ({"stance_pct": 20}, ("gluteus_medius", "gluteus_minimus")),
}


def setup(opts):
    import pelvisim
    from pelvisim.simulate import run_points
    model = pelvisim.load_model()
    state = {"pelvisim": pelvisim, "run_points": run_points, "model": model, "tasks": {}}
    for name, (params, groups) in TASKS.items():
        task = pelvisim.task(name, **params)
        idx = np.concatenate([model.resolve(g) for g in groups])
        S = np.repeat(model.strength[None, :], opts.points, axis=0)
        S[:, idx] = np.linspace(1.0, 0.2, opts.points)[:, None]
        state["tasks"][name] = (task, S)
        pelvisim.solve(model, task, compensation="optimal")
        run_points(model, task, S[:2], compensation="optimal")
    return state


def best_ms(fn, calls):
    """Shortest of ``calls`` wall times [ms]: the compute cost, without the waits of a
    thread the busy machine has not scheduled (``latency.py`` measures those)."""
    return 1e3 * min(timed_calls(fn, calls))


def task_case(name):
    def run(state, opts):
        pelvisim, run_points, model = state["pelvisim"], state["run_points"], state["model"]
        task, S = state["tasks"][name]
        n = len(S)
        one = best_ms(lambda: pelvisim.solve(model, task, compensation="optimal"), opts.calls)
        one_none = best_ms(lambda: pelvisim.solve(model, task), opts.calls)
        t0 = time.perf_counter()
        out = run_points(model, task, S, compensation="optimal")
        batch = 1e3 * (time.perf_counter() - t0) / n
        batch_none = best_ms(lambda: run_points(model, task, S), 5) / n
        res = {"one solve, optimal": fig(one, "ms", "lower"),
               "one solve, none": fig(one_none, "ms", "lower"),
               "one solve, optimal / none": fig(one / one_none, "1"),
               "batch, optimal": fig(batch, "ms/point", "lower"),
               "batch, none": fig(batch_none, "ms/point", "lower"),
               "batch, optimal / none": fig(batch / batch_none, "1")}
        if getattr(out, "evaluations", None) is not None:
            res["cost evaluations per solve"] = fig(np.mean(out.evaluations), "1")
        return res
    return run


def minmax_case(state, opts):
    run_points, model = state["run_points"], state["model"]
    task, S = state["tasks"]["single_leg_stance"]
    n = len(S)
    res = {}
    for comp in ("none", "optimal"):
        calls = 5 if comp == "none" else 1
        t = {c: best_ms(lambda: run_points(model, task, S, compensation=comp, criterion=c),
                          calls) / n for c in ("activation_squared", "minmax")}
        res[f"{comp}, minmax"] = fig(t["minmax"], "ms/point", "lower")
        res[f"{comp}, activation_squared"] = fig(t["activation_squared"], "ms/point", "lower")
        res[f"{comp}, minmax / activation_squared"] = fig(t["minmax"] / t["activation_squared"], "1")
    return res


def add_arguments(ap):
    ap.add_argument("--points", type=int, default=64, help="weakened models per batch")
    ap.add_argument("--calls", type=int, default=20, help="single solves per round (median)")
    ap.add_argument("--threads", type=int, default=2, help="NUMBA_NUM_THREADS")


def cases(opts):
    env = {"NUMBA_NUM_THREADS": str(opts.threads)}
    label = {"forward_bend": "forward_bend 40 deg", "gait_stance": "walking, stance 20 %"}
    out = [Case(label.get(name, name), task_case(name), env) for name in TASKS]
    out.append(Case(f"single_leg_stance batch of {opts.points}, criterion", minmax_case, env))
    return out


if __name__ == "__main__":
    main(description=__doc__.splitlines()[0], setup=setup, cases=cases,
         add_arguments=add_arguments, repeats=5)
