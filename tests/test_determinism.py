"""Same input, bitwise same output: threads, repeats, resumed stores, Dask worker
processes (with a worker killed mid-sweep); provenance records the versions."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import pelvisim
from pelvisim.sweep import sweep

FACTORS = {"gluteus_medius": [1.0, 0.7, 0.4, 0.1], "gluteus_minimus": [1.0, 0.3],
           "compensation": ["none", "optimal"]}


def assert_identical(a, b):
    """Every variable and coordinate bitwise equal; attrs equal but the creation time."""
    assert set(a.variables) == set(b.variables)
    for k in a.variables:
        x, y = a[k].values, b[k].values
        assert x.dtype == y.dtype and x.shape == y.shape, k
        if x.dtype.kind in "OUS":
            assert (x == y).all(), k
        else:
            assert x.tobytes() == y.tobytes(), k
    strip = lambda attrs: {k: v for k, v in attrs.items() if k != "created_utc"}
    assert strip(a.attrs) == strip(b.attrs)


def _run(model, **kw):
    return sweep(model, pelvisim.task("single_leg_stance"), FACTORS, progress=False, seed=3,
                 chunk_size=3, **kw)


@pytest.fixture(scope="module")
def reference(model):
    return _run(model)


def test_provenance_records_versions(reference):
    import llvmlite
    import numba

    assert reference.attrs["numba_version"] == numba.__version__
    assert reference.attrs["llvmlite_version"] == llvmlite.__version__
    assert reference.attrs["numpy_version"] == np.__version__


def test_one_and_two_threads_and_repeats_identical(model, reference):
    import numba

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run(model)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _run(model)
    finally:
        numba.set_num_threads(before)
    assert_identical(one, reference)
    assert_identical(two, reference)
    assert_identical(_run(model), reference)  # a repeat in the same process


def test_chunk_size_does_not_change_the_result(model, reference):
    ds = sweep(model, pelvisim.task("single_leg_stance"), FACTORS, progress=False, seed=3,
               chunk_size=5)
    for k in reference.data_vars:
        assert reference[k].values.tobytes() == ds[k].values.tobytes(), k


def test_store_resume_identical(model, reference, tmp_path):
    store = tmp_path / "store"
    first = _run(model, store=store)
    assert_identical(first, reference)
    chunks = sorted(store.glob("chunk-*.nc"))
    assert len(chunks) == 6  # 2 compensations x ceil(8 points / 3)
    for p in chunks[::2]:  # as if killed: half the chunks never written
        p.unlink()
    assert_identical(_run(model, store=store), reference)
    with pytest.raises(pelvisim.PelvisimError, match="different sweep"):
        sweep(model, pelvisim.task("single_leg_stance"), {"gluteus_medius": [1.0]},
              progress=False, seed=3, chunk_size=3, store=store)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    # worker processes (pickling exercised) inherit NUMBA_CACHE_DIR: they load
    # the compiled kernels from the same cache instead of compiling again
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_dask_processes_identical_to_local(model, reference, dask_client):
    assert_identical(_run(model, client=dask_client), reference)


def test_dask_worker_killed_mid_sweep(model, dask_client, tmp_path):
    """A worker process dies (SIGKILL) while chunks are running: Dask reruns its
    chunks elsewhere and the result is complete and identical to the local one."""
    task = pelvisim.task("single_leg_stance")
    factors = {"gluteus_medius": list(np.linspace(1.0, 0.1, 30)),
               "compensation": ["optimal"]}
    local = sweep(model, task, factors, progress=False, seed=3, chunk_size=1)
    store = tmp_path / "store"
    out = {}

    def work():
        out["ds"] = sweep(model, task, factors, progress=False, seed=3, chunk_size=1,
                          client=dask_client, store=store)

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.time() + 120
    while not list(store.glob("chunk-*.nc")) and time.time() < deadline:
        time.sleep(0.01)
    pids = dask_client.run(os.getpid)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = len(list(store.glob("chunk-*.nc")))
    worker.join(180)
    assert not worker.is_alive()
    assert killed_at < 30, "the sweep finished before the worker was killed"
    assert_identical(out["ds"], local)
    assert victim not in dask_client.run(os.getpid).values()
