"""Simulation chunks on a dask.distributed cluster: ``oncotrial simulate --cluster ADDRESS | --workers N``.

The domain's :class:`~oncotrial.domain.design.simulation.SimulationPlan` is pure; this module does
the I/O around it: it connects to a scheduler (or starts a local cluster of worker processes), maps
the plan's chunk function over the generators ``rng.spawn`` gives, gathers each chunk as it
completes (for the progress bar), and combines the chunks in chunk order. Chunk ``i`` depends only
on the seed, the chunk size and ``i``, so the result equals the single-process one whatever the
number of workers and whatever order the chunks finish in. dask is imported only when used.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from oncotrial.domain.design.simulation import (
    SimulationPlan,
    SimulationResult,
    chunk_generators,
    combine_chunks,
    run_chunk,
)
from oncotrial.errors import InvalidInput

MAX_WORKERS = 512
MAX_RUNS = 1_000_000_000
MAX_CHUNKS = 1_000_000
# Chunks in flight per worker thread: enough to keep every worker busy while one result travels
# back, few enough that finished chunks do not pile up in the workers' memory.
IN_FLIGHT_PER_THREAD = 2


def check_scale(runs: int, chunk_size: int, workers: int | None) -> None:
    """Runs up to MAX_RUNS in at most MAX_CHUNKS chunks, and 1 to MAX_WORKERS local workers.

    The client holds every trial's outcome until the end (the summaries are exact quantiles), so
    the runs are bounded; each chunk is one task, so their number is bounded too.
    """
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(f"--workers is {workers}; it must lie between 1 and {MAX_WORKERS}",
                           field="--workers", hint="e.g. --workers 4 (or --cluster ADDRESS for more)")
    if not 1 <= runs <= MAX_RUNS:
        raise InvalidInput(f"--runs is {runs}; it must lie between 1 and {MAX_RUNS:,}", field="--runs",
                           hint="10,000 runs give a Monte Carlo SE of at most 0.005")
    if chunk_size >= 1 and -(-runs // chunk_size) > MAX_CHUNKS:
        raise InvalidInput(f"--runs {runs} in chunks of {chunk_size} makes more than {MAX_CHUNKS:,} "
                           "chunks", field="--chunk-size", hint="use a larger --chunk-size, e.g. 20000")


@contextmanager
def connect(address: str | None, workers: int, timeout_s: float) -> Iterator:
    """A dask client: of the scheduler at ``address``, or of a local cluster of ``workers`` processes."""
    if not timeout_s > 0:
        raise InvalidInput(f"--connect-timeout is {timeout_s}; it must be > 0 seconds",
                           field="--connect-timeout", hint="e.g. --connect-timeout 10")
    distributed = _import_distributed()
    if address is not None:
        with _client(distributed, address, timeout_s) as client:
            yield client
        return
    # One thread per worker process: the chunks are numpy array programs, so processes, not
    # threads, are what use the cores (and the dashboard is not wanted for a command-line run).
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def _client(distributed, address: str, timeout_s: float):
    try:
        return distributed.Client(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise InvalidInput(f"cannot reach the dask scheduler at {address} within {timeout_s:g} s "
                           f"({type(error).__name__})", field="--cluster") from None


def _import_distributed():
    try:
        import distributed
    except ImportError as error:
        raise InvalidInput("--cluster and --workers need dask.distributed, which is not installed",
                           field="--cluster", hint="pip install distributed (or oncotrial[cluster])") from error
    return distributed


def run_plan_on_cluster(plan: SimulationPlan, rng, client, progress=None) -> SimulationResult:
    """Run a plan's chunks on the client's workers and finish it; equal to ``run_plan(plan, rng)``.

    At most IN_FLIGHT_PER_THREAD chunks per worker thread are submitted at a time; each finished
    chunk is gathered, its slot filled by index, and ``progress(done, runs)`` called.
    """
    from distributed import as_completed

    sizes = plan.chunk_sizes()
    generators = chunk_generators(rng, len(sizes))
    task = partial(run_chunk, plan.chunk)
    window = max(2, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
    parts: list = [None] * len(sizes)
    waiting = iter(range(len(sizes)))
    running = as_completed()
    index = {}
    for i in _take(waiting, window):
        index[_submit(client, task, running, sizes[i], generators[i])] = i
    done = 0
    for future in running:
        i = index.pop(future.key)
        parts[i] = _gathered(future)
        done += sizes[i]
        for j in _take(waiting, 1):
            index[_submit(client, task, running, sizes[j], generators[j])] = j
        if progress is not None:
            progress(done, plan.runs)
    return plan.finish(combine_chunks(parts))


def _gathered(future) -> dict:
    """A chunk's arrays; a worker without oncotrial is a setup error, said in one line."""
    try:
        return future.result()
    except ImportError as error:
        raise InvalidInput(f"a dask worker cannot import {error.name or 'a module'}: install oncotrial "
                           "and its dependencies on every worker", field="--cluster") from None


def _take(indices: Iterator[int], count: int) -> list[int]:
    return [i for _, i in zip(range(count), indices, strict=False)]


def _submit(client, task, running, size: int, generator) -> str:
    # pure=False: chunks of equal size must not be merged by dask's content-based task keys.
    future = client.submit(task, size, generator, pure=False)
    running.add(future)
    return future.key
