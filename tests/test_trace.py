"""Exact event trace of a tiny deterministic configuration (all log-sds 0)."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest

from sim.config.run import RunConfig
from sim.config.steps import ReadinessConfig
from sim.config.study import StudyConfig
from sim.model.project_plan import DAYS_PER_MONTH, ProjectPlan, plan_projects
from sim.model.system import LEAD_LISTS, PlanLists, plan_lists
from sim.run.replication import ledger_frame, simulate_leads
from tests.helpers import deterministic_model, make_leads

# Patience uniform giving exactly 100 days under Weibull(shape 2, scale 420).
PATIENCE_100 = 1.0 - math.exp(-((100.0 / 420.0) ** 2))
# No project is ready at signing (issue 23): no-land projects take today's chain.
NOT_READY = ReadinessConfig(ready_share_of_no_land=0.0)


@pytest.fixture
def trace() -> dict[str, list[float]]:
    m = deterministic_model(readiness=NOT_READY)  # project 3 needs no land but is not ready
    m = replace(
        m,
        land=replace(m.land, initial_stock_mu=100.0, quota_mu_per_year=0.0),
        energy=replace(m.energy, initial_stock_tce=1e9, quota_tce_per_year=0.0),
    )
    cfg = StudyConfig(
        model=m, run=RunConfig(first_year=2021, target_year=2022, replications=1), campaign_launch="2021-01-01"
    )
    leads = make_leads(
        arrival_day=[10.0, 40.0, 50.0, 170.0],
        investment_yi=[5.0, 5.0, 5.0, 5.0],
        uniforms={
            "pass": [0.0, 0.0, 0.99, 0.0],  # project 2 fails appraisal
            "registration": [0.0, 0.0, 0.0, 0.0],
            "standard_plant": [0.99, 0.99, 0.99, 0.0],  # project 3 needs no land
        },
        patience_u=[0.5, PATIENCE_100, 0.5, 0.5],
    )
    frame = ledger_frame(simulate_leads(cfg, leads))
    return {c: frame[c].tolist() for c in frame.columns if c.startswith(("t_", "wait_", "walk"))}


def test_exact_trace(trace: dict[str, list[float]]) -> None:
    nan = np.nan
    build = 11 * DAYS_PER_MONTH  # 1-10亿 tier median, months -> days
    expected = {
        # project 0: appraisal 20, prework 60, land granted at once (75 of 100 亩),
        # transfer 90, energy 30, applicant 30, review 25 + permits 35, start lag 20.
        # project 1: land needs 75 亩 but 25 remain and no tranche comes: it waits its
        # 100 days of patience and walks away.
        # project 2: rejected at appraisal.
        # project 3: no land needed; its start (day 390 = 25 Jan 2022) falls in the Spring
        # Festival lull (festival 1 Feb 2022 = day 396; lull 7 days before to 21 after, days
        # 389-417), so it starts on day 396 + 21 = 417.
        "t_rejected": [nan, nan, 70.0, nan],
        "t_signed": [30.0, 60.0, nan, 190.0],
        "t_procedures": [90.0, 120.0, nan, 250.0],
        "t_land_granted": [90.0, nan, nan, 250.0],
        "t_land": [180.0, nan, nan, 250.0],
        "t_energy": [210.0, nan, nan, 280.0],
        "t_permits": [300.0, nan, nan, 370.0],
        "t_started": [320.0, nan, nan, 417.0],
        "t_completed": [320.0 + build, nan, nan, nan],
        "t_registered": [nan, nan, nan, nan],  # 320 + 335 + 120 > 730: after the horizon
        "t_output": [nan, nan, nan, nan],
        "t_walked": [nan, 220.0, nan, nan],
        "wait_land_days": [0.0, 100.0, 0.0, 0.0],
        "wait_energy_days": [0.0, 0.0, 0.0, 0.0],
        "wait_approvals_days": [0.0, 0.0, 0.0, 0.0],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(trace[column], values, rtol=1e-12, err_msg=column)
    assert trace["walk_cause"] == ["none", "land", "none", "none"]


def test_levers_apply_from_campaign_launch() -> None:
    """Steps begun before the launch keep the baseline's durations; later ones get the lever's."""
    base = deterministic_model(readiness=NOT_READY)
    policy = replace(base, approvals=replace(base.approvals, permit_median_days=2.0))  # 五证联发
    run = RunConfig(first_year=2021, target_year=2021, replications=1)
    # launch on day 200. Project 0 needs no land and enters the approval office on day 140
    # (before: review 25 + permits 35 -> 200); project 1 enters on day 240 (after: 25 + 2).
    cfg = StudyConfig(model=policy, baseline_model=base, run=run, campaign_launch="2021-07-20")
    leads = make_leads(arrival_day=[0.0, 10.0], investment_yi=[5.0, 5.0], uniforms={"standard_plant": [0.0, 0.99]})
    frame = ledger_frame(simulate_leads(cfg, leads))
    np.testing.assert_allclose(frame["t_permits"], [200.0, 267.0], rtol=1e-12)


def test_ready_project_takes_the_short_path() -> None:
    """A ready project (issue 23): no land steps, a fit-out permit, energy review only above the threshold.

    Both need no land and are ready (standard_plant uniform 0). Project 0, 5亿 at 250 吨标煤/亿
    = 1,250 吨标煤 a year (above 1,000): signed 20, pre-work 25 (the ready median), energy
    review 30, fit-out file 10, no drawing review, fit-out permit 10, start lag 20. Project 1,
    3亿 = 750 吨标煤 and 750 x 0.5 / 0.0001229 = 3.05 million kWh (both below the 节能审查
    threshold): no energy review, so 30 days sooner. Project 0's own start (95 + 20 = 115) is
    brought to the 集中开工 ceremony on day 110 (ready since 95, at most 15 days early); project 1's
    (65 + 20 = 85) has no ceremony within 15 days before it.
    """
    m = deterministic_model()
    cfg = StudyConfig(model=m, run=RunConfig(first_year=2021, target_year=2021, replications=1))
    leads = make_leads(arrival_day=[0.0, 0.0], investment_yi=[5.0, 3.0], uniforms={"standard_plant": [0.0, 0.0]})
    frame = ledger_frame(simulate_leads(cfg, leads))
    np.testing.assert_allclose(frame["t_procedures"], [45.0, 45.0], rtol=1e-12)
    np.testing.assert_allclose(frame["land_mu"], [0.0, 0.0])
    np.testing.assert_allclose(frame["t_energy"], [75.0, 45.0], rtol=1e-12)
    np.testing.assert_allclose(frame["t_review"], [85.0, 55.0], rtol=1e-12)
    np.testing.assert_allclose(frame["t_permits"], [95.0, 65.0], rtol=1e-12)
    np.testing.assert_allclose(frame["t_started"], [110.0, 85.0], rtol=1e-12)


def test_plan_lists_hold_the_plan_and_the_leads_as_lists() -> None:
    """``PlanLists`` has one list per ``ProjectPlan`` field and per lead list, element for element."""
    leads = make_leads(arrival_day=[0.0, 10.0], investment_yi=[5.0, 50.0], uniforms={})
    plan = plan_projects(leads, deterministic_model())
    lists = plan_lists(plan, leads)
    names = [f.name for f in fields(PlanLists)]
    assert names == [*(f.name for f in fields(ProjectPlan)), *LEAD_LISTS]
    for name in names:
        source = getattr(plan, name) if hasattr(plan, name) else getattr(leads, name)
        np.testing.assert_array_equal(getattr(lists, name), source, err_msg=name)
        assert type(getattr(lists, name)) is list
    shared = plan_lists(plan, leads, shared_with=(plan, lists))
    assert all(getattr(shared, name) is getattr(lists, name) for name in names)
