"""Smart/digital retrofits (技改) of existing firms, and benchmark designations.

Retrofits use no land, energy or approval capacity in this model, so they do not interact
with the project queues; they are drawn vectorised from their own stream rather than run as
SimPy processes (same distribution, no events to schedule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from sim.config.demand import DemandConfig
from sim.config.steps import RetrofitConfig
from sim.model.leads import growth_factor
from sim.model.project_plan import lognormal_days


def draw_retrofits(
    cfg: RetrofitConfig, demand: DemandConfig, calendar: Calendar, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per retrofit: start, completion and benchmark day (model days), 亿元.

    Starts are Poisson through each year, growing like the leads. A retrofit completed
    before the year's benchmark assessment day may be named a benchmark on that day; one
    completed after it waits for next year's assessment.
    """
    days = []
    for year in range(calendar.first_year, calendar.last_year + 1):
        n = rng.poisson(cfg.projects_per_year * growth_factor(demand, year, calendar.last_year))
        days.append(np.sort(rng.uniform(calendar.year_start(year), calendar.year_start(year + 1), n)))
    start = np.concatenate(days)
    z_inv, z_dur = rng.standard_normal((2, start.size))
    u_bench = rng.random(start.size)
    completed = start + lognormal_days(cfg.duration_median_days, cfg.sigma_log, z_dur)
    year_starts = np.array([calendar.year_start(y) for y in range(calendar.first_year, calendar.last_year + 3)])
    assessment = year_starts + cfg.benchmark_day_of_year
    idx = np.searchsorted(assessment, completed, side="left")
    benchmark = np.where(u_bench < cfg.benchmark_probability, assessment[np.minimum(idx, assessment.size - 1)], np.nan)
    return pd.DataFrame(
        {
            "investment_yi": lognormal_days(cfg.investment_median_yi, cfg.investment_sigma_log, z_inv),
            "t_started": start,
            "t_completed": completed,
            "t_benchmark": benchmark,
        }
    )
