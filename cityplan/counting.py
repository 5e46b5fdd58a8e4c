"""Target values from a project ledger: cumulative at each month end of the target year.

Input is the flat project ledger (one row per project, milestone times in model days), the
retrofit table and the plan's measures (:mod:`cityplan.schema`). Only events inside the
target year count (record everything, window in analysis). Definitions that the plan leaves
open are in each target's ``note`` in the plan file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc

from cityplan.calendar import Calendar
from cityplan.errors import ConfigError
from cityplan.schema import Measure, PlanConfig, Selection, plan_rows

YI_PER_YUAN = 1e-8  # 1亿元 = 10^8 元
USD_PER_MUSD = 1e6


@dataclass(frozen=True)
class KpiWindow:
    """Where and how to count.

    Parameters
    ----------
    year_start_day
        Model day of 1 January of the target year.
    cutoff_days
        Model days of the month ends (exclusive upper bounds), ascending.
    cny_per_usd
        Exchange rate for thresholds in USD (``min_investment_musd``).
    spend_realisation_share
        Share of agreed investment actually spent.
    spend_curve_a, spend_curve_b
        Beta shape parameters of the spending S-curve.
    parks_share_scope, retrofit_count, retrofit_amount, industrial_investment_with_retrofits
        Counting switches (:class:`sim.config.study.DefinitionsConfig`).
    other_industrial_investment_yi
        Industrial investment of the year outside the model's projects and retrofits (亿元): what
        the statistics count beyond them (:func:`other_industrial_investment_of_year`); counted
        with the retrofits (``industrial_investment_with_retrofits``).
    other_investment_cumulative_shares
        Share of that amount spent by each month end (12 values, the last 1; empty = none).
    """

    year_start_day: float
    cutoff_days: tuple[float, ...]
    cny_per_usd: float
    spend_realisation_share: float
    spend_curve_a: float
    spend_curve_b: float
    parks_share_scope: str = "industry_services"
    retrofit_count: str = "started"
    retrofit_amount: str = "agreed"
    industrial_investment_with_retrofits: bool = True
    other_industrial_investment_yi: float = 0.0
    other_investment_cumulative_shares: tuple[float, ...] = ()


# Where a run's config holds each counting setting of :class:`KpiWindow` (dotted paths below the
# study: ``.hydra/config.yaml`` and :class:`sim.config.study.StudyConfig` share them). The one list:
# the model's tables and the analyses' re-counts read the same switches.
COUNTING_SETTINGS: dict[str, str] = {
    "cny_per_usd": "model.demand.cny_per_usd",
    "spend_realisation_share": "model.construction.spend_realisation_share",
    "spend_curve_a": "model.construction.spend_curve_a",
    "spend_curve_b": "model.construction.spend_curve_b",
    "parks_share_scope": "definitions.parks_share_scope",
    "retrofit_count": "definitions.retrofit_count",
    "retrofit_amount": "definitions.retrofit_amount",
    "industrial_investment_with_retrofits": "definitions.industrial_investment_with_retrofits",
}


# Where a run's config holds the industrial investment outside the model's projects (its level in
# the base year, its growth, the base year and its spending through the year).
OTHER_INVESTMENT_SETTINGS: dict[str, str] = {
    "level_yi": "model.construction.other_industrial_investment_yi_in_base_year",
    "growth_per_year": "model.construction.other_industrial_investment_growth_per_year",
    "base_year": "model.demand.base_year",
    "cumulative_shares": "model.construction.other_investment_cumulative_share_by_month",
}


def other_industrial_investment_of_year(level_yi: float, growth_per_year: float, base_year: int, year: int) -> float:
    """Industrial investment outside the model's projects in ``year`` (亿元).

    What the statistics (规上工业投资, calibration.md §7) count beyond the campaign's signed
    projects and the modelled retrofits: projects signed before the warm-up still building,
    existing firms' own investment (技改 and expansions without a new signing). It grows
    geometrically from ``level_yi`` in ``base_year`` at ``growth_per_year``.
    """
    return float(level_yi * (1.0 + growth_per_year) ** (year - base_year))


def kpi_window_of(calendar: Calendar, target_year: int, setting: Callable[[str], Any]) -> KpiWindow:
    """The counting window of ``target_year`` with every setting of :data:`COUNTING_SETTINGS`.

    ``setting(path)`` gives the value at a dotted config path, or None where the config does not
    have it (a run written before the switch existed): the :class:`KpiWindow` default then applies.
    The industrial investment outside the model's projects (:data:`OTHER_INVESTMENT_SETTINGS`)
    is the target year's amount.
    """
    values = {name: setting(path) for name, path in COUNTING_SETTINGS.items()}
    other = {name: setting(path) for name, path in OTHER_INVESTMENT_SETTINGS.items()}
    if all(v is not None for v in other.values()):
        values["other_industrial_investment_yi"] = other_industrial_investment_of_year(
            float(other["level_yi"]), float(other["growth_per_year"]), int(other["base_year"]), target_year
        )
        values["other_investment_cumulative_shares"] = tuple(float(x) for x in other["cumulative_shares"])
    return KpiWindow(
        year_start_day=calendar.year_start(target_year),
        cutoff_days=tuple(calendar.month_ends(target_year).tolist()),
        **{name: value for name, value in values.items() if value is not None},
    )


def other_investment_spent(window: KpiWindow) -> np.ndarray:
    """Industrial investment outside the model's projects spent in [1 January, c) for each month end c (亿元)."""
    shares = np.asarray(window.other_investment_cumulative_shares, dtype=float)
    n = len(window.cutoff_days)
    if window.other_industrial_investment_yi == 0 or shares.size == 0:
        return np.zeros(n)
    if shares.size != n:
        raise ConfigError(f"other_investment_cumulative_shares has {shares.size} values for {n} month ends")
    return window.other_industrial_investment_yi * shares


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
    (``industrial_investment_with_retrofits``) retrofits of existing firms and the industrial
    investment outside the model's projects (:func:`other_investment_spent`).
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
        return spent[1:] - spent[0] + other_investment_spent(window)
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


MILESTONE_COLUMNS: dict[str, dict[str, str]] = {
    # Spending runs from the start over the build; the window's month ends cut it.
    "projects": {m: f"t_{m}" for m in ("signed", "started", "completed", "registered", "output")}
    | {"spent": "t_started"},
    "retrofits": {"started": "t_started", "completed": "t_completed", "benchmarked": "t_benchmark"},
}


class _Counter:
    """Counts selections of one replication's ledger; masks and values are cached by selection."""

    def __init__(self, ledger: pd.DataFrame, retrofits: pd.DataFrame, window: KpiWindow) -> None:
        self.tables = {"projects": ledger, "retrofits": retrofits}
        self.window = window
        self.lo = window.year_start_day
        self.cut = np.asarray(window.cutoff_days, dtype=float)
        self.arrays: dict[tuple[str, str, type | None], np.ndarray] = {}
        self.parts: dict[tuple[str, str, object], np.ndarray] = {}
        self.values: dict[tuple[object, ...], np.ndarray] = {}

    def column(self, stream: str, name: str, dtype: type | None = None) -> np.ndarray:
        """A ledger column as an array (converted once to ``dtype``)."""
        key = (stream, name, dtype)
        if key not in self.arrays:
            table = self.tables[stream]
            if name not in table.columns:
                what = "unit goals or a unit filter need" if name == "unit" else "the measure needs"
                raise ConfigError(f"{what} the ledger column '{name}', which this {stream} ledger does not have")
            self.arrays[key] = table[name].to_numpy(dtype=dtype)
        return self.arrays[key]

    def _part(self, stream: str, what: str, arg: Any) -> np.ndarray:
        """One filter's mask, cached: targets share sectors, thresholds and flags."""
        key = (stream, what, arg)
        if key not in self.parts:
            if what == "sectors":
                sector = self.column(stream, "sector")
                mask = np.zeros(sector.size, dtype=bool)
                for name in arg:
                    mask |= self._part(stream, "sector", name)
            elif what == "sector":
                mask = self.column(stream, "sector") == arg
            elif what == "min":
                mask = self.column(stream, "investment_yi", float) >= arg
            elif what == "unit":
                mask = self.column(stream, "unit") == arg
            elif what == "signed_in_year":
                mask = self.column(stream, "t_signed", float) >= self.lo
            else:  # a flag: (name, wanted)
                mask = self.column(stream, arg[0], bool) == arg[1]
            self.parts[key] = mask
        return self.parts[key]

    def mask(self, sel: Selection) -> np.ndarray:
        """Rows of the selection's stream that pass its filters (and its window's signing)."""
        st = sel.stream
        keep = np.ones(len(self.tables[st]), dtype=bool)
        if sel.sectors:
            keep &= self._part(st, "sectors", tuple(sel.sectors))
        usd = sel.min_investment_musd * USD_PER_MUSD * self.window.cny_per_usd * YI_PER_YUAN
        threshold = max(sel.min_investment_yi, usd)
        if threshold > 0:
            keep &= self._part(st, "min", threshold)
        for flag in ("foreign", "taiwan", "tech_talent", "in_park"):
            wanted = getattr(sel, flag)
            if wanted is not None:
                keep &= self._part(st, "flag", (flag, bool(wanted)))
        if sel.unit:
            keep &= self._part(st, "unit", sel.unit)
        if sel.window == "signed_in_year":
            keep &= self._part(st, "signed_in_year", None)
        return keep

    def value(self, sel: Selection) -> np.ndarray:
        """Cumulative value of one selection at each cutoff."""
        key = tuple(getattr(sel, f) if f != "sectors" else tuple(sel.sectors) for f in _SELECTION_FIELDS)
        if key not in self.values:
            self.values[key] = self._compute(sel)
        return self.values[key]

    def _compute(self, sel: Selection) -> np.ndarray:
        if sel.stream == "retrofits" and sel.milestone == "started" and sel.statistic != "share":
            count, amount = _retrofit_values(self.tables["retrofits"], self.window)  # counting switches
            return count if sel.statistic == "count" else amount
        keep = self.mask(sel)
        times = self.column(sel.stream, MILESTONE_COLUMNS[sel.stream][sel.milestone], float)[keep]
        if sel.statistic == "count":
            return _cum_count(times, self.lo, self.cut)
        inv = self.column(sel.stream, "investment_yi", float)[keep]
        if sel.statistic == "investment":
            return _cum_sum(times, inv, self.lo, self.cut)
        return self._spent(sel, times, keep)

    def _spent(self, sel: Selection, start: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Realised spending in [1 January, c) of the selected projects (all build phases), 亿元.

        With ``with_retrofits`` (and ``industrial_investment_with_retrofits``), retrofits of
        existing firms spent in the year and the industrial investment outside the model's
        projects too, as the statistics count industrial investment.
        """
        w = self.window
        days = np.concatenate([[self.lo], self.cut])
        span = spend_days_of(self.tables[sel.stream])[keep]
        amount = self.column(sel.stream, "investment_yi", float)[keep] * w.spend_realisation_share
        spent = cumulative_spend(start, span, amount, days, w.spend_curve_a, w.spend_curve_b).sum(axis=0)
        if sel.with_retrofits and w.industrial_investment_with_retrofits:
            spent = spent + retrofit_spend(self.tables["retrofits"], days).sum(axis=0)
            return spent[1:] - spent[0] + other_investment_spent(w)
        return spent[1:] - spent[0]

    def measure(self, m: Measure) -> np.ndarray:
        """A measure's value at each cutoff; a share is NaN where its denominator is 0."""
        if m.denominator is None:
            return self.value(m)
        num, den = m.numerator(), m.denominator
        if m.in_park is not None and self.window.parks_share_scope == "all_sectors":  # counting switch
            num, den = replace(num, sectors=[]), replace(den, sectors=[])
        n, d = self.value(num), self.value(den)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, n / d, np.nan)


_SELECTION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Selection))


def kpi_matrix(
    ledger: pd.DataFrame, retrofits: pd.DataFrame, window: KpiWindow, measures: Sequence[Measure]
) -> np.ndarray:
    """Cumulative value of every measure at every cutoff, shape (len(measures), n_cutoffs).

    Parameters
    ----------
    ledger
        One row per project: ``sector``, ``investment_yi`` (亿元), flags, ``t_<milestone>``
        (model days), ``build_days``; ``unit`` when a measure filters on it.
    retrofits
        One row per retrofit: ``investment_yi``, ``t_started``, ``t_completed``, ``t_benchmark``.
    window
        The target year and month ends.
    measures
        What to count, one row each (:func:`plan_measures` for a plan).
    """
    counter = _Counter(ledger, retrofits, window)
    if not measures:
        return np.empty((0, len(window.cutoff_days)))
    return np.vstack([counter.measure(m) for m in measures])


def plan_measures(plan: PlanConfig) -> list[Measure]:
    """The measures of a plan's rows (:func:`cityplan.schema.plan_rows`), in order."""
    return [row.measure for row in plan_rows(plan)]
