"""Readers and a writer for OpenSim data files (``.sto`` storage and ``.mot`` motion files).

Both formats are a text header closed by a line ``endheader``, then one line of
column labels (tab separated; the first is ``time``), then one row of numbers
per time frame (tabs or spaces). Header lines are ``key=value`` (OpenSim 4:
``version=1``, ``nRows=73``, ``inDegrees=yes``) or ``key value`` (the legacy SIMM
motion header: ``datarows 211``); a first line without either is the table's
name. Lines starting with ``#`` are comments.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputFileError, MissingColumnError, OutputError, read_text

__all__ = ["OpenSimTable", "read_opensim_table", "write_opensim_table"]


@dataclass(frozen=True, eq=False)
class OpenSimTable:
    """One OpenSim ``.sto`` / ``.mot`` file in memory.

    Attributes
    ----------
    path : pathlib.Path
        File it was read from.
    columns : tuple of str
        Column labels, ``columns[0] == "time"``.
    data : numpy.ndarray, shape (rows, cols)
        Values as written in the file (angles in degrees if ``in_degrees``);
        read-only.
    in_degrees : bool
        ``True`` when rotational coordinates are in degrees [deg], ``False`` for
        radians [rad]. From the header's ``inDegrees``; a file without it is taken
        as degrees if it is a ``.mot`` (legacy SIMM motion files are) and radians
        otherwise, unless the reader was told.
    metadata : dict of str to str
        Header entries (``"name"`` for a bare first line, ``"comments"`` for ``#``
        lines joined by newlines).
    """

    path: Path
    columns: tuple[str, ...]
    data: np.ndarray
    in_degrees: bool
    metadata: dict = field(default_factory=dict)

    @property
    def time(self) -> np.ndarray:
        """Time column [s], shape (rows,)."""
        return self.column("time")

    def column(self, name: str) -> np.ndarray:
        """One column as a 1-D array (a read-only view); the first one if a
        label repeats (legacy SIMM ``.mot`` files repeat the GRF labels).

        Raises
        ------
        KeyError
            If there is no such column; the message lists close matches.
        """
        try:
            j = self.columns.index(name)
        except ValueError:
            close = difflib.get_close_matches(name, self.columns, n=5, cutoff=0.6)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise MissingColumnError(
                f"{self.path.name}: no column {name!r} among {len(self.columns)} columns{hint}"
            ) from None
        return self.data[:, j]

    def __contains__(self, name: str) -> bool:
        return name in self.columns


def _bool_flag(text: str) -> bool | None:
    t = text.strip().lower()
    if t in ("yes", "true", "1"):
        return True
    if t in ("no", "false", "0"):
        return False
    return None


def read_opensim_table(path, *, in_degrees: bool | None = None) -> OpenSimTable:
    """Read an OpenSim ``.sto`` or ``.mot`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    in_degrees : bool, optional
        Overrides the header's ``inDegrees`` (needed only for files without one).

    Returns
    -------
    OpenSimTable

    Raises
    ------
    ValueError
        One line naming the file, what is wrong and what was expected: no
        ``endheader``, no column labels, no ``time`` column first, a ragged row (with its line number), a non-numeric value (line and
        column), no data rows, a row count that disagrees with ``nRows`` /
        ``datarows``, or an ``inDegrees`` value that is not yes/no.
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    name = path.name
    lines = read_text(path, "OpenSim .sto/.mot file", errors="replace").splitlines()

    end = next((i for i, line in enumerate(lines) if line.strip().lower() == "endheader"), None)
    if end is None:
        raise InputFileError(
            f"{name}: no 'endheader' line found; expected an OpenSim .sto/.mot header "
            "closed by a line 'endheader' before the column labels"
        )

    metadata: dict[str, str] = {}
    comments = []
    for i, raw in enumerate(lines[:end]):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line.lstrip("#").strip())
        elif "=" in line:
            key, value = line.split("=", 1)
            metadata[key.strip()] = value.strip()
        elif i == 0:
            metadata["name"] = line
        else:
            key, _, value = line.partition(" ")
            metadata[key.strip()] = value.strip()
    if comments:
        metadata["comments"] = "\n".join(comments)

    label_no = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), None)
    if label_no is None:
        raise InputFileError(f"{name}: nothing after 'endheader'; expected a line of column labels starting with 'time'")
    label_line = lines[label_no].strip()
    parts = label_line.split("\t") if "\t" in label_line else label_line.split()
    columns = tuple(p.strip() for p in parts if p.strip())
    if not columns or columns[0].lower() != "time":
        raise InputFileError(
            f"{name}: line {label_no + 1} should hold the column labels starting with 'time', "
            f"found {label_line[:60]!r}"
        )

    rows = []
    for i in range(label_no + 1, len(lines)):
        fields = lines[i].split()
        if not fields:
            continue
        if len(fields) != len(columns):
            raise InputFileError(
                f"{name}: ragged row at line {i + 1}: {len(fields)} values, expected {len(columns)} "
                "(one per column label)"
            )
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            j = next(k for k, f in enumerate(fields) if not _is_float(f))
            raise InputFileError(
                f"{name}: non-numeric value {fields[j]!r} at line {i + 1}, column {columns[j]!r}; expected a number"
            ) from None
    if not rows:
        raise InputFileError(f"{name}: no data rows after the column labels; expected at least one row of numbers")

    declared = metadata.get("nRows", metadata.get("datarows"))
    if declared is not None and declared.strip().isdigit() and int(declared) != len(rows):
        raise InputFileError(
            f"{name}: header declares {declared} rows but the file has {len(rows)}; "
            "expected them to agree (truncated or edited file?)"
        )

    if in_degrees is None:
        if "inDegrees" in metadata:
            in_degrees = _bool_flag(metadata["inDegrees"])
            if in_degrees is None:
                raise InputFileError(f"{name}: inDegrees={metadata['inDegrees']!r}; expected 'yes' or 'no'")
        else:
            in_degrees = path.suffix.lower() == ".mot"

    data = np.asarray(rows, dtype=float)
    data.setflags(write=False)
    return OpenSimTable(path=path, columns=columns, data=data, in_degrees=bool(in_degrees), metadata=metadata)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_opensim_table(path, columns, data, *, name: str = "pelvisim", in_degrees: bool = False,
                        metadata: dict | None = None) -> Path:
    """Write an OpenSim 4 storage file (``.sto``), as ``opensim.TimeSeriesTable`` reads it.

    The header is the table's name, ``version=1``, ``nRows``, ``nColumns`` (time
    included), ``inDegrees``, any ``metadata`` as ``key=value`` lines, then
    ``endheader``; then the tab-separated labels (``time`` first) and one row per frame.

    Parameters
    ----------
    path : str or pathlib.Path
        File to write (folders are created).
    columns : sequence of str
        Column labels; the first must be ``"time"``.
    data : array_like, shape (rows, len(columns))
        Values (``time`` strictly increasing).
    name : str
        First header line (OpenSim tools write e.g. ``Static Optimization``).
    in_degrees : bool
        Whether rotational values are in degrees.
    metadata : dict of str to str, optional
        Extra header entries (no ``=`` or newlines in keys, no newlines in values).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        Bad labels, shape, non-finite values or a time column that does not increase.
    """
    path = Path(path)
    columns = [str(c) for c in columns]
    arr = np.asarray(data, dtype=float)
    if not columns or columns[0] != "time":
        raise OutputError(f"{path.name}: columns: {columns[:1]!r}: the first column must be 'time'")
    if any(not c or any(ch in c for ch in "\t\n ") for c in columns):
        raise OutputError(f"{path.name}: columns: labels must be non-empty without spaces, tabs or newlines")
    if arr.ndim != 2 or arr.shape[1] != len(columns) or arr.shape[0] < 1:
        raise OutputError(f"{path.name}: data: shape {arr.shape}: expected (rows >= 1, {len(columns)})")
    if not np.all(np.isfinite(arr)):
        raise OutputError(f"{path.name}: data: non-finite values; OpenSim storage files need numbers")
    if np.any(np.diff(arr[:, 0]) <= 0):
        raise OutputError(f"{path.name}: time: the time column must increase strictly")
    head = [name, "version=1", f"nRows={arr.shape[0]}", f"nColumns={len(columns)}",
            f"inDegrees={'yes' if in_degrees else 'no'}"]
    for k, v in (metadata or {}).items():
        if "=" in str(k) or "\n" in str(k) + str(v):
            raise OutputError(f"{path.name}: metadata: {k!r}: keys without '=', no newlines")
        head.append(f"{k}={v}")
    head.append("endheader")
    lines = head + ["\t".join(columns)]
    lines += ["\t".join(f"{x:.10g}" for x in row) for row in arr]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
