"""Run a benchmark's cases for two checkouts side by side (prints figures, never asserts).

A benchmark script describes a ``setup(opts)`` (runs once per worker process:
imports pelvisim, builds the model, warms the kernels up) and a list of
:class:`Case` (each ``fn(state, opts)`` returns ``{figure name: fig(value,
unit, better)}``), then calls :func:`main`. This module

* starts one worker process per checkout (and per environment a case asks for,
  e.g. ``NUMBA_NUM_THREADS``), with ``PYTHONPATH=<checkout>/src`` and a Numba
  cache of its own (``<cache root>/<label>-<hash of path and src/ files>``),
  filled first by a throwaway worker (compilation is not what these measure,
  and it leaves compiler memory in a process), and waits for its warm-up;
* runs the rounds interleaved, every case on both sides in every round, the
  side that goes first alternating (A B, B A, A B, ...), so that the load of
  this shared 2-core machine and any advantage of going second fall on both;
  optionally with a busy-loop process pinned to one core (``Case.load``);
* prints a table: figure, unit, baseline median (min-max over rounds), current
  median (min-max), speed-up: the median [min-max] of the per-round paired
  ratios (current/baseline for throughputs, baseline/current for times: a
  round's two runs are seconds apart, so the ratio cancels most of the load
  drift that the medians carry); ``--json FILE``
  writes every value.

Without ``--baseline`` only the current checkout runs. Common options::

    --baseline PATH   checkout of the reference code (its src/ is imported)
    --current PATH    checkout measured as "current" (default: this repository)
    --repeats N       rounds per case (default set by the benchmark)
    --json FILE       write the figures, per-round values and machine notes
    --cache-root DIR  where the per-checkout Numba caches live
                      (default <this repository>/.numba-cache/side-by-side;
                      about 20 MB per source tree measured, delete it to reclaim)

``python benchmarks/_side_by_side.py RESULT.json [...]`` prints the figures
of ``--json`` files as Markdown tables (for closing notes).

The worker is the benchmark script itself, started with a hidden
``--_worker LABEL`` option; it speaks JSON lines on a private copy of its
stdout (everything the code prints goes to stderr).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]

BUSY_LOOP = "while True:\n    pass\n"


@dataclass
class Case:
    """One measurement, run once per round on every side.

    Parameters
    ----------
    name : str
        Prefix of the figures it returns (``"<name>: <figure>"``).
    fn : callable ``fn(state, opts) -> {figure: fig(...)}``
        Runs in the worker; ``state`` is what ``setup`` returned.
    env : dict, optional
        Environment of the worker it runs in (e.g. ``{"NUMBA_NUM_THREADS": "1"}``);
        cases with the same env share a worker.
    load : bool
        Run it while a busy-loop process occupies one core.
    """

    name: str
    fn: Callable
    env: dict = field(default_factory=dict)
    load: bool = False

    @property
    def env_key(self) -> tuple:
        return tuple(sorted(self.env.items()))


def fig(value, unit: str, better: str | None = None) -> list:
    """A figure as the case returns it; ``better`` is "higher", "lower" or None (information)."""
    assert better in ("higher", "lower", None)
    return [float(value), unit, better]


def reset_peak_rss() -> bool:
    """Reset this process's peak resident memory (Linux ``clear_refs``); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak resident memory [MB] since the last :func:`reset_peak_rss` (or the start)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def timed_calls(fn, calls: int) -> list[float]:
    """Wall times [s] of ``calls`` successive calls of ``fn()``."""
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


# ----------------------------------------------------------------------------- worker side

def _worker(label: str, setup, cases, opts) -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the code prints goes to stderr, not into the protocol
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    t0 = time.perf_counter()
    try:
        state = setup(opts)
    except Exception:
        send({"ready": False, "error": traceback.format_exc()})
        return
    warm = time.perf_counter() - t0
    import numba
    import pelvisim
    try:
        layer = numba.threading_layer()
    except Exception:  # no parallel kernel ran yet
        layer = "not started"
    send({"ready": True, "warmup_s": warm, "pelvisim": str(Path(pelvisim.__file__).parent),
          "numba": numba.__version__, "numba_threads": numba.config.NUMBA_NUM_THREADS,
          "threading_layer": layer, "label": label})
    by_name = {c.name: c for c in cases}
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("quit"):
            break
        try:
            send({"ok": True, "figures": by_name[msg["case"]].fn(state, opts)})
        except Exception:
            send({"ok": False, "error": traceback.format_exc()})


# ----------------------------------------------------------------------------- parent side

def _git_commit(path: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+uncommitted" if dirty else "") if out.returncode == 0 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def _source_key(checkout: Path) -> str:
    """Hash of the checkout's path and of every file under src/ (names and contents).

    The Numba cache of a worker is keyed by it: an edited kernel (in any file)
    gets a fresh cache, never a stale one; an unchanged tree reuses its cache.
    """
    h = hashlib.sha1(str(checkout).encode())
    for f in sorted((checkout / "src").rglob("*.py")):
        h.update(str(f.relative_to(checkout)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:10]


class _Worker:
    def __init__(self, script, argv, label, checkout: Path, env_extra, cache_root: Path):
        commit = _git_commit(checkout)
        self.cache = cache_root / f"{label}-{_source_key(checkout)}"
        self.cache.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(PYTHONPATH=str(checkout / "src"), NUMBA_CACHE_DIR=str(self.cache),
                   MPLBACKEND="Agg", PYTHONUNBUFFERED="1",
                   PYTHONDONTWRITEBYTECODE="1")  # nothing written into the checkouts
        env.update(env_extra)
        self.label, self.checkout, self.commit, self.env_extra = label, checkout, commit, env_extra
        self.proc = subprocess.Popen([sys.executable, str(script), *argv, "--_worker", label],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            return {"ready": False, "ok": False, "error": f"worker exited (code {self.proc.wait()})"}
        return json.loads(line)

    def run(self, case: str) -> dict:
        if self.proc.poll() is not None:
            return {"ok": False, "error": "worker has exited"}
        self.proc.stdin.write(json.dumps({"case": case}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class _BusyLoop:
    """A process spinning on one core (the last one) while a loaded case runs."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
        try:
            os.sched_setaffinity(self.proc.pid, {max(os.sched_getaffinity(0))})
        except (AttributeError, OSError):
            pass
        time.sleep(0.3)  # let it reach full speed
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def _fmt(v: float) -> str:
    if v != v:
        return "nan"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _summary(values: list[float]) -> dict:
    med = statistics.median(values)
    return {"values": values, "median": med, "min": min(values), "max": max(values),
            "range_pct": 100.0 * (max(values) - min(values)) / abs(med) if med else float("nan")}


def _cell(s: dict | None) -> str:
    if not s:
        return "-"
    return f"{_fmt(s['median'])} ({_fmt(s['min'])}-{_fmt(s['max'])})"


def _speedup(b: float, c: float, better) -> float:
    if better == "higher":
        return c / b if b else float("nan")
    if better == "lower":
        return b / c if c else float("nan")
    return c / b if b else float("nan")  # information: plain ratio current/baseline


def _table(rows, have_baseline: bool) -> str:
    head = ["figure", "unit"] + (["baseline", "current", "speed-up [paired range]"]
                                 if have_baseline else ["current"])
    body = []
    for r in rows:
        line = [r["name"], r["unit"]]
        if have_baseline:
            line += [_cell(r.get("baseline")), _cell(r.get("current"))]
            if r.get("speedup") is None:
                line.append(r.get("error", "-"))
            else:
                sp, pr = r["speedup"], r["paired_speedups"]
                tag = "x" if r["better"] else " (ratio c/b)"
                line.append(f"{sp:.2f}{tag} [{min(pr):.2f}-{max(pr):.2f}]" if pr else f"{sp:.2f}{tag}")
        else:
            line.append(_cell(r.get("current")) if r.get("current") else r.get("error", "-"))
        body.append(line)
    widths = [max(len(str(x[i])) for x in [head] + body) for i in range(len(head))]
    out = ["  ".join(str(x).ljust(w) if i < 2 else str(x).rjust(w)
                     for i, (x, w) in enumerate(zip(line, widths))) for line in [head] + body]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def _parser(description, add_arguments, repeats, warmup_rounds) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--baseline", type=Path, help="checkout of the reference code")
    ap.add_argument("--current", type=Path, default=REPO, help="checkout measured as current")
    ap.add_argument("--repeats", type=int, default=repeats, help="rounds per case")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    ap.add_argument("--warmup-rounds", type=int, default=warmup_rounds,
                    help="rounds run first and discarded (a kernel a small warm-up missed "
                         "compiles there, not in a measured round)")
    ap.add_argument("--cache-root", type=Path, default=REPO / ".numba-cache" / "side-by-side")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    if add_arguments:
        add_arguments(ap)
    return ap


def _start_workers(workers, script, argv, sides, case_list, cache_root, info) -> None:
    """Fill ``workers[side, env]``, one at a time (a warm-up may compile on both cores).

    Each side's Numba cache is filled first by a throwaway worker, so that no
    measuring worker has compiled: compilation leaves hundreds of MB of
    compiler memory in a process (and would skew its peak memory figure).
    """
    envs = list(dict.fromkeys(c.env_key for c in case_list))
    for label, path in sides:
        t0 = time.perf_counter()
        primer = _Worker(script, argv, label, path, dict(envs[0]), cache_root)
        primer.close()
        print(f"  {label:<8} cache {primer.cache.name}: filled or loaded in "
              f"{time.perf_counter() - t0:.1f} s (compilation is not measured here)")
        info["sides"].setdefault(label, {"path": str(path), "commit": primer.commit,
                                         "workers": []})["cache_fill_s"] = \
            time.perf_counter() - t0
    for env_key in envs:
        for label, path in sides:
            w = _Worker(script, argv, label, path, dict(env_key), cache_root)
            workers[label, env_key] = w
            env_txt = " ".join(f"{k}={v}" for k, v in env_key) or "default env"
            if not w.info.get("ready"):
                print(f"  {label} ({env_txt}): setup FAILED:\n{w.info.get('error')}")
                continue
            print(f"  {label:<8} {path} @ {w.commit}; {env_txt}: pelvisim from "
                  f"{w.info['pelvisim']}, Numba {w.info['numba']}, "
                  f"{w.info['numba_threads']} threads ({w.info['threading_layer']}); "
                  f"warm-up {w.info['warmup_s']:.1f} s")
            info["sides"][label]["workers"].append(
                {"env": dict(env_key), "cache": str(w.cache), **w.info})


def _run_rounds(workers, sides, case_list, repeats, warmup_rounds):
    """Interleaved rounds; returns ``values[(figure, side)] = {round: value}``, meta, errors."""
    values, meta, errors = {}, {}, {}
    t_start = time.perf_counter()
    total = warmup_rounds + repeats
    for rnd in range(total):
        warm = rnd < warmup_rounds
        for c in case_list:
            # who goes first alternates from round to round (A B, B A, A B, ...): in
            # four runs of today's code against itself in a fixed order, the second
            # of each pair came out 3-8 % faster on the 10^5-point sweep
            order = sides if (rnd - warmup_rounds) % 2 == 0 else sides[::-1]
            with _BusyLoop() if c.load else contextlib.nullcontext():
                for label, _ in order:
                    w = workers[label, c.env_key]
                    res = w.run(c.name) if w.info.get("ready") else \
                        {"ok": False, "error": "setup failed"}
                    if not res.get("ok"):
                        if (c.name, label) not in errors:
                            print(f"  {c.name} ({label}) FAILED:\n{res.get('error')}",
                                  file=sys.stderr)
                        errors[c.name, label] = res.get("error", "").strip().splitlines()[-1:]
                        continue
                    if warm:
                        continue
                    for fname, (v, unit, better) in res["figures"].items():
                        key = f"{c.name}: {fname}"
                        meta.setdefault(key, (unit, better, c.name))
                        values.setdefault((key, label), {})[rnd] = v
        print(f"  {'warm-up round' if warm else 'round'} {rnd + 1}/{total} done "
              f"({time.perf_counter() - t_start:.0f} s, load {os.getloadavg()[0]:.1f})",
              file=sys.stderr)
    return values, meta, errors


def _rows(values, meta, errors, sides) -> list[dict]:
    rows = []
    for key, (unit, better, cname) in meta.items():
        row = {"name": key, "unit": unit, "better": better}
        for label, _ in sides:
            if (key, label) in values:
                row[label] = _summary(list(values[key, label].values()))
            elif (cname, label) in errors:
                row["error"] = f"{label} failed"
        if "baseline" in row and "current" in row:
            b, c = values[key, "baseline"], values[key, "current"]
            row["paired_speedups"] = [_speedup(b[r], c[r], better) for r in b if r in c]
            row["speedup"] = statistics.median(row["paired_speedups"]) if \
                row["paired_speedups"] else float("nan")
        rows.append(row)
    return rows


def main(*, description: str, setup, cases: Callable, add_arguments=None, repeats: int = 5,
         warmup_rounds: int = 1, argv=None) -> dict | None:
    """Entry point of a benchmark script (parent or worker, see the module docstring).

    Parameters
    ----------
    description : first line of the script's docstring
    setup : callable ``setup(opts) -> state``, runs in each worker
    cases : callable ``cases(opts) -> list[Case]`` (same list in parent and workers)
    add_arguments : callable ``add_arguments(parser)`` for the script's own options
    repeats : default number of rounds
    warmup_rounds : default number of discarded rounds run first

    Returns
    -------
    dict (what ``--json`` writes) in the parent, None in a worker.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    opts = _parser(description, add_arguments, repeats, warmup_rounds).parse_args(argv)
    case_list = cases(opts)
    if opts._worker:
        _worker(opts._worker, setup, case_list, opts)
        return None

    script = Path(sys.modules["__main__"].__file__).resolve()
    sides = [("current", opts.current.resolve())]
    if opts.baseline:
        sides.insert(0, ("baseline", opts.baseline.resolve()))
    for label, path in sides:
        if not (path / "src" / "pelvisim").is_dir():
            print(f"{script.name}: --{label} {path}: no src/pelvisim there", file=sys.stderr)
            raise SystemExit(2)
    print(f"{script.name}: {description}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"{opts.repeats} interleaved rounds per case")
    info = {"benchmark": script.name, "argv": argv,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "cores": os.cpu_count(), "load_start": os.getloadavg()[0],
            "repeats": opts.repeats, "sides": {}, "figures": []}
    workers = {}
    try:
        _start_workers(workers, script, argv, sides, case_list, opts.cache_root, info)
        values, meta, errors = _run_rounds(workers, sides, case_list, opts.repeats,
                                           opts.warmup_rounds)
    finally:
        for w in workers.values():
            w.close()

    rows = _rows(values, meta, errors, sides)
    info["load_end"] = os.getloadavg()[0]
    info["figures"] = rows
    print()
    print(_table(rows, bool(opts.baseline)))
    print("\nvalues: median over rounds (min-max over rounds); speed-up: median [min-max] of "
          "the per-round paired ratios, current/baseline for throughputs, baseline/current "
          "for times (ratio c/b: plain ratio of an information figure)")
    print(f"load average at end {info['load_end']:.1f}")
    if opts.json:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(info, indent=1))
        print(f"wrote {opts.json}")
    return info


def markdown(info: dict) -> str:
    """The figures of one ``--json`` file as a Markdown table (for notes and docs)."""
    sides = info.get("sides", {})
    head = f"{info['benchmark']}, {info['date']}, " + ", ".join(
        f"{k} {v['commit']}" for k, v in sides.items()) + \
        f"; load average {info['load_start']:.1f} -> {info['load_end']:.1f}\n\n"
    both = "baseline" in sides
    lines = ["| figure | unit | " + ("baseline | current | speed-up |" if both else "current |"),
             "|---|---|" + ("---|---|---|" if both else "---|")]
    for r in info["figures"]:
        cells = [r["name"], r["unit"]]
        cells += [_cell(r.get(s)) for s in (("baseline", "current") if both else ("current",))]
        if both:
            pr = r.get("paired_speedups") or []
            cells.append(f"{r['speedup']:.2f}{'x' if r['better'] else ' (c/b)'} "
                         f"[{min(pr):.2f}-{max(pr):.2f}]" if pr else r.get("error", "-"))
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines)


if __name__ == "__main__":
    # python benchmarks/_side_by_side.py RESULT.json [...]: Markdown tables of --json files
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        print(__doc__.split("\n\n")[0] + "\n\nusage: python benchmarks/_side_by_side.py "
              "RESULT.json [...]   (Markdown table of each --json file)")
        raise SystemExit(0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 2)
    for name in sys.argv[1:]:
        print(markdown(json.loads(Path(name).read_text())) + "\n")
