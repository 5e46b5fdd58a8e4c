"""Target values from a project ledger: cumulative at each month end of the target year.

Input is the flat project ledger (one row per project, milestone times in model days) and
the retrofit table. Only events inside the target year count (record everything, window in
analysis). Definitions that the plan leaves open are stated in :data:`DEFINITIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betainc

from analysis.targets import TARGET_KEYS

NON_AGRI = ("industrial", "producer_services", "other_services")
# Size thresholds of the targets, 亿元: 1000万, 1亿, 10亿, 50亿.
YI_1E7, YI_1E8, YI_1E9, YI_5E9 = 0.1, 1.0, 10.0, 50.0
SERVICES = ("producer_services", "other_services")

DEFINITIONS: dict[str, str] = {
    "started_same_year": "new >= 1亿 industrial signings of the year that start in the year "
    "(assumption: the plan's 300 = 50% x 600 industrial signings)",
    "start_rate_same_year": "started_same_year / signed_industrial_1e8",
    "signed_5e9": "industry and services (产业) signings >= 50亿",
    "parks_share": "share of new >= 1亿 industry and services signings in provincial-level parks "
    "(switch definitions.parks_share_scope=all_sectors: with agriculture)",
    "industrial_investment": "spending in the year of every industrial project building, of any signing "
    "year (realised share of agreed investment on an S-curve over all build phases), plus retrofits "
    "(技改) spent in the year, as the statistics count it (calibration.md §7; switch "
    "definitions.industrial_investment_with_retrofits)",
    "completed_to_registered": "projects of any sector registered (列统) in the year",
    "retrofit_projects": "retrofits started in the year (switch definitions.retrofit_count=in_progress)",
    "retrofit_investment": "agreed investment of retrofits started in the year "
    "(switch definitions.retrofit_amount=spent: spent in the year by retrofits in progress)",
    "foreign_usd1e7": "foreign-invested signings with agreed investment >= USD 10m",
}


@dataclass(frozen=True)
class KpiWindow:
    """Where and how to count.

    Parameters
    ----------
    year_start_day
        Model day of 1 January of the target year.
    cutoff_days
        Model days of the month ends (exclusive upper bounds), ascending.
    usd1e7_threshold_yi
        USD 10 million in 亿元.
    spend_realisation_share
        Share of agreed investment actually spent.
    spend_curve_a, spend_curve_b
        Beta shape parameters of the spending S-curve.
    parks_share_scope, retrofit_count, retrofit_amount, industrial_investment_with_retrofits
        Counting switches (:class:`sim.config.DefinitionsConfig`).
    """

    year_start_day: float
    cutoff_days: tuple[float, ...]
    usd1e7_threshold_yi: float
    spend_realisation_share: float
    spend_curve_a: float
    spend_curve_b: float
    parks_share_scope: str = "industry_services"
    retrofit_count: str = "started"
    retrofit_amount: str = "agreed"
    industrial_investment_with_retrofits: bool = True


def _cum_count(times: np.ndarray, start: float, cutoffs: np.ndarray) -> np.ndarray:
    """Number of finite ``times`` in [start, c) for each cutoff c."""
    t = np.sort(times[np.isfinite(times) & (times >= start)])
    return np.searchsorted(t, cutoffs, side="left").astype(float)


def _cum_sum(times: np.ndarray, weights: np.ndarray, start: float, cutoffs: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` whose time is in [start, c) for each cutoff c."""
    keep = np.isfinite(times) & (times >= start)
    order = np.argsort(times[keep])
    t, w = times[keep][order], weights[keep][order]
    csum = np.concatenate([[0.0], np.cumsum(w)])
    return csum[np.searchsorted(t, cutoffs, side="left")]


def cumulative_spend(
    start: np.ndarray, span_days: np.ndarray, amount: np.ndarray, days: np.ndarray, a: float, b: float
) -> np.ndarray:
    """What each project has spent by each day, shape (n_projects, n_days) (unit of ``amount``).

    A project spends ``amount`` between ``start`` and ``start + span_days`` along a Beta(a, b)
    cumulative curve; one that never started (NaN start) spends nothing.
    """
    start, span, amount = (np.asarray(x, dtype=float) for x in (start, span_days, amount))
    days = np.asarray(days, dtype=float)
    keep = np.isfinite(start) & (span > 0)
    out = np.zeros((start.size, days.size))
    s, d = start[keep, None], span[keep, None]
    out[keep] = amount[keep, None] * betainc(a, b, np.clip((days[None, :] - s) / d, 0.0, 1.0))
    return out


def spending(
    start: np.ndarray, build_days: np.ndarray, amount: np.ndarray, lo: float, cutoffs: np.ndarray, a: float, b: float
) -> np.ndarray:
    """Money spent in [lo, c) for each cutoff c, summed over projects (same unit as amount).

    Each project spends ``amount`` between ``start`` and ``start + build_days`` along a
    Beta(a, b) cumulative curve.
    """
    days = np.concatenate([[lo], np.asarray(cutoffs, dtype=float)])
    spent = cumulative_spend(start, build_days, amount, days, a, b).sum(axis=0)
    return spent[1:] - spent[0]


def spend_days_of(ledger: pd.DataFrame) -> np.ndarray:
    """Days over which each project spends: all build phases (``spend_days``), else ``build_days``."""
    col = "spend_days" if "spend_days" in ledger else "build_days"
    return ledger[col].to_numpy(dtype=float)


def project_spend(ledger: pd.DataFrame, window: KpiWindow, days: np.ndarray) -> pd.DataFrame:
    """Realised spending of every project by each of ``days``: what "spent" means (亿元, cumulative).

    Spending follows what is realised, not what is agreed (calibration.md §7): only projects
    that start spend, ``spend_realisation_share`` of their agreed investment, along the
    S-curve over all their build phases.

    Returns
    -------
    DataFrame
        Columns ``project``, ``sector``, ``day`` (model day), ``spent_yi`` (cumulative).
    """
    days = np.asarray(days, dtype=float)
    spent = cumulative_spend(
        ledger["t_started"].to_numpy(dtype=float),
        spend_days_of(ledger),
        ledger["investment_yi"].to_numpy(dtype=float) * window.spend_realisation_share,
        days,
        window.spend_curve_a,
        window.spend_curve_b,
    )
    n = len(ledger)
    project = ledger["project"].to_numpy() if "project" in ledger else np.arange(n)
    return pd.DataFrame(
        {
            "project": np.repeat(project, days.size),
            "sector": np.repeat(ledger["sector"].to_numpy(), days.size),
            "day": np.tile(days, n),
            "spent_yi": spent.ravel(),
        }
    )


def spent_share_after_signing(ledger: pd.DataFrame, window: KpiWindow, lo: float, hi: float, days: float) -> float:
    """Share of the agreed investment signed in [lo, hi) that is spent ``days`` after each signing.

    The model's counterpart of calibration.md §7's "funds in place a year after signing"
    (10-34%), for checking the spending mechanism against evidence; projects that never
    start count with 0. NaN if nothing was signed in the window.
    """
    signed = ledger["t_signed"].to_numpy(dtype=float)
    cohort = (signed >= lo) & (signed < hi)
    agreed = ledger["investment_yi"].to_numpy(dtype=float)[cohort]
    if not agreed.sum() > 0:
        return float("nan")
    start = ledger["t_started"].to_numpy(dtype=float)[cohort]
    span = spend_days_of(ledger)[cohort]
    s, a, b = window.spend_realisation_share, window.spend_curve_a, window.spend_curve_b
    x = np.where(np.isfinite(start) & (span > 0), (signed[cohort] + days - start) / np.where(span > 0, span, 1.0), 0.0)
    spent = agreed * s * betainc(a, b, np.clip(np.nan_to_num(x), 0.0, 1.0))
    return float(spent.sum() / agreed.sum())


def retrofit_spend(retrofits: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """What each retrofit has spent by each day, shape (n_retrofits, n_days), 亿元.

    A retrofit spends its investment evenly from its start to its completion (assumption);
    a table without completion days (a ledger-only nowcast) spends nothing.
    """
    if "t_completed" not in retrofits:
        return np.zeros((len(retrofits), np.asarray(days).size))
    start = retrofits["t_started"].to_numpy(dtype=float)
    span = retrofits["t_completed"].to_numpy(dtype=float) - start
    return cumulative_spend(start, span, retrofits["investment_yi"].to_numpy(dtype=float), days, 1.0, 1.0)


def industrial_investment(ledger: pd.DataFrame, retrofits: pd.DataFrame, window: KpiWindow) -> np.ndarray:
    """Industrial investment spent in [1 January, c) for each month end c (亿元), as counted.

    Industrial projects of any signing year, by realised spending over all phases, plus
    (``industrial_investment_with_retrofits``) retrofits of existing firms.
    """
    lo = window.year_start_day
    days = np.concatenate([[lo], np.asarray(window.cutoff_days, dtype=float)])
    ind = (ledger["sector"] == "industrial").to_numpy()
    spent = cumulative_spend(
        ledger["t_started"].to_numpy(dtype=float)[ind],
        spend_days_of(ledger)[ind],
        ledger["investment_yi"].to_numpy(dtype=float)[ind] * window.spend_realisation_share,
        days,
        window.spend_curve_a,
        window.spend_curve_b,
    ).sum(axis=0)
    if window.industrial_investment_with_retrofits:
        spent = spent + retrofit_spend(retrofits, days).sum(axis=0)
    return spent[1:] - spent[0]


def _retrofit_values(retrofits: pd.DataFrame, window: KpiWindow) -> tuple[np.ndarray, np.ndarray]:
    """Retrofit count and amount at each month end under the counting switches."""
    lo = window.year_start_day
    cut = np.asarray(window.cutoff_days, dtype=float)
    start = retrofits["t_started"].to_numpy(dtype=float)
    inv = retrofits["investment_yi"].to_numpy(dtype=float)
    if window.retrofit_count == "in_progress":
        no_end = np.full(start.size, np.inf)
        done = retrofits["t_completed"].to_numpy(dtype=float) if "t_completed" in retrofits else no_end
        alive = ~(done < lo)
        count = (start[alive, None] < cut[None, :]).sum(axis=0).astype(float)
    else:
        count = _cum_count(start, lo, cut)
    if window.retrofit_amount == "spent":
        days = np.concatenate([[lo], cut])
        spent = retrofit_spend(retrofits, days).sum(axis=0)
        amount = spent[1:] - spent[0]
    else:
        amount = _cum_sum(start, inv, lo, cut)
    return count, amount


def kpi_matrix(ledger: pd.DataFrame, retrofits: pd.DataFrame, window: KpiWindow) -> np.ndarray:
    """Cumulative value of every target at every cutoff, shape (len(TARGET_KEYS), n_cutoffs).

    Parameters
    ----------
    ledger
        One row per project: ``sector``, ``investment_yi``, flags, ``t_<milestone>``,
        ``build_days``.
    retrofits
        One row per retrofit: ``investment_yi``, ``t_started``, ``t_benchmark``.
    window
        The target year and month ends.
    """
    lo = window.year_start_day
    cut = np.asarray(window.cutoff_days, dtype=float)
    sector = ledger["sector"].to_numpy()
    inv = ledger["investment_yi"].to_numpy(dtype=float)
    signed = ledger["t_signed"].to_numpy(dtype=float)
    started = ledger["t_started"].to_numpy(dtype=float)
    completed = ledger["t_completed"].to_numpy(dtype=float)
    registered = ledger["t_registered"].to_numpy(dtype=float)
    ind = sector == "industrial"
    agri = sector == "agriculture"
    services = np.isin(sector, SERVICES)
    non_agri = ~agri
    big = inv >= YI_1E8
    nan = np.full(cut.size, np.nan)

    def count(t: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return _cum_count(t[mask], lo, cut)

    signed_ind_1e8 = count(signed, ind & big)
    same_year = np.where(signed >= lo, started, np.nan)
    started_same = count(same_year, ind & big)
    park_pool = (non_agri if window.parks_share_scope == "industry_services" else np.ones(inv.size, bool)) & big
    in_park = ledger["in_park"].to_numpy(dtype=bool)
    park_count = count(signed, park_pool)
    park_inv = _cum_sum(signed[park_pool], inv[park_pool], lo, cut)
    foreign = ledger["foreign"].to_numpy(dtype=bool) & (inv >= window.usd1e7_threshold_yi)
    taiwan = ledger["taiwan"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        start_rate = np.where(signed_ind_1e8 > 0, started_same / signed_ind_1e8, nan)
        parks_share = np.where(park_count > 0, count(signed, park_pool & in_park) / park_count, nan)
        parks_inv_share = np.where(
            park_inv > 0, _cum_sum(signed[park_pool & in_park], inv[park_pool & in_park], lo, cut) / park_inv, nan
        )
    spent = industrial_investment(ledger, retrofits, window)
    retrofit_count, retrofit_amount = _retrofit_values(retrofits, window)
    values: dict[str, np.ndarray] = {
        "agreed_investment": _cum_sum(signed, inv, lo, cut),
        "agreed_investment_industrial": _cum_sum(signed[ind], inv[ind], lo, cut),
        "signed_industrial_1e8": signed_ind_1e8,
        "signed_5e9": count(signed, non_agri & (inv >= YI_5E9)),
        "started_same_year": started_same,
        "start_rate_same_year": start_rate,
        "signed_agri_1e7": count(signed, agri & (inv >= YI_1E7)),
        "signed_producer_services_1e8": count(signed, (sector == "producer_services") & big),
        "foreign_usd1e7": count(signed, foreign),
        "foreign_taiwan": count(signed, foreign & taiwan),
        "tech_talent": count(signed, ledger["tech_talent"].to_numpy(dtype=bool)),
        "industrial_investment": spent,
        "started_industrial_1e8": count(started, ind & big),
        "started_industrial_5e9": count(started, ind & (inv >= YI_5E9)),
        "completed_to_registered": count(registered, np.ones(inv.size, bool)),
        "started_agri_1e7": count(started, agri & (inv >= YI_1E7)),
        "started_agri_1e8": count(started, agri & big),
        "completed_agri_1e7": count(completed, agri & (inv >= YI_1E7)),
        "completed_agri_1e8": count(completed, agri & big),
        "started_services_1e8": count(started, services & big),
        "started_services_1e9": count(started, services & (inv >= YI_1E9)),
        "completed_services_1e8": count(completed, services & big),
        "completed_services_1e9": count(completed, services & (inv >= YI_1E9)),
        "parks_share": parks_share,
        "parks_share_investment": parks_inv_share,
        "retrofit_projects": retrofit_count,
        "retrofit_investment": retrofit_amount,
        "smart_benchmarks": _cum_count(retrofits["t_benchmark"].to_numpy(dtype=float), lo, cut),
    }
    return np.vstack([values[k] for k in TARGET_KEYS])
