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
    "parks_share": "share of new >= 1亿 industry and services signings in provincial-level parks",
    "industrial_investment": "spending in the year of every industrial project under construction "
    "(realised share of agreed investment spread on an S-curve over construction)",
    "completed_to_registered": "projects of any sector registered (列统) in the year",
    "retrofit_projects": "retrofits started in the year",
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
    """

    year_start_day: float
    cutoff_days: tuple[float, ...]
    usd1e7_threshold_yi: float
    spend_realisation_share: float
    spend_curve_a: float
    spend_curve_b: float


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


def spending(
    start: np.ndarray, build_days: np.ndarray, amount: np.ndarray, lo: float, cutoffs: np.ndarray, a: float, b: float
) -> np.ndarray:
    """Money spent in [lo, c) for each cutoff c, summed over projects (same unit as amount).

    Each project spends ``amount`` between ``start`` and ``start + build_days`` along a
    Beta(a, b) cumulative curve.
    """
    keep = np.isfinite(start) & (build_days > 0)
    s, d, m = start[keep, None], build_days[keep, None], amount[keep, None]

    def share(t: np.ndarray | float) -> np.ndarray:
        return betainc(a, b, np.clip((t - s) / d, 0.0, 1.0))

    return (m * (share(cutoffs[None, :]) - share(lo))).sum(axis=0)


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
    park_pool = non_agri & big
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
    spent = spending(
        started[ind],
        ledger["build_days"].to_numpy(dtype=float)[ind],
        inv[ind] * window.spend_realisation_share,
        lo,
        cut,
        window.spend_curve_a,
        window.spend_curve_b,
    )
    r_start = retrofits["t_started"].to_numpy(dtype=float)
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
        "retrofit_projects": _cum_count(r_start, lo, cut),
        "retrofit_investment": _cum_sum(r_start, retrofits["investment_yi"].to_numpy(dtype=float), lo, cut),
        "smart_benchmarks": _cum_count(retrofits["t_benchmark"].to_numpy(dtype=float), lo, cut),
    }
    return np.vstack([values[k] for k in TARGET_KEYS])
