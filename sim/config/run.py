"""How a study runs: replications, root seed, years, worker processes and backends, precision."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from sim.config.checks import check_year, fail

RUN_BACKENDS: tuple[str, ...] = ("local", "dask")
DASK_SCHEMES: tuple[str, ...] = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")
EVERY_CORE = "auto"  # run.jobs=auto: one worker per core of this machine (os.cpu_count())
MAX_HALFWIDTH = 0.5  # a Wilson 95% half-width is below 0.5 for any n >= 1

DEFAULT_SEED = 20230128  # root seed: the campaign launch date, 2023-01-28 (calibration.md §5)


@dataclass
class RunConfig:
    """How many replications, which seed, which years."""

    replications: int = 300
    # Root seed: the campaign launch date, 2023-01-28 (calibration.md §5).
    seed: int = DEFAULT_SEED
    # Worker processes; 1 = serial, "auto" = every core of this machine. Results do not depend on it.
    jobs: int | str = 1
    # Replications per task shipped to a worker.
    chunk_size: int = 25
    # Warm-up: the model runs from 1 January of first_year so the pipeline of earlier years
    # is carried into target_year; targets count only target_year events. 2017 (years):
    # two burn-in years before the first observed figures of 2019, because the city was not
    # empty then (259 ≥1亿 industrial projects building on 31 May 2019, 169 completions in
    # Jan-Sep 2020, calibration.md §9, §1). Measured with python -m sim.validate (60
    # replications, point values; docs/validation.md#the-burn-in): starting in 2019 the model
    # had 3 building and 50 completions; from 2018, 72 and 126; from 2017, 102 and 136; from
    # 2016, 101 and 138: earlier than 2017 changes nothing observed. Leads before 2018 follow
    # the fitted history growth backwards (no 2017 signings count was found): an assumption.
    first_year: int = 2017
    target_year: int = 2023
    # Replications whose full project ledger is written (for bottleneck charts).
    keep_ledgers: int = 1
    progress: bool = True
    # Where chunks run: "local" (serial when jobs=1, else `jobs` worker processes) or "dask"
    # (a Dask distributed cluster; issue 6). Results do not depend on it.
    backend: str = "local"
    # Scheduler address of an existing Dask cluster, e.g. "tcp://10.0.0.5:8786"; empty = a
    # LocalCluster of `jobs` worker processes with one thread each, for this run only.
    dask_address: str = ""
    # Reuse finished chunks (parts/ in the run directory) of the same configuration and
    # compute only the missing replications; false = refuse to run where parts exist.
    resume: bool = True
    # Precision on demand: keep adding replications until every finite p_attain Wilson 95%
    # half-width is at most this (probability, e.g. 0.02), or max_replications is reached;
    # 0 = off (exactly `replications` are run). Assumption: 0.02 = +-2 points is what a
    # planner can read off a chart.
    target_halfwidth: float = 0.0
    # Cap on replications when target_halfwidth > 0. Assumption: 10,000 is the scale the
    # benchmark sizes KPI-table memory for (docs/benchmark.md); a half-width of 0.01 needs
    # at most ~9,600 (p = 1/2).
    max_replications: int = 10000

    def __post_init__(self) -> None:
        if self.replications < 1:
            fail("run.replications", self.replications, "an integer >= 1")
        if self.seed < 0:
            fail("run.seed", self.seed, "a non-negative integer")
        if not (self.jobs == EVERY_CORE or (isinstance(self.jobs, int) and self.jobs >= 1)):
            fail("run.jobs", self.jobs, f"an integer >= 1 or {EVERY_CORE!r} (every core)")
        if self.chunk_size < 1:
            fail("run.chunk_size", self.chunk_size, "an integer >= 1")
        check_year("run.first_year", self.first_year)
        check_year("run.target_year", self.target_year)
        if not self.first_year <= self.target_year:
            fail("run.first_year", self.first_year, f"a year <= run.target_year ({self.target_year})")
        if self.keep_ledgers < 0:
            fail("run.keep_ledgers", self.keep_ledgers, "an integer >= 0")
        if self.backend not in RUN_BACKENDS:
            fail("run.backend", self.backend, f"one of {', '.join(RUN_BACKENDS)}")
        if self.dask_address and not self.dask_address.startswith(DASK_SCHEMES):
            fail("run.dask_address", self.dask_address, f"empty or an address starting with {', '.join(DASK_SCHEMES)}")
        if not (math.isfinite(self.target_halfwidth) and 0.0 <= self.target_halfwidth < MAX_HALFWIDTH):
            fail("run.target_halfwidth", self.target_halfwidth, f"0 (off) or a probability in (0, {MAX_HALFWIDTH})")
        if self.target_halfwidth > 0 and self.max_replications < self.replications:
            allowed = f"an integer >= run.replications ({self.replications})"
            fail("run.max_replications", self.max_replications, allowed)

    @property
    def workers(self) -> int:
        """Worker processes this run uses: ``jobs``, or every core for ``jobs=auto``."""
        return worker_count(self.jobs)


def worker_count(jobs: int | str) -> int:
    """``jobs`` as a count: an integer as it is, ``auto`` = this machine's cores (at least 1)."""
    return (os.cpu_count() or 1) if jobs == EVERY_CORE else int(jobs)


def parse_jobs(text: str) -> int | str:
    """A ``--jobs`` value: ``auto`` or an integer >= 1 (ValueError naming the value otherwise)."""
    if text == EVERY_CORE:
        return EVERY_CORE
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"--jobs: {text!r}; an integer >= 1 or {EVERY_CORE!r} (every core)")
    return int(text)
