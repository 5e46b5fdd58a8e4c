"""Monotone what-ifs on paired seeds (common random numbers)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from sim.config import StudyConfig
from sim.runner import run_study


def paired_diff(study: Callable[..., StudyConfig], target: str, base: list[str], more: list[str], n: int) -> np.ndarray:
    a = run_study(study(*base, f"run.replications={n}", "run.keep_ledgers=0")).kpis
    b = run_study(study(*more, f"run.replications={n}", "run.keep_ledgers=0")).kpis
    va = a[a["target"] == target].sort_values("replication")["value"].to_numpy()
    vb = b[b["target"] == target].sort_values("replication")["value"].to_numpy()
    return vb - va


def test_more_land_raises_starts_where_land_binds(study: Callable[..., StudyConfig]) -> None:
    """With the land quota halved land binds hard: restoring it must raise expected starts."""
    d = paired_diff(
        study, "started_industrial_1e8", ["scenario=land_halved", "policy=status_quo"], ["policy=status_quo"], n=12
    )
    assert d.mean() > 0
    assert stats.ttest_1samp(d, 0.0, alternative="greater").pvalue < 0.01


def test_more_land_never_lowers_expected_starts(study: Callable[..., StudyConfig]) -> None:
    """Where land barely binds, 50% more land must not lower expected starts (not even slightly).

    Single replications may lose a start or two (more land lets other projects reach the
    energy and approval queues first), so the claim is about the paired mean: it may not be
    significantly negative.
    """
    for policy in ("status_quo", "plan"):
        d = paired_diff(
            study,
            "started_industrial_1e8",
            [f"policy={policy}"],
            [f"policy={policy}", "model.land.quota_mu_per_year=45000"],
            n=12,
        )
        assert d.mean() >= 0 or stats.ttest_1samp(d, 0.0, alternative="less").pvalue > 0.05


def test_more_approval_capacity_never_lowers_starts(study: Callable[..., StudyConfig]) -> None:
    d = paired_diff(
        study,
        "started_industrial_1e8",
        ["policy=status_quo", "model.approvals.capacity_projects=120"],
        ["policy=status_quo", "model.approvals.capacity_projects=240"],
        n=12,
    )
    assert d.mean() > 0
    assert stats.ttest_1samp(d, 0.0, alternative="greater").pvalue < 0.01
