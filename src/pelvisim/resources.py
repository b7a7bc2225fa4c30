"""Where shipped data files live: package data in a wheel, the repository in an
editable install."""
from __future__ import annotations

from pathlib import Path

_PACKAGE_DATA = Path(__file__).parent / "data"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir(kind: str) -> Path:
    """Directory holding shipped files of one kind (``"params"`` or ``"experiments"``).

    A wheel carries them in ``pelvisim/data/<kind>`` (copied by ``setup.py``);
    an editable install reads the repository's ``<kind>/`` folder.
    """
    packaged = _PACKAGE_DATA / kind
    if packaged.is_dir() and any(packaged.iterdir()):
        return packaged
    repo = _REPO_ROOT / kind
    if repo.is_dir():
        return repo
    raise FileNotFoundError(f"pelvisim data folder {kind!r} not found in {packaged} or {repo}")


def data_file(kind: str, name: str) -> Path:
    return data_dir(kind) / name
