"""Target values from a project ledger: cumulative at each month end of the target year.

Input is the flat project ledger (one row per project, milestone times in model days), the
retrofit table and the plan's measures (:mod:`analysis.plan_schema`). Only events inside the
target year count (record everything, window in analysis). Definitions that the plan leaves
open are in each target's ``note`` in the plan file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc

from analysis.errors import ConfigError
from analysis.plan_schema import Measure, PlanConfig, Selection, plan_rows

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
    """

    year_start_day: float
    cutoff_days: tuple[float, ...]
    cny_per_usd: float
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
        keep = self.mask(sel)
        times = self.column(sel.stream, MILESTONE_COLUMNS[sel.stream][sel.milestone], float)[keep]
        if sel.statistic == "count":
            return _cum_count(times, self.lo, self.cut)
        inv = self.column(sel.stream, "investment_yi", float)[keep]
        if sel.statistic == "investment":
            return _cum_sum(times, inv, self.lo, self.cut)
        w = self.window
        build = self.column(sel.stream, "build_days", float)[keep]
        amount = inv * w.spend_realisation_share
        return spending(times, build, amount, self.lo, self.cut, w.spend_curve_a, w.spend_curve_b)

    def measure(self, m: Measure) -> np.ndarray:
        """A measure's value at each cutoff; a share is NaN where its denominator is 0."""
        if m.denominator is None:
            return self.value(m)
        num, den = self.value(m.numerator()), self.value(m.denominator)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)


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
    """The measures of a plan's rows (:func:`analysis.plan_schema.plan_rows`), in order."""
    return [row.measure for row in plan_rows(plan)]
