"""The pelvisim error classes: every user mistake raises one of these.

Each message is ONE line naming the file (or ``<arguments>``), the key, the
value and what is allowed::

    PelvisimError            any user mistake (the CLI prints it, exit code 2)
    +-- ParameterError       a parameter file, a model edit (strength, body, ...)
    +-- ExperimentError      an experiment file, a sweep factor or sampler
    +-- InputFileError       a data file (gait table, OpenSim file, results)
    |   +-- MissingFileError     ... that does not exist (also a FileNotFoundError)
    |   +-- MissingColumnError   ... without a column asked for (also a KeyError)
    +-- TaskError            a task, its parameters or its compensation
    +-- UsageError           a command-line argument
    +-- OutputError          an output folder that cannot or may not be written

All derive from ``ValueError`` so that code catching ``ValueError`` keeps
working. Anything else escaping pelvisim is a bug (the CLI shows its traceback).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["PelvisimError", "ParameterError", "ExperimentError", "InputFileError",
           "MissingFileError", "MissingColumnError", "TaskError", "UsageError", "OutputError",
           "one_line", "read_text"]


class PelvisimError(ValueError):
    """A user mistake; ``str(err)`` is one line naming file, key, value and what is allowed."""


class ParameterError(PelvisimError):
    """A parameter file or a model edit is malformed or out of range."""


class ExperimentError(PelvisimError):
    """An experiment file, a sweep factor or a sampler setting is wrong."""


class InputFileError(PelvisimError):
    """A data file (gait table, OpenSim table, results file) cannot be used."""


class MissingFileError(InputFileError, FileNotFoundError):
    """A file that was asked for does not exist."""

    def __str__(self):  # FileNotFoundError would format (errno, strerror)
        return str(self.args[0]) if self.args else ""


class MissingColumnError(InputFileError, KeyError):
    """A table has no column of the name asked for."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TaskError(PelvisimError):
    """A task name, task parameter or compensation is not allowed."""


class UsageError(PelvisimError):
    """A command-line problem."""


class OutputError(PelvisimError):
    """An output folder or file cannot (or may not) be written."""


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (whitespace runs collapsed)."""
    return " ".join(str(exc).split())


def read_text(path, what: str = "file", errors: str = "strict") -> str:
    """The text of a UTF-8 file; a missing, unreadable or binary file raises
    :class:`MissingFileError` / :class:`InputFileError` naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8", errors=errors)
    except FileNotFoundError:
        raise MissingFileError(f"{path}: <file>: {what} not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: <file>: is a folder: allowed a {what}") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: <file>: not UTF-8 text: allowed a {what}") from None
    except OSError as exc:
        raise InputFileError(f"{path}: <file>: cannot read ({exc.strerror}): allowed a readable "
                             f"{what}") from None
