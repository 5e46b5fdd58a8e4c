"""One waiting budget per investor (issue 23, item 5): every queue of either chain spends it.

Tiny deterministic cities (every log-sd 0, as in test_trace): one project of 5亿 needing 75 亩
(15 亩/亿) whose procedures begin on day 100, with 100 days of patience.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sim.config.model import ModelConfig
from sim.config.run import RunConfig
from sim.config.study import StudyConfig
from sim.config.uptake import Dosage
from sim.model.waiting import WaitingBudget
from sim.run.replication import ledger_frame, simulate_leads
from tests.helpers import deterministic_model, make_leads

# Patience uniform giving exactly 100 days under Weibull(shape 2, scale 420).
PATIENCE_DAYS = 100.0
PATIENCE_U = 1.0 - math.exp(-((PATIENCE_DAYS / 420.0) ** 2))
PROCEDURES_DAY = 100.0  # arrival 20 + appraisal 20 + pre-work 60
# 16 亩 a month from 1 January: the stock first covers 75 亩 with the 5th tranche, on 1 May
# (model day 120), so the project waits 20 days for land; no energy quota ever comes.
TRANCHE_MU = 16.0
LAND_GRANTED_DAY = 120.0
TRANSFER_DAYS = 90.0


def _city(*, parallel: bool) -> dict[str, float]:
    m = deterministic_model()
    m = replace(
        m,
        land=replace(m.land, initial_stock_mu=0.0, quota_mu_per_year=12 * TRANCHE_MU),
        energy=replace(m.energy, initial_stock_tce=0.0, quota_tce_per_year=0.0),
        uptake=replace(m.uptake, parallel_with_land=Dosage(status_quo_share=1.0 if parallel else 0.0)),
    )
    assert isinstance(m, ModelConfig)
    cfg = StudyConfig(
        model=m, run=RunConfig(first_year=2021, target_year=2021, replications=1), campaign_launch="2021-01-01"
    )
    leads = make_leads(arrival_day=[20.0], investment_yi=[5.0], uniforms={}, patience_u=[PATIENCE_U])
    frame = ledger_frame(simulate_leads(cfg, leads))
    return {c: frame[c].iloc[0] for c in frame.columns if c.startswith(("t_", "wait_", "walk"))}


def test_sequential_chain_waits_no_longer_than_the_patience_in_all() -> None:
    """Land 20 days, then energy: the investor leaves after 80 more days, not 100 (a fresh budget)."""
    row = _city(parallel=False)
    assert row["t_procedures"] == PROCEDURES_DAY
    assert row["t_land_granted"] == LAND_GRANTED_DAY
    assert row["wait_land_days"] == pytest.approx(LAND_GRANTED_DAY - PROCEDURES_DAY)
    total = row["wait_land_days"] + row["wait_energy_days"] + row["wait_approvals_days"]
    assert total == pytest.approx(PATIENCE_DAYS)
    assert row["t_walked"] == pytest.approx(LAND_GRANTED_DAY + TRANSFER_DAYS + PATIENCE_DAYS - 20.0)
    assert row["walk_cause"] == "energy"


def test_parallel_chains_spend_the_budget_by_wall_clock() -> None:
    """拿地即开工: land (20 days) and energy (never) wait side by side; the 20 days are spent once."""
    row = _city(parallel=True)
    assert row["wait_land_days"] == pytest.approx(20.0)
    assert row["wait_energy_days"] == pytest.approx(PATIENCE_DAYS)
    # a summed budget would have run out 20 days earlier, on day 180
    assert row["t_walked"] == pytest.approx(PROCEDURES_DAY + PATIENCE_DAYS)
    assert row["walk_cause"] == "energy"


def test_budget_runs_one_day_a_day_however_many_lines_wait() -> None:
    budget = WaitingBudget(100.0)
    budget.begin(10.0)
    budget.begin(15.0)  # a second chain starts waiting
    assert budget.left_on(30.0) == pytest.approx(80.0)
    budget.end(40.0)
    assert budget.left_on(50.0) == pytest.approx(60.0)
    budget.end(60.0)
    assert budget.left_days == pytest.approx(50.0)
    assert budget.left_on(1000.0) == pytest.approx(50.0)  # nothing waits: the clock stands
    budget.begin(70.0)
    budget.end(75.0)
    np.testing.assert_allclose(budget.left_days, 45.0)


def test_nowcast_counts_the_waits_of_both_chains_once() -> None:
    """The nowcast's estimate of the budget spent under 拿地即开工: the union of the chains' waits."""
    from sim.nowcast.remaining import _union_of_waits

    land = np.array([20.0, 50.0, 0.0, 80.0])
    energy = np.array([30.0, 10.0, 0.0, 10.0])
    file_from_start = np.array([60.0, 40.0, 0.0, 40.0])  # the file is ready this long after the problem
    approvals = np.array([5.0, 30.0, 0.0, 30.0])
    # 0: land and energy overlap (30), approvals after both (5); 1: approvals 40-70 overlaps land
    # (0-50) for 10 days; 2: nothing waited; 3: approvals 40-70 lie inside the land wait (0-80)
    np.testing.assert_allclose(_union_of_waits(land, energy, file_from_start, approvals), [35.0, 70.0, 0.0, 80.0])
