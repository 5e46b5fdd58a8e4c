"""What the model says for each observation: one value per observation from one project ledger.

The counterpart of :mod:`cityplan.counting` for the published record
(:mod:`cityplan.observations`): it reads one replication's flat project ledger (milestone
times in model days) and retrofit table and returns one number per observation. Dates are
days of :class:`~cityplan.calendar.Calendar`; a window ``[a, b]`` covers the days from the start
of ``a`` to the end of ``b``; a date ``seen_on`` is read at the end of that day. Spending follows
what is realised (:func:`cityplan.counting.cumulative_spend`, the settings of the
:class:`~cityplan.counting.KpiWindow`), as the plan's spending targets count it. A value with
nothing to divide by is NaN.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from cityplan.counting import KpiWindow, cumulative_spend, retrofit_spend, spend_days_of, spent_share_after_signing
from cityplan.observations import Filters, Observation, ObservedMeasure


def column_of(milestone: str) -> str:
    """The ledger column of a dated milestone (``spent`` runs from the start)."""
    return "t_started" if milestone == "spent" else f"t_{milestone}"


def filter_mask(ledger: pd.DataFrame, f: Filters) -> np.ndarray:
    """Rows of ``ledger`` that pass the filters ``f``."""
    keep = np.ones(len(ledger), dtype=bool)
    if f.sectors:
        keep &= ledger["sector"].isin(f.sectors).to_numpy()
    inv = ledger["investment_yi"].to_numpy(dtype=float)
    if f.min_investment_yi > 0:
        keep &= inv >= f.min_investment_yi
    if f.below_investment_yi > 0:
        keep &= inv < f.below_investment_yi
    for flag in ("foreign", "taiwan", "in_park", "from_event"):
        wanted = getattr(f, flag)
        if wanted is not None:
            keep &= ledger[flag].to_numpy(dtype=bool) == bool(wanted)
    if f.took_land is not None:  # needed new land (issue 23: ready projects take none)
        keep &= (ledger["land_mu"].to_numpy(dtype=float) > 0) == f.took_land
    if f.unit:
        keep &= (ledger["unit"] == f.unit).to_numpy()
    return keep


class _Observer:
    """Values of observations on one replication's ledger."""

    def __init__(self, ledger: pd.DataFrame, retrofits: pd.DataFrame, calendar: Calendar, window: KpiWindow) -> None:
        self.ledger, self.retrofits, self.cal, self.window = ledger, retrofits, calendar, window

    def days(self, window: list[str]) -> tuple[float, float]:
        """Model days [start of the first day, end of the last day)."""
        return self.cal.day_of(window[0]), self.cal.day_of(window[1]) + 1.0

    def times(self, milestone: str) -> np.ndarray:
        return self.ledger[column_of(milestone)].to_numpy(dtype=float)

    def in_window(self, milestone: str, lo: float, hi: float) -> np.ndarray:
        t = self.times(milestone)
        return (t >= lo) & (t < hi)

    def value(self, m: ObservedMeasure, keep: np.ndarray, of: str, milestone: str, window: list[str]) -> float:
        """Count, agreed investment or spending of the rows ``keep`` in ``window``."""
        lo, hi = self.days(window)
        if of == "spending":
            return self.spending(keep, lo, hi, with_retrofits=m.with_retrofits)
        hit = keep & self.in_window(milestone, lo, hi)
        if of == "count":
            return float(hit.sum())
        return float(self.ledger["investment_yi"].to_numpy(dtype=float)[hit].sum())

    def spending(self, keep: np.ndarray, lo: float, hi: float, *, with_retrofits: bool) -> float:
        """Realised spending in [lo, hi) of the rows ``keep`` (and retrofits), 亿元."""
        w, led = self.window, self.ledger
        days = np.array([lo, hi])
        spent = cumulative_spend(
            led["t_started"].to_numpy(dtype=float)[keep],
            spend_days_of(led)[keep],
            led["investment_yi"].to_numpy(dtype=float)[keep] * w.spend_realisation_share,
            days,
            w.spend_curve_a,
            w.spend_curve_b,
        ).sum(axis=0)
        if with_retrofits and w.industrial_investment_with_retrofits:
            spent = spent + retrofit_spend(self.retrofits, days).sum(axis=0)
        return float(spent[1] - spent[0])

    def measure(self, m: ObservedMeasure) -> float:
        """The value of one observed measure (divided by ``divide_by``)."""
        return self.raw(m) / m.divide_by

    def raw(self, m: ObservedMeasure) -> float:  # noqa: PLR0911 - one return per statistic
        """The value of one observed measure."""
        keep = filter_mask(self.ledger, m)
        s = m.statistic
        if s in ("count", "investment", "spending"):
            return self.value(m, keep, s, m.milestone, m.window)
        if s == "mean_investment":
            n = self.value(m, keep, "count", m.milestone, m.window)
            return self.value(m, keep, "investment", m.milestone, m.window) / n if n else float("nan")
        if s == "share":
            assert m.part is not None
            den = self.value(m, keep, m.of, m.milestone, m.window)
            num = self.value(m, keep & filter_mask(self.ledger, m.part), m.of, m.milestone, m.window)
            return num / den if den else float("nan")
        if s in ("ratio", "growth", "rate_ratio"):
            return self.compared(m, keep)
        if s == "stock":
            return self.stock(keep, m.seen_on)
        if s == "median_days":
            lo, hi = self.days(m.window)
            hit = keep & self.in_window(m.milestone, lo, hi)
            spans = (self.times(m.milestone) - self.times(m.since))[hit]
            spans = spans[np.isfinite(spans)]
            return float(np.median(spans)) if spans.size else float("nan")
        lo, hi = self.days(m.window)
        cohort = keep & self.in_window("signed", lo, hi)
        if s == "spent_within_share":
            return spent_share_after_signing(self.ledger[cohort], self.window, lo, hi, m.within_days)
        if not cohort.any():
            return float("nan")
        if s == "within_share":
            span = (self.times(m.milestone) - self.times("signed"))[cohort]
            return float(np.mean(span <= m.within_days))  # NaN (never reached) compares False
        return float(np.mean(self.stage_on(m.seen_on)[cohort] == m.stage))

    def compared(self, m: ObservedMeasure, keep: np.ndarray) -> float:
        """Value in ``window`` over the value in ``base_window`` (per day for ``rate_ratio``)."""
        top = self.value(m, keep, m.of, m.milestone, m.window)
        bottom = self.value(m, keep, m.of, m.base_milestone or m.milestone, m.base_window)
        if m.statistic == "rate_ratio":
            (lo, hi), (blo, bhi) = self.days(m.window), self.days(m.base_window)
            top, bottom = top / (hi - lo), bottom / (bhi - blo)
        if not bottom:
            return float("nan")
        return top / bottom - (1.0 if m.statistic == "growth" else 0.0)

    def stock(self, keep: np.ndarray, on: str) -> float:
        """Rows ``keep`` building at the end of ``on``: started, not completed."""
        d = self.cal.day_of(on) + 1.0
        started, completed = self.times("started"), self.times("completed")
        return float((keep & (started < d) & ~(completed < d)).sum())

    def stage_on(self, on: str) -> np.ndarray:
        """Each project's stage at the end of ``on``: prework, procedures or started.

        A project that left before starting counts as prework: a city's report keeps
        "tracking" a signed project that stalls (calibration.md §2.1, Yancheng).
        """
        d = self.cal.day_of(on) + 1.0
        started = self.times("started") < d
        walked = self.times("walked") < d
        procedures = (self.times("procedures") < d) & ~started & ~walked
        return np.where(started, "started", np.where(procedures, "procedures", "prework"))


def observe(
    ledger: pd.DataFrame,
    retrofits: pd.DataFrame,
    observations: Iterable[Observation],
    calendar: Calendar,
    window: KpiWindow,
) -> dict[str, float]:
    """The model's value of each observation on one replication (key -> value).

    Parameters
    ----------
    ledger
        One row per project (:func:`sim.run.replication.ledger_frame`): ``sector``,
        ``investment_yi``, flags, ``unit``, ``t_<milestone>`` (model days), ``spend_days``.
    retrofits
        One row per retrofit (``investment_yi``, ``t_started``, ``t_completed``).
    observations
        What to compute (:func:`cityplan.observations.load_observations`).
    calendar
        Model days of dates (day 0 = 1 January of ``run.first_year``).
    window
        Spending settings (realised share, S-curve, the retrofit switch); its year is unused.
    """
    observer = _Observer(ledger, retrofits, calendar, window)
    return {obs.key: observer.measure(obs.measure) for obs in observations}
