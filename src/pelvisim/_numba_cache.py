"""Where Numba caches pelvisim's compiled kernels, keyed by their sources.

Numba's own cache index only checks the timestamp of the file that defines a
kernel: a kernel it inlines or calls from another file, or a constant it froze
from another module, can change without the cache noticing, and a stale kernel
gives wrong numbers, not an error. So :func:`setup` (run by
``pelvisim/__init__.py`` before any kernel module is imported, i.e. before any
``@njit(cache=True)`` decorator runs: Numba reads ``numba.config.CACHE_DIR``
when the decorator enables caching) points Numba at a folder named by a hash
of

* every module of the package that defines Numba kernels (all of
  ``pelvisim/_kernels/``, found by a glob, and any other module with a
  ``@njit``/``@jit`` decorator),
* the package modules those import (transitively; e.g. ``conventions.py``,
  whose constants the kernels freeze at compile time),
* the Python, NumPy, Numba and llvmlite versions.

Any edit of one of them gives a new, empty folder: everything is compiled
again, never served stale. The folders live in ``$NUMBA_CACHE_DIR`` when it
is set, else in the user cache folder (``$XDG_CACHE_HOME/pelvisim/numba``,
default ``~/.cache/pelvisim/numba``; ``~/Library/Caches`` on macOS,
``%LOCALAPPDATA%`` on Windows). Only the :data:`KEEP` most recently used
``pelvisim-<hash>`` folders are kept (folders used in the last
:data:`GRACE_S` seconds are never removed, so concurrent runs of other
checkouts keep theirs).

:func:`setup` also registers a Numba event listener that prints one line to
stderr the first time, in a process, Numba compiles a pelvisim kernel (i.e.
misses the cache), so that a first run does not sit silent for a minute.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PREFIX = "pelvisim-"
#: Most recently used cache folders kept by :func:`prune`.
KEEP = 6
#: Folders used less than this long ago [s] are never pruned.
GRACE_S = 3600.0
#: First-compile time printed by the compile message: benchmarks/compile.py,
#: the README's main command on an empty cache, 26.5 s wall on a 2-core
#: machine, of which 6.3 s is the run itself; a first pelvisim.solve 19.8 s
#: (commit 2a5cafc, 2026-12-02).
COMPILE_ESTIMATE = "20-30 s"

_KERNEL_DECORATOR = re.compile(r"^\s*@\s*(?:numba\.|nb\.)?(?:njit|jit|vectorize|guvectorize|cfunc)\b",
                               re.MULTILINE)
_state: dict = {"dir": None, "cold": False, "announced": False}


def kernel_sources(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The package's modules that define Numba kernels, plus the package modules
    they import (transitively), sorted; paths inside ``package_dir``."""
    package_dir = Path(package_dir)
    files = sorted(package_dir.rglob("*.py"))
    seeds = {p for p in files if "_kernels" in p.relative_to(package_dir).parts
             or _KERNEL_DECORATOR.search(p.read_text(encoding="utf-8"))}
    todo, found = list(seeds), set(seeds)
    while todo:
        for dep in _package_imports(todo.pop(), package_dir):
            if dep not in found:
                found.add(dep)
                todo.append(dep)
    return sorted(found)


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)",
                          re.MULTILINE)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#]*)", re.MULTILINE)


def _package_imports(path: Path, package_dir: Path) -> set[Path]:
    """Modules of the package imported by ``path`` (relative or ``pelvisim.``
    imports, read with regular expressions: 10-50x faster than ``ast``)."""
    pkg = path.relative_to(package_dir).parts[:-1]  # the package ``path`` belongs to
    text = path.read_text(encoding="utf-8")
    names: list[tuple[str, ...]] = []
    for dots, module, what in _FROM_IMPORT.findall(text):
        mod = tuple(module.split(".")) if module else ()
        if dots:
            if len(dots) - 1 > len(pkg):
                continue
            base = pkg[:len(pkg) - (len(dots) - 1)]
        elif mod and mod[0] == package_dir.name:
            base, mod = (), mod[1:]
        else:
            continue
        names.append(base + mod)
        for item in what.strip("() \t\n").split(","):  # from . import module
            item = item.split()[0] if item.split() else ""
            if item.isidentifier():
                names.append(base + mod + (item,))
    for line in _IMPORT.findall(text):
        for item in line.split(","):
            parts = tuple(item.split()[0].split(".")) if item.split() else ()
            if parts and parts[0] == package_dir.name:
                names.append(parts[1:])
    out = set()
    for parts in names:
        for cand in (package_dir.joinpath(*parts).with_suffix(".py"),
                     package_dir.joinpath(*parts, "__init__.py")):
            if parts and cand.is_file():
                out.add(cand)
    return out


def _version(dist: str) -> str:
    mod = sys.modules.get(dist)  # imported (numba imports numpy and llvmlite): no metadata scan
    if mod is not None and hasattr(mod, "__version__"):
        return mod.__version__
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "?"


def source_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """16 hex digits of a SHA-256 of the kernel sources (:func:`kernel_sources`,
    by path relative to ``package_dir`` and content) and the Python, NumPy,
    Numba and llvmlite versions."""
    package_dir = Path(package_dir)
    h = hashlib.sha256()
    h.update(("python %d.%d" % sys.version_info[:2]).encode())
    for dist in ("numpy", "numba", "llvmlite"):
        h.update(f"\0{dist} {_version(dist)}".encode())
    for p in kernel_sources(package_dir):
        h.update(b"\0" + p.relative_to(package_dir).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def user_cache_root() -> Path:
    """Folder holding the ``pelvisim-<hash>`` cache folders."""
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "pelvisim" / "Cache" / "numba"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "pelvisim" / "numba"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "pelvisim" / "numba"


def cache_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """The cache folder of these kernel sources."""
    return user_cache_root() / (PREFIX + source_hash(package_dir))


def prune(root: Path, keep: int = KEEP, grace_s: float = GRACE_S, now: float | None = None) -> list[Path]:
    """Remove all but the ``keep`` most recently used ``pelvisim-<hash>`` folders
    of ``root`` (never one used in the last ``grace_s`` seconds). Returns the removed ones."""
    now = time.time() if now is None else now
    pat = re.compile(re.escape(PREFIX) + r"[0-9a-f]{16}")
    used = []
    try:
        for d in Path(root).iterdir():
            if pat.fullmatch(d.name) and d.is_dir():
                used.append((d.stat().st_mtime, d))
    except OSError:  # unreadable, or another process pruning at the same time
        return []
    used.sort(reverse=True)
    removed = []
    for mtime, d in used[keep:]:
        if now - mtime > grace_s:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def setup() -> Path | None:
    """Point Numba's cache at :func:`cache_dir` (once per process); returns it,
    or None when it cannot be created (Numba then uses its default locations)."""
    if _state["dir"] is not None:
        return _state["dir"]
    import numba
    from numba.core import event

    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        os.utime(path)  # last use, for prune
        _state["cold"] = not any(path.rglob("*.nbi"))
    except OSError:
        return None
    numba.config.CACHE_DIR = str(path)
    _state["dir"] = path
    event.register("numba:compile", _make_listener())
    prune(path.parent)
    return path


def is_cold() -> bool:
    """True when the cache folder held no compiled kernel at :func:`setup`."""
    return _state["cold"]


def compile_message() -> str:
    return (f"pelvisim: compiling the Numba kernels (first run only, about "
            f"{COMPILE_ESTIMATE}; cached in {_state['dir']})...")


def announce(stream=None) -> None:
    """Print :func:`compile_message` to ``stream`` (stderr) once per process."""
    if _state["announced"]:
        return
    _state["announced"] = True
    stream = sys.stderr if stream is None else stream
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None and hasattr(tqdm, "tqdm"):
        tqdm.tqdm.write(compile_message(), file=stream)  # above a progress bar, not inside it
    else:
        print(compile_message(), file=stream, flush=True)


def announce_done() -> None:
    """Silence :func:`announce` in this process (the caller said it already)."""
    _state["announced"] = True


def _make_listener():
    from numba.core import event

    class CompileNotice(event.Listener):
        """Announces the first compilation of a pelvisim kernel (a cache miss)."""

        def on_start(self, ev):
            disp = (ev.data or {}).get("dispatcher")
            module = getattr(getattr(disp, "py_func", None), "__module__", "") or ""
            if module.split(".")[0] == "pelvisim":
                announce()

        def on_end(self, ev):
            pass

    return CompileNotice()

