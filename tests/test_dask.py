"""The Dask distributed backend on a small LocalCluster gives the serial tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sim.config.study import StudyConfig
from sim.run.study import run_study

pytest.importorskip("distributed")


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(study: Callable[..., StudyConfig], tmp_path: Path) -> None:
    cfg = study("run.replications=4", "run.chunk_size=1", "run.keep_ledgers=2")
    serial = run_study(cfg)
    dask_cfg = replace(cfg, run=replace(cfg.run, backend="dask", jobs=2))
    distributed = run_study(dask_cfg, parts_dir=tmp_path)
    for name in ("kpis", "monthly", "ledgers", "resources"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(distributed, name), obj=name)
    assert len(list(tmp_path.glob("chunk_*.parquet"))) == 4


@pytest.mark.slow
def test_dask_with_an_address(study: Callable[..., StudyConfig]) -> None:
    """``run.dask_address`` connects to a running scheduler instead of starting one."""
    from distributed import LocalCluster

    cfg = study("run.replications=2", "run.chunk_size=1")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_study(replace(cfg, run=replace(cfg.run, backend="dask", dask_address=cluster.scheduler_address)))
    pd.testing.assert_frame_equal(remote.kpis, run_study(cfg).kpis)


@pytest.mark.slow
def test_experiment_cells_on_a_local_cluster_equal_the_local_pool_and_serial() -> None:
    """A screen's cells on Dask (issue 26): the local pool's and the serial values, whatever the task sizes."""
    import numpy as np

    from sim.config.run import RunConfig
    from sim.experiments.cells import cell_overrides, list_levers, list_scenarios, year_end_values

    levers, scenarios = list_levers(), list_scenarios()
    smoke = ["run=smoke", "uncertainty=none", "run.first_year=2022"]
    cells = [[*smoke, *cell_overrides(p, levers, scenarios)] for p in ("status_quo", "+".join(levers[:5]), levers[7])]
    serial = year_end_values(cells, 0, 3, block_size=3, chunk_size=3)
    pooled = year_end_values(cells, 0, 3, run=RunConfig(jobs=2), block_size=2, chunk_size=2)
    on_dask = year_end_values(cells, 0, 3, run=RunConfig(backend="dask", jobs=2), block_size=1, chunk_size=1)
    np.testing.assert_array_equal(pooled, serial)
    np.testing.assert_array_equal(on_dask, serial)


@pytest.mark.slow
def test_experiment_tasks_are_sized_on_the_clusters_workers() -> None:
    """On an existing cluster the blocks of cells are sized on its workers, not on run.jobs."""
    from distributed import LocalCluster

    from sim.config.run import RunConfig
    from sim.experiments.cells import open_cells

    with LocalCluster(n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = RunConfig(backend="dask", dask_address=cluster.scheduler_address)  # run.jobs stays 1
        with open_cells(run) as runner:
            assert runner.workers == 3
