"""The land quota sized on the need it serves (issue 23, item 4): sim.model.land_plan."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityplan.calendar import Calendar
from sim.config.model import ModelConfig
from sim.model.land_plan import (
    annual_land_quota_mu,
    expected_land_need_mu,
    initial_land_stock_mu,
    truncated_pareto_mean,
)
from sim.model.leads import draw_leads, trend_factor
from sim.model.project_plan import plan_projects
from sim.model.system import land_release
from sim.run.rng import replication_streams


def test_truncated_pareto_mean_matches_its_draws() -> None:
    rng = np.random.default_rng(3)
    u = rng.random(400_000)
    for low, high, alpha in ((1.0, 10.0, 1.0), (50.0, 300.0, 1.5), (0.1, 1.0, 1.0)):
        span = 1.0 - (low / high) ** alpha
        draws = low * (1.0 - u * span) ** (-1.0 / alpha)
        assert truncated_pareto_mean(low, high, alpha) == pytest.approx(draws.mean(), rel=0.01)


def test_expected_need_is_the_need_of_the_drawn_leads() -> None:
    """The closed form equals the land the model's own leads ask for at the trend.

    Candidates come at ``candidate_intensity_factor`` x the trend, so the need at the trend is
    the candidates' land need (those that pass appraisal, are not signed again and proceed)
    over that factor. Fails if the land need in plan_projects or the lead mix changes and
    the land plan does not follow.
    """
    m = ModelConfig()
    year = m.demand.base_year
    cal = Calendar(year, year)
    needs = []
    for rep in range(16):
        leads = draw_leads(m.demand, cal, replication_streams(11, rep), m.attraction)
        plan = plan_projects(leads, m)
        proceeds = plan.passes & ~plan.resigned & ~plan.never_proceeds & (leads.series_slot < 0)
        needs.append(plan.land_mu[proceeds].sum() / m.attraction.candidate_intensity_factor)
    assert expected_land_need_mu(m, year) == pytest.approx(np.mean(needs), rel=0.05)


def test_quota_follows_the_years_and_the_coverage() -> None:
    m = ModelConfig()
    for year in (2019, 2020, 2022, 2023):
        ratio = trend_factor(m.demand, year) / trend_factor(m.demand, 2021)
        assert annual_land_quota_mu(m, year) == pytest.approx(ratio * annual_land_quota_mu(m, 2021))
    # 2020 -> 2023: the need grows as the lead trend (x2.2 at the defaults), and so does the quota
    assert annual_land_quota_mu(m, 2023) / annual_land_quota_mu(m, 2020) == pytest.approx(1.477 * 1.215**2, rel=1e-3)
    half = replace(m, land=replace(m.land, quota_coverage_of_need=0.5))
    assert annual_land_quota_mu(half, 2023) == pytest.approx(0.5 * annual_land_quota_mu(m, 2023))
    fixed = replace(m, land=replace(m.land, quota_mu_per_year=22700.0, initial_stock_mu=3800.0))
    assert annual_land_quota_mu(fixed, 2019) == annual_land_quota_mu(fixed, 2023) == 22700.0
    assert initial_land_stock_mu(fixed, 2019) == 3800.0
    months = m.land.initial_stock_months
    assert initial_land_stock_mu(m, 2019) == pytest.approx(months / 12 * annual_land_quota_mu(m, 2019))


def test_monthly_release_is_a_twelfth_of_the_year_quota() -> None:
    m = ModelConfig()
    cal = Calendar(2019, 2023)
    for year in (2019, 2023):
        starts = cal.month_starts(year)
        for day in (starts[0], starts[6], starts[11]):
            assert land_release(m, cal, float(day)).tranche == pytest.approx(annual_land_quota_mu(m, year) / 12)
