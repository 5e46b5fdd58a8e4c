"""Run a study: every replication of one scenario x policy cell.

:func:`run_study` runs all replications of one scenario x policy cell in chunks on a
backend (:mod:`sim.run.backends`: serial, worker processes or Dask), optionally writes each
finished chunk to disk and resumes from it (:mod:`sim.run.parts`), optionally keeps adding
chunks until the attainment intervals are narrow enough (:mod:`sim.run.precision`), and
assembles tidy long tables (:mod:`sim.run.tables`) that carry scenario, policy, replication and seed. The same seed
gives the same tables whatever ``run.jobs``, the backend, the chunk size or an interruption.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityplan.errors import ConfigError
from sim.config.run import RunConfig
from sim.config.study import StudyConfig
from sim.run.backends import Backend, open_backend
from sim.run.parts import ChunkResult, PartStore, open_parts
from sim.run.precision import Goals, enough, next_count, prefix_halfwidths
from sim.run.replication import run_chunk
from sim.run.tables import StudyResult, assemble

log = logging.getLogger(__name__)


def chunks_of(replications: list[int], size: int) -> list[list[int]]:
    """Split ascending replication indices into chunks of at most ``size`` consecutive ones."""
    out: list[list[int]] = []
    for r in replications:
        if out and len(out[-1]) < size and out[-1][-1] == r - 1:
            out[-1].append(r)
        else:
            out.append([r])
    return out


class _Progress:
    """A tqdm bar of replications on stderr when it is a terminal; otherwise silent."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="rep", desc="replications", file=sys.stderr)

    def extend(self, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def step(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Collected:
    """Finished replications so far, by index (from parts or from workers)."""

    def __init__(self) -> None:
        self.kpis: dict[int, np.ndarray] = {}
        self.ledgers: dict[int, pd.DataFrame] = {}
        self.resources: dict[int, pd.DataFrame] = {}
        self.watch: dict[int, pd.DataFrame] = {}

    def add(self, chunk: ChunkResult) -> None:
        for i, r in enumerate(chunk.replications):
            self.kpis[r] = chunk.kpis[i]
        self.ledgers |= chunk.ledgers
        self.resources |= chunk.resources
        self.watch |= chunk.watch

    def missing(self, n: int) -> list[int]:
        return [r for r in range(n) if r not in self.kpis]

    def matrices(self, n: int) -> np.ndarray:
        return np.stack([self.kpis[r] for r in range(n)])


def run_study(cfg: StudyConfig, *, parts_dir: Path | None = None) -> StudyResult:
    """Run all replications of ``cfg`` and return tidy tables.

    Parameters
    ----------
    cfg
        The study; ``cfg.run`` says how many replications, where and how precisely.
    parts_dir
        Folder for finished chunks (``<run dir>/parts``). Chunks already there for the same
        configuration are reused (``run.resume``) and only missing replications run; None
        keeps everything in memory.
    """
    run = cfg.run
    if not cfg.plan.targets:
        raise ConfigError("config field 'plan.targets' = {} is not allowed: expected at least one target (plan=<file>)")
    store = open_parts(parts_dir, cfg) if parts_dir is not None else None
    got = _Collected()
    limit = run.max_replications if run.target_halfwidth > 0 else run.replications
    if store is not None and (prior := store.read(below=limit, keep_ledgers=run.keep_ledgers)) is not None:
        got.add(prior)
    n = run.replications
    progress = _Progress(n, n - len(got.missing(n)), run.progress)
    meta: dict[str, Any] = {}
    computed: set[int] = set()
    try:
        with open_backend(run, run_chunk) as backend:
            while True:
                computed |= _fill(backend, cfg, got, n, store, progress)
                if run.target_halfwidth <= 0:
                    break
                n, verdict = _precision_round(got.matrices(n)[:, : len(cfg.plan.targets), -1], run, Goals.of(cfg.plan))
                if verdict is not None:
                    meta |= verdict
                    break
                progress.extend(n)
    finally:
        progress.close()
    reused = sum(1 for r in range(n) if r not in computed)
    meta |= {"replications": n, "replications_computed": len(computed), "replications_reused": reused}
    return assemble(cfg, got.matrices(n), got.ledgers, got.resources, meta, watch=got.watch)


def _precision_round(year_end: np.ndarray, run: RunConfig, goals: Goals) -> tuple[int, dict[str, Any] | None]:
    """After a round: the count to stop at and the verdict, or the next count and None."""
    n = year_end.shape[0]
    found = enough(year_end, run, goals)
    if found is None and n < run.max_replications:
        n_next = next_count(year_end, run, goals)
        log.info("precision: half-width %.4f not reached; going on to %d replications", run.target_halfwidth, n_next)
        return n_next, None
    n, widest = found or (n, float(prefix_halfwidths(year_end, [n], goals)[0]))
    met = found is not None
    if met:
        log.info("precision: %d replications needed (widest half-width %.4f)", n, widest)
    else:
        log.warning("precision: stopped at run.max_replications=%d; widest half-width %.4f", n, widest)
    return n, {"target_halfwidth": run.target_halfwidth, "widest_halfwidth": round(widest, 6), "halfwidth_met": met}


def _fill(
    backend: Backend[ChunkResult],
    cfg: StudyConfig,
    got: _Collected,
    n: int,
    store: PartStore | None,
    progress: _Progress,
) -> set[int]:
    """Compute the missing replications below ``n``, saving each chunk as it finishes.

    Returns the replications computed.
    """
    missing = got.missing(n)
    for chunk in backend.map(cfg, chunks_of(missing, cfg.run.chunk_size)):
        if store is not None:
            store.write(chunk)
        got.add(chunk)
        progress.step(len(chunk.replications))
    return set(missing)
