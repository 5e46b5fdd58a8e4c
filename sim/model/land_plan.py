"""The city's annual land plan (土地利用年度计划): the land its expected projects need each year.

Since 2020 construction-land quota follows the projects (土地要素跟着项目走: the annual plan is
compiled from the projects expected to take land; ordinary projects' new quota is tied to the
stock land a city revives, 增存挂钩): the quota of a year is sized on the land that year's
projects need, not fixed. :func:`expected_land_need_mu` is that need, in expectation, from the
configuration alone: the year's trend of leads (background and the five city events), their
size mix, the share that needs new land and the land per 亿 (the same arithmetic as
:func:`sim.model.project_plan.plan_projects`, in expectation), less the leads that fail
appraisal, are signed again, or never proceed (签而不落). The campaign's extra effort, its
levers' extra leads, its appraisal screen and the weak-year factor are not in it: the plan is
made for the projects the city expects, not for what the campaign adds in the year.

The quota is ``land.quota_coverage_of_need`` x this need (:func:`annual_land_quota_mu`). The
basis of the land per 亿 (agreed or realised investment) cancels: requests and quota are sized
on the same basis. Pure functions of the configuration, so the model and a nowcast's replay of
the quota agree (:func:`sim.model.system.land_release`).
"""

from __future__ import annotations

import math

import numpy as np

from cityplan.schema import SIZE_TIER_LOWER_YI
from sim.config.checks import MONTHS_PER_YEAR
from sim.config.model import ModelConfig
from sim.model.leads import EVENT_SECTOR_SHARES, trend_factor


def truncated_pareto_mean(low: float, high: float, alpha: float) -> float:
    """Mean of a Pareto(``alpha``) truncated to [``low``, ``high``] (亿), as :mod:`sim.model.leads` draws sizes."""
    if math.isclose(alpha, 1.0):
        return low * math.log(high / low) / (1.0 - low / high)
    span = 1.0 - (low / high) ** alpha
    return alpha * low**alpha * (low ** (1.0 - alpha) - high ** (1.0 - alpha)) / ((alpha - 1.0) * span)


def _tier_means_yi(model: ModelConfig) -> np.ndarray:
    """Mean agreed investment in each size tier (1000万-1亿, 1-10亿, 10-50亿, >= 50亿), 亿."""
    d = model.demand
    bounds = (*SIZE_TIER_LOWER_YI, d.max_investment_yi)
    top = len(SIZE_TIER_LOWER_YI) - 1
    return np.array(
        [
            truncated_pareto_mean(
                bounds[t], bounds[t + 1], d.top_tier_pareto_alpha if t == top else d.within_tier_pareto_alpha
            )
            for t in range(len(SIZE_TIER_LOWER_YI))
        ]
    )


def base_year_land_need_mu(model: ModelConfig) -> float:
    """Expected land need (亩) of one year of leads at the base year's trend (see the module docstring)."""
    d, land, a = model.demand, model.land, model.appraisal
    means = _tier_means_yi(model)
    mean_1e8 = float(np.dot(d.tier_shares_1e8, means[1:]))
    mean_event = float(np.dot(d.event_tier_shares_1e8, means[1:]))
    mu_per_yi = np.asarray(land.land_mu_per_yi.as_tuple()) * math.exp(land.intensity_sigma_log**2 / 2.0)
    below = np.asarray(d.share_below_1e8.as_tuple())
    per_1e8 = np.asarray(d.leads_1e8_per_year.as_tuple())
    # background: leads_1e8 >= 1亿 leads a year per sector, and below / (1 - below) as many below 1亿
    background = per_1e8 * mean_1e8 + per_1e8 * below / (1.0 - below) * means[0]
    event_leads = sum(e.leads_1e8_mean for e in d.events)
    events = event_leads * np.asarray(EVENT_SECTOR_SHARES) * mean_event * (1.0 - a.resigned_share_of_event_leads)
    investment = background + events  # 亿 of agreed investment a year, by sector
    proceeds = a.pass_probability * (1.0 - model.walkaway.never_proceed_share)
    return float(np.dot(investment, mu_per_yi)) * (1.0 - land.standard_plant_share) * proceeds


def expected_land_need_mu(model: ModelConfig, year: int) -> float:
    """Expected land need (亩) of the projects of ``year``: the base year's need x the lead trend."""
    return base_year_land_need_mu(model) * trend_factor(model.demand, year)


def annual_land_quota_mu(model: ModelConfig, year: int) -> float:
    """The land quota of ``year`` (亩): ``land.quota_mu_per_year`` if set, else coverage x the year's need."""
    land = model.land
    if land.quota_mu_per_year is not None:
        return land.quota_mu_per_year
    return land.quota_coverage_of_need * expected_land_need_mu(model, year)


def initial_land_stock_mu(model: ModelConfig, first_year: int) -> float:
    """Land quota in stock on 1 January of ``first_year`` (亩).

    ``land.initial_stock_mu`` if set, else ``land.initial_stock_months`` of that year's quota.
    """
    land = model.land
    if land.initial_stock_mu is not None:
        return land.initial_stock_mu
    return land.initial_stock_months / MONTHS_PER_YEAR * annual_land_quota_mu(model, first_year)
