"""Output folders: checked before any work, never silently overwritten, and
removed again when a run leaves nothing in them.

A results folder holds the files of one run of an experiment, plus, while a
run is going on or after it was interrupted, the chunk stores of its sweeps in
``.pelvisim-partial/<label>/`` (:mod:`pelvisim.store`). A run into a folder
that holds results of an earlier run needs ``overwrite``; a folder with an
interrupted run needs ``resume`` (continue) or ``overwrite`` (start over).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputError, UsageError

__all__ = ["PARTIAL", "prepare", "cleanup", "chunks_kept"]

PARTIAL = ".pelvisim-partial"


def _has_results(out: Path) -> bool:
    return any(out.glob("*.nc")) or (out / "summary.txt").exists()


def prepare(out, *, resume: bool = False, overwrite: bool = False,
            results: bool = True) -> Path | None:
    """Check (and create) an output folder before any work.

    Parameters
    ----------
    out : folder
    resume, overwrite : see the module docstring (``results`` folders only)
    results : False for a folder of figures (``pelvisim plot``): it may hold files

    Returns
    -------
    The topmost folder created (to remove with :func:`cleanup` if the run
    leaves nothing), or None if ``out`` existed.

    Raises
    ------
    OutputError naming the folder and what is allowed.
    """
    out = Path(out)
    if resume and overwrite:
        raise UsageError("--resume and --overwrite: allowed one of them (--resume continues an "
                         "interrupted run, --overwrite starts over)")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: is a file: allowed a folder (new, or of an earlier run "
                          f"with --overwrite)")
    created = None
    if out.is_dir():
        if results:
            partial = out / PARTIAL
            if partial.is_dir() and not (resume or overwrite):
                raise OutputError(f"--out {out}: holds an interrupted run: allowed --resume to "
                                  f"continue it or --overwrite to start over")
            if _has_results(out) and not partial.is_dir() and not overwrite:
                raise OutputError(f"--out {out}: holds the results of an earlier run: allowed "
                                  f"--overwrite to replace them, or another --out")
            if overwrite and partial.is_dir():
                shutil.rmtree(partial)
    else:
        created = out
        while not created.parent.exists() and created.parent != created:
            created = created.parent
        try:
            out.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(f"--out {out}: cannot create the folder ({exc.strerror}): allowed a "
                              f"folder this user can write") from None
    try:
        fd, probe = tempfile.mkstemp(dir=out, prefix=".pelvisim-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        cleanup(created)
        raise OutputError(f"--out {out}: cannot write into the folder ({exc.strerror}): allowed "
                          f"a folder this user can write") from None
    return created


def chunks_kept(out) -> int:
    """Number of finished chunks in the stores of ``out``."""
    partial = Path(out) / PARTIAL
    return sum(1 for _ in partial.glob("*/chunk-*.nc")) if partial.is_dir() else 0


def cleanup(created, out=None) -> None:
    """After a failed or interrupted run: drop a chunk store without chunks and
    the folders this run created if they hold nothing else."""
    if out is not None:
        partial = Path(out) / PARTIAL
        if partial.is_dir() and chunks_kept(out) == 0:
            shutil.rmtree(partial, ignore_errors=True)
    if created is None:
        return
    created = Path(created)
    if created.is_dir() and not any(p.is_file() for p in created.rglob("*")):
        shutil.rmtree(created, ignore_errors=True)
