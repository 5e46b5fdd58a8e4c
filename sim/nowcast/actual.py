"""What a ledger alone counts as achieved: its monthly KPIs, as the model counts them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from cityplan.calendar import Calendar
from cityplan.counting import kpi_matrix
from cityplan.schema import SIZE_TIER_LOWER_YI
from sim.config.study import StudyConfig, kpi_window
from sim.model.project_plan import DAYS_PER_MONTH


def actual_monthly(ledger: pd.DataFrame, cfg: StudyConfig) -> pd.DataFrame:
    """The targets' actual path in the target year up to ``as_of``, from the ledger alone.

    Months whose end is after ``as_of`` are left out; retrofit targets are not in a project
    ledger and are left out too. Projects still building spend along the S-curve whose
    duration matches their reported spending (``spent_to_date_yi``); without it, along the
    median duration of their size tier (all build phases). Industrial investment is left out
    too when it counts retrofits (``definitions.industrial_investment_with_retrofits``).

    Returns
    -------
    DataFrame
        Columns ``target``, ``month`` (1..12), ``date`` (month end), ``value``.
    """
    cal = Calendar(cfg.run.first_year, cfg.run.target_year)
    a = cal.day_of(cfg.nowcast.as_of) + 1.0
    c = cfg.model.construction
    started = ledger["t_started"].to_numpy(dtype=float)
    inv = ledger["investment_yi"].to_numpy(dtype=float)
    share = ledger["spent_to_date_yi"].to_numpy(dtype=float) / (inv * c.spend_realisation_share)
    x = betaincinv(c.spend_curve_a, c.spend_curve_b, np.clip(share, 1e-9, 1.0 - 1e-9))
    tiers = np.asarray(SIZE_TIER_LOWER_YI)
    tier = np.clip(np.searchsorted(tiers, inv, side="right") - 1, 0, len(tiers) - 1)
    phases = 1.0 / (1.0 - np.asarray(c.later_phase_share_by_tier)[tier])  # spending span / first phase
    median = np.asarray(c.median_months_by_tier)[tier] * DAYS_PER_MONTH * phases
    build = np.where(np.isfinite(share), (a - started) / x, median)
    build = np.where(np.isfinite(ledger["t_completed"]), (ledger["t_completed"] - started) * phases, build)
    frame = ledger.assign(build_days=build)
    no_retrofits = pd.DataFrame({"investment_yi": [], "t_started": [], "t_benchmark": []})
    # retrofits, and spending that counts retrofits, are not in a project ledger
    with_retrofits = cfg.definitions.industrial_investment_with_retrofits
    projects = {
        k: t.measure
        for k, t in cfg.plan.targets.items()
        if t.measure.stream == "projects" and not (t.measure.with_retrofits and with_retrofits)
    }
    values = kpi_matrix(frame, no_retrofits, kpi_window(cfg), list(projects.values()))
    month_ends = cal.month_ends(cfg.run.target_year)
    dates = pd.date_range(f"{cfg.run.target_year}-01-31", periods=12, freq="ME")
    rows = [
        {"target": key, "month": j + 1, "date": dates[j], "value": values[i, j]}
        for i, key in enumerate(projects)
        for j in range(12)
        if month_ends[j] <= a
    ]
    return pd.DataFrame(rows, columns=["target", "month", "date", "value"])
