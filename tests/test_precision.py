"""Precision on demand: add chunks until every p_attain interval is narrow enough."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from analysis.attainment import attainment, wilson_bounds, wilson_halfwidth, wilson_interval
from cityplan.targets import targets_frame
from sim.config.study import StudyConfig
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


def test_the_one_wilson_interval_matches_scipy() -> None:
    """One closed form serves the attainment table and precision on demand; scipy is the reference."""
    cases = [(0, 1), (3, 7), (50, 100), (299, 300), (300, 300), (0, 300)]
    for level in (0.95, 0.9):
        for hits, n in cases:
            ci = binomtest(hits, n).proportion_ci(confidence_level=level, method="wilson")
            assert wilson_interval(hits, n, level) == pytest.approx((ci.low, ci.high), rel=1e-12, abs=1e-15)
            half = wilson_halfwidth(np.array(hits), np.array(n), level)
            assert half == pytest.approx((ci.high - ci.low) / 2, rel=1e-9, abs=1e-12)
    low, high = wilson_bounds(np.array([h for h, _ in cases]), np.array([n for _, n in cases]))
    assert low.min() >= 0.0
    assert high.max() <= 1.0
    shares = np.array([h / n for h, n in cases])
    assert (low <= shares).all()  # 100% and 0% sit inside their own interval, not a rounding off it
    assert (shares <= high).all()
    assert wilson_interval(300, 300)[1] == 1.0
    assert wilson_interval(0, 300)[0] == 0.0


def test_cap_stops_the_run(study: Callable[..., StudyConfig]) -> None:
    cfg = study("run.replications=2", "run.chunk_size=2", "run.target_halfwidth=0.01", "run.max_replications=4")
    res = run_study(cfg)
    assert res.meta["replications"] == 4
    assert res.meta["halfwidth_met"] is False
    assert res.meta["widest_halfwidth"] > 0.01
