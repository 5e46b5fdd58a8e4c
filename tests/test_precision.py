"""Precision on demand: add chunks until every p_attain interval is narrow enough."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.attainment import attainment, wilson_interval
from cityplan.targets import targets_frame
from sim.config.study import StudyConfig
from sim.run.precision import wilson_halfwidth
from sim.run.study import run_study
from tests.helpers import HUAIAN_2023


def _halfwidths(kpis: pd.DataFrame) -> np.ndarray:
    table = attainment(kpis, targets_frame(HUAIAN_2023))
    h = ((table["p_attain_high"] - table["p_attain_low"]) / 2).to_numpy(dtype=float)
    return h[np.isfinite(h)]


@pytest.mark.slow
def test_adds_replications_until_halfwidth_met(study: Callable[..., StudyConfig]) -> None:
    # Wilson half-width with 2 replications is >= 0.33 for any p, so 0.3 needs more.
    cfg = study("run.replications=2", "run.chunk_size=2", "run.target_halfwidth=0.3", "run.max_replications=12")
    res = run_study(cfg)
    n = res.meta["replications"]
    assert 2 < n <= 12
    assert n % 2 == 0
    assert res.kpis["replication"].nunique() == n
    widest = _halfwidths(res.kpis).max()
    assert res.meta["halfwidth_met"] == (widest <= 0.3)
    assert widest <= 0.3 or n == 12
    # the same replications as a plain run of n (replication r always uses the same streams)
    plain = run_study(replace(cfg, run=replace(cfg.run, replications=n, target_halfwidth=0.0)))
    pd.testing.assert_frame_equal(res.kpis, plain.kpis)
    # the smallest count on the chunk grid: one chunk fewer was not enough
    fewer = res.kpis[res.kpis["replication"] < n - 2]
    assert _halfwidths(fewer).max() > 0.3


def test_vectorised_wilson_matches_scipy() -> None:
    for hits, n in [(0, 1), (3, 7), (50, 100), (299, 300), (300, 300)]:
        low, high = wilson_interval(hits, n)
        assert wilson_halfwidth(np.array(hits), np.array(n)) == pytest.approx((high - low) / 2, rel=1e-9, abs=1e-12)


def test_cap_stops_the_run(study: Callable[..., StudyConfig]) -> None:
    cfg = study("run.replications=2", "run.chunk_size=2", "run.target_halfwidth=0.01", "run.max_replications=4")
    res = run_study(cfg)
    assert res.meta["replications"] == 4
    assert res.meta["halfwidth_met"] is False
    assert res.meta["widest_halfwidth"] > 0.01
