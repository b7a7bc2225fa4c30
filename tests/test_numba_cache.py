"""The Numba cache folder keyed by the kernel sources (pelvisim._numba_cache)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.dispatcher import Dispatcher

import pelvisim
from pelvisim import _numba_cache as nc

SRC = Path(pelvisim.__file__).resolve().parent.parent


@pytest.fixture
def package(tmp_path):
    """A copy of the installed package (sources only), named pelvisim."""
    dst = tmp_path / "pelvisim"
    shutil.copytree(nc.PACKAGE_DIR, dst, ignore=shutil.ignore_patterns("__pycache__", "*.nb[ic]",
                                                                       "resources", "data"))
    return dst


def _append(path: Path, text: str):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_hash_of_a_copy_equals_the_package_hash(package):
    assert nc.source_hash(package) == nc.source_hash()


def test_hash_changes_when_any_kernel_source_changes(package):
    before = nc.source_hash(package)
    kernels = sorted((package / "_kernels").glob("*.py")) + [package / "_recruitment_kernel.py"]
    assert len(kernels) >= 3
    seen = {before}
    for path in kernels:
        _append(path, "\n# edited\n")
        h = nc.source_hash(package)
        assert h not in seen, path.name
        seen.add(h)


def test_new_kernel_file_and_njit_module_are_keyed(package):
    before = nc.source_hash(package)
    (package / "_kernels" / "new_step.py").write_text("X = 1\n", encoding="utf-8")
    after_new = nc.source_hash(package)
    assert after_new != before
    # a module outside _kernels/ with a decorated kernel, and the module it imports
    (package / "helper_consts.py").write_text("G = 9.81\n", encoding="utf-8")
    assert nc.source_hash(package) == after_new  # imported by no kernel: not keyed
    (package / "extra_kernel.py").write_text(
        "from numba import njit\nfrom .helper_consts import G\n\n@njit(cache=True)\n"
        "def f(x):\n    return G * x\n", encoding="utf-8")
    with_kernel = nc.source_hash(package)
    assert with_kernel != after_new
    files = {p.name for p in nc.kernel_sources(package)}
    assert {"extra_kernel.py", "helper_consts.py", "new_step.py"} <= files
    _append(package / "helper_consts.py", "G = 9.80665\n")  # a constant a kernel freezes
    assert nc.source_hash(package) != with_kernel


def test_transitive_and_absolute_imports_are_keyed(package):
    (package / "consts_a.py").write_text("from pelvisim import consts_b\n", encoding="utf-8")
    (package / "consts_b.py").write_text("B = 2\n", encoding="utf-8")
    _append(package / "_kernels" / "__init__.py", "\nfrom .. import consts_a  # noqa\n")
    files = {p.name for p in nc.kernel_sources(package)}
    assert {"consts_a.py", "consts_b.py"} <= files
    before = nc.source_hash(package)
    _append(package / "consts_b.py", "B = 3\n")
    assert nc.source_hash(package) != before


def test_hash_ignores_modules_no_kernel_uses(package):
    before = nc.source_hash(package)
    _append(package / "cli.py", "\n# edited\n")
    _append(package / "report.py", "\n# edited\n")
    assert nc.source_hash(package) == before
    assert "cli.py" not in {p.name for p in nc.kernel_sources(package)}


def test_every_cached_kernel_uses_the_keyed_folder():
    import pelvisim._kernels.batch  # noqa: F401  (all kernel modules)
    import pelvisim.recruitment  # noqa: F401

    folder = nc.setup()
    assert folder is not None and folder == nc.cache_dir()
    assert folder.name == nc.PREFIX + nc.source_hash()
    assert folder.parent == nc.user_cache_root()
    from pelvisim._kernels.jit import Step

    dispatchers = [v._dispatcher if isinstance(v, Step) else v
                   for name, mod in list(sys.modules.items()) if name.startswith("pelvisim")
                   for v in vars(mod).values() if isinstance(v, (Dispatcher, Step))]
    assert len(dispatchers) >= 20
    for d in dispatchers:
        assert d._cache is not None and hasattr(d._cache, "_cache_path"), d.py_func
        assert Path(d._cache._cache_path).is_relative_to(folder), d.py_func


def test_user_cache_root(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
    assert nc.user_cache_root() == tmp_path / "nb"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert nc.user_cache_root() == tmp_path / "xdg" / "pelvisim" / "numba"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert nc.user_cache_root() == Path.home() / ".cache" / "pelvisim" / "numba"


def test_prune_keeps_the_newest_and_recent(tmp_path):
    now = 1.0e9
    for age in range(10):  # pelvisim-...0 is the newest
        d = tmp_path / f"{nc.PREFIX}{age:016x}"
        d.mkdir()
        (d / "x.nbi").write_text("")
        os.utime(d, (now - 7200 * age, now - 7200 * age))
    other = tmp_path / "someone_elses_cache"
    other.mkdir()
    os.utime(other, (0, 0))
    removed = nc.prune(tmp_path, keep=3, grace_s=3 * 7200 + 1, now=now)
    left = sorted(p.name for p in tmp_path.iterdir())
    # the 3 newest kept, the 4th too (used within the grace period), the rest removed
    assert left == [f"{nc.PREFIX}{a:016x}" for a in range(4)] + ["someone_elses_cache"]
    assert len(removed) == 6


def _run(code: str, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC), NUMBA_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)


def test_first_compile_prints_one_line_then_the_cache_is_used(tmp_path):
    code = ("import numpy as np, pelvisim\n"
            "from pelvisim import _numba_cache as nc, _recruitment_kernel as k\n"
            "print(nc.is_cold())\n"
            "w = np.arange(6.0).reshape(2, 3)\n"
            "print(k._row_max(w, 1, 3), k._row_max(w, 0, 2))\n")
    first = _run(code, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["True", "5.0", "1.0"]
    lines = [ln for ln in first.stderr.splitlines() if ln.startswith("pelvisim:")]
    assert lines == [nc.compile_message().replace(str(nc.cache_dir()), str(tmp_path / nc.cache_dir().name))]
    folder = tmp_path / nc.cache_dir().name
    assert list(folder.rglob("*._row_max-*.nbi")) and list(folder.rglob("*._row_max-*.nbc"))
    second = _run(code, tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["False", "5.0", "1.0"]
    assert "pelvisim:" not in second.stderr
