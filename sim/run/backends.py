"""Where chunks of replications run: in this process, in worker processes, or on Dask.

A backend maps a chunk function over chunks of replication indices and yields each
chunk's result *as it finishes* (not in order), so the runner can write it to disk at once.
Results carry their replication indices and the runner puts them in place, so the tables
do not depend on the backend or on ``run.jobs``. Work is shipped one chunk per task
(``run.chunk_size`` replications), never one task per replication.

- ``local`` with ``run.jobs = 1``: serial, in this process.
- ``local`` with ``run.jobs > 1`` (or ``auto``, every core): a ``concurrent.futures.ProcessPoolExecutor``.
- ``dask``: a ``dask.distributed`` Client on ``run.dask_address``, or on a LocalCluster of
  ``run.jobs`` worker processes with one thread each when the address is empty. Dask is
  imported only here, only when chosen.

A forecast maps one study over chunks of replications (:meth:`Backend.map`); an experiment
(:mod:`sim.experiments.cells`) gives each task its own first argument, a block of cells
(:meth:`Backend.map_tasks`). Both go through the same three backends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

from sim.config.run import RunConfig
from sim.config.study import StudyConfig

log = logging.getLogger(__name__)

# What a chunk function returns: a ChunkResult for a study, or e.g. the observed values of
# sim.run.observe; the backends only ship it back.
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
# fn(what, replications): ``what`` is a StudyConfig for a forecast, a block of cells for an experiment.
ChunkFn = Callable[[Any, list[int]], T]
Task = tuple[Any, list[int]]  # (what, replications): one call of the chunk function


class Backend(Protocol[T_co]):
    """Runs chunks and yields their results as they finish."""

    def map(self, cfg: StudyConfig, chunks: list[list[int]]) -> Iterator[T_co]:
        """Run ``fn(cfg, chunk)`` for every chunk; yield results in completion order."""
        ...

    def map_tasks(self, tasks: list[Task]) -> Iterator[T_co]:
        """Run ``fn(what, replications)`` for every task; yield results in completion order."""
        ...

    @property
    def workers(self) -> int:
        """How many tasks run at once (worker processes; a cluster's workers when it started)."""
        ...


class _Tasks(Generic[T]):
    """:meth:`map` as :meth:`map_tasks` with the same first argument in every task."""

    def map_tasks(self, tasks: list[Task]) -> Iterator[T]:  # pragma: no cover - overridden
        raise NotImplementedError

    def map(self, cfg: StudyConfig, chunks: list[list[int]]) -> Iterator[T]:
        """Run ``fn(cfg, chunk)`` for every chunk; yield results in completion order."""
        return self.map_tasks([(cfg, chunk) for chunk in chunks])


class SerialBackend(_Tasks[T]):
    """Every chunk in this process, one after the other."""

    def __init__(self, fn: ChunkFn[T]) -> None:
        self.fn = fn

    @property
    def workers(self) -> int:
        """One: this process."""
        return 1

    def map_tasks(self, tasks: list[Task]) -> Iterator[T]:
        """Run the tasks in order."""
        for what, chunk in tasks:
            yield self.fn(what, chunk)


class PoolBackend(_Tasks[T]):
    """Chunks in a pool of worker processes on this machine."""

    def __init__(self, fn: ChunkFn[T], pool: ProcessPoolExecutor, workers: int) -> None:
        self.fn, self.pool, self._workers = fn, pool, workers

    @property
    def workers(self) -> int:
        """The pool's worker processes."""
        return self._workers

    def map_tasks(self, tasks: list[Task]) -> Iterator[T]:
        """Submit every task; yield each result when its worker is done."""
        futures = [self.pool.submit(self.fn, what, chunk) for what, chunk in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


class DaskBackend(_Tasks[T]):
    """Chunks as tasks on a Dask distributed cluster."""

    def __init__(self, fn: ChunkFn[T], client: Any) -> None:
        self.fn, self.client = fn, client

    @property
    def workers(self) -> int:
        """The cluster's workers now (at least one)."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map_tasks(self, tasks: list[Task]) -> Iterator[T]:
        """Submit every task; yield each result when it arrives."""
        from distributed import as_completed as dask_completed

        futures = self.client.map(self.fn, [w for w, _ in tasks], [c for _, c in tasks], pure=False)
        try:
            for future in dask_completed(futures):
                yield future.result()
        finally:
            self.client.cancel(futures)


@contextmanager
def open_backend(run: RunConfig, fn: ChunkFn[T]) -> Iterator[Backend[T]]:
    """The backend chosen by ``run.backend`` and ``run.jobs``, open for the whole run.

    Parameters
    ----------
    run
        Run settings (``backend``, ``jobs``, ``dask_address``).
    fn
        Module-level (picklable) function running one chunk: ``fn(cfg, replications)``
        (a ``functools.partial`` of one is picklable too).
    """
    if run.backend == "dask":
        with _dask_client(run) as client:
            yield DaskBackend(fn, client)
        return
    if run.workers == 1:
        yield SerialBackend(fn)
        return
    pool = ProcessPoolExecutor(max_workers=run.workers)
    try:
        yield PoolBackend(fn, pool, run.workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask_client(run: RunConfig) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - distributed is a runtime dependency
        raise RuntimeError("run.backend=dask needs the 'distributed' package: pip install distributed") from err
    if run.dask_address:
        log.info("dask: connecting to %s", run.dask_address)
        with Client(run.dask_address) as client:
            yield client
        return
    log.info("dask: LocalCluster with %d worker processes, 1 thread each", run.workers)
    with (
        LocalCluster(
            n_workers=run.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
