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
