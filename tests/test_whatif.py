"""Monotone what-ifs on paired seeds (common random numbers)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from sim.config.study import StudyConfig
from sim.run.study import run_study

# Largest loss of expected starts that "does not lower" tolerates: 1% of the baseline mean.
NON_INFERIORITY_SHARE = 0.01


def paired_values(
    study: Callable[..., StudyConfig], target: str, base: list[str], more: list[str], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Year-end ``target`` per replication of the base and the what-if run (paired seeds)."""
    # Point values (issue 11): a what-if pins its field, so with priors on the base would draw
    # that field while the what-if fixes it, and the pair would compare more than the change.
    fixed = ("uncertainty=none", f"run.replications={n}", "run.keep_ledgers=0")
    a = run_study(study(*base, *fixed)).kpis
    b = run_study(study(*more, *fixed)).kpis
    va = a[a["target"] == target].sort_values("replication")["value"].to_numpy()
    vb = b[b["target"] == target].sort_values("replication")["value"].to_numpy()
    return va, vb


def paired_diff(study: Callable[..., StudyConfig], target: str, base: list[str], more: list[str], n: int) -> np.ndarray:
    va, vb = paired_values(study, target, base, more, n)
    return vb - va


@pytest.mark.slow
def test_more_land_raises_starts_where_land_binds(study: Callable[..., StudyConfig]) -> None:
    """With the land quota halved land binds hard: restoring it must raise expected starts."""
    d = paired_diff(
        study, "started_industrial_1e8", ["scenario=land_halved", "policy=status_quo"], ["policy=status_quo"], n=12
    )
    assert d.mean() > 0
    assert stats.ttest_1samp(d, 0.0, alternative="greater").pvalue < 0.01


@pytest.mark.parametrize(
    ("policy", "coverage", "n"),
    [
        # at point values the status quo's default quota never binds (50% more changed no start
        # in 12 pairs: the test could not fail), so its what-if starts from half the quota
        pytest.param("status_quo", 0.5, 12, marks=pytest.mark.slow),
        # under the plan the paired differences spread ~4x wider (queues re-ordered by size,
        # energy binding in some replications), so it needs more pairs: a slow test. Since the
        # burn-in (4 Dec 2026) the plan's default quota binds in none of 48 replications (50%
        # more changed no start), so it too starts from half the quota
        pytest.param("plan", 0.5, 48, marks=pytest.mark.slow),
    ],
)
def test_more_land_never_lowers_expected_starts(
    study: Callable[..., StudyConfig], policy: str, coverage: float, n: int
) -> None:
    """50% more land must not lower expected starts (non-inferiority).

    Single replications may lose a start or two (more land lets other projects reach the
    energy and approval queues first), so the claim is about the paired mean: its one-sided
    95% lower confidence bound must lie above minus 1% of the baseline's starts. A mechanism
    that made more land cost starts (quota lost, queues re-ordered against the rule) fails it.
    """
    base = [f"policy={policy}", f"model.land.quota_coverage_of_need={coverage}"]
    more = [f"policy={policy}", f"model.land.quota_coverage_of_need={1.5 * coverage}"]  # 1.5 x the quota
    va, vb = paired_values(study, "started_industrial_1e8", base, more, n=n)
    d, margin = vb - va, NON_INFERIORITY_SHARE * va.mean()
    # non-inferiority alone passes an ignored override (d = 0): the land must bind somewhere
    assert np.any(d != 0), f"{policy}: 50% more land changed no replication's starts"
    lower = d.mean() - stats.t.ppf(0.95, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    assert lower > -margin, f"{policy}: paired mean {d.mean():.2f}, lower bound {lower:.2f}, margin {margin:.2f}"


@pytest.mark.slow
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
