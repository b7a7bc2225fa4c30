"""Threads for batches of points: one block per thread, small batches serial.

The batch kernels are serial and release the GIL
(:func:`pelvisim._kernels.batch.run_block`); a batch is cut into one
contiguous block per thread and the blocks run in a shared thread pool. The
number of threads is Numba's (``NUMBA_NUM_THREADS``, or
``numba.set_num_threads``). A batch too small to pay for the hand-over (about
0.1 ms on a busy machine) runs in the calling thread: a single
``pelvisim.solve`` never waits for a thread.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba

# Work of one point in units of a posture-fixed point (about 5 us); an
# optimal-compensation point takes 0.15-0.35 ms (benchmarks/compensation.py).
OPTIMAL_COST = 50
# Below this much work (points x cost) a batch runs in the calling thread.
SERIAL_WORK = 64

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="pelvisim")
        _pool_size = size
    return _pool


def run_blocks(block, B: int, cost: float = 1.0) -> None:
    """Call ``block(start, stop)`` on contiguous blocks covering ``range(B)``,
    one per thread (serially in this thread when the batch is small)."""
    T = min(numba.get_num_threads(), B)
    if T <= 1 or B * cost < SERIAL_WORK:
        block(0, B)
        return
    bounds = [B * k // T for k in range(T + 1)]
    futures = [_executor(T).submit(block, bounds[k], bounds[k + 1]) for k in range(T)]
    for f in futures:
        f.result()
