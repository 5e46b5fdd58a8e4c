"""Where projects wait and why they are lost, from the model's own records.

All tables come from ``ledgers.parquet`` (one row per project, first ``run.keep_ledgers``
replications) and ``resources.parquet`` (monthly quota and queue levels). Model days count
from 1 January of ``run.first_year``; the target year is ``run.target_year``.

- :func:`waits_by_month`: days spent queueing for land quota, energy quota and approval
  offices, by the month the project entered procedures (手续).
- :func:`walkaways`: investors who left in the target year, by what they were waiting for.
- :func:`leaders_busy`: share of leaders' attention (领导帮办) in use at each month start.
- :func:`starts_at_stake`: for each resource, the projects that would be candidates to
  start if it were relieved: lost to walk-aways while waiting for it during the year, plus
  those still in its queue at the last month start of the year. It is an upper bound on the
  first-order gain (it ignores knock-on effects on other queues), read from the records.
- :func:`stuck_at_year_end`: signed projects not started on 31 December, by procedure step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from cityplan.causes import QUEUE_CAUSES  # ledger wait_<cause>_days

CAUSE_LABELS: dict[str, tuple[str, str]] = {
    "land": ("用地指标", "land quota"),
    "energy": ("能耗指标", "energy quota"),
    "approvals": ("审批窗口", "approval offices"),
    "leaders": ("领导帮办", "leaders' attention"),
}
PROCEDURE_STEPS: tuple[str, ...] = ("t_land_granted", "t_land", "t_energy", "t_permits")
STEP_LABELS: dict[str, tuple[str, str]] = {
    "t_land_granted": ("用地指标（或堵点未解决）", "land quota (or a problem not yet settled)"),
    "t_land": ("土地出让", "land transfer"),
    "t_energy": ("能耗指标或能评", "energy quota or assessment"),
    "t_permits": ("审批", "approvals and permits"),
    "site_preparation": ("开工准备", "site preparation"),
}


@dataclass(frozen=True)
class YearWindow:
    """The target year in model days, as pandas series need it (a view of the model's calendar).

    Parameters
    ----------
    first_year
        Calendar year of model day 0 (``run.first_year``).
    year
        Target year (``run.target_year``).
    """

    first_year: int
    year: int

    @property
    def origin(self) -> pd.Timestamp:
        """1 January of the first simulated year (model day 0)."""
        return pd.Timestamp(self.first_year, 1, 1)

    @property
    def calendar(self) -> Calendar:
        """The model's calendar of these years (:class:`cityplan.calendar.Calendar`: the one calendar)."""
        return Calendar(self.first_year, self.year)

    @property
    def start_day(self) -> float:
        """Model day of 1 January of the target year."""
        return self.calendar.year_start(self.year)

    @property
    def end_day(self) -> float:
        """Model day of 1 January of the following year (exclusive end)."""
        return self.calendar.horizon_days

    @property
    def month_end_days(self) -> tuple[float, ...]:
        """Model days at the end of each month of the target year (the 1st of the next; 12 values)."""
        return tuple(self.calendar.month_ends(self.year).tolist())

    def month_of(self, days: pd.Series) -> pd.Series:
        """Calendar month (1..12) of model days inside the target year, else NaN."""
        dates = self.origin + pd.to_timedelta(days, unit="D")
        inside = (days >= self.start_day) & (days < self.end_day)
        return dates.dt.month.where(inside)


def _n_replications(ledgers: pd.DataFrame) -> int:
    """Number of replications the ledger holds (at least 1 so means are defined)."""
    keys = [c for c in ("scenario", "policy", "replication") if c in ledgers.columns]
    return max(int(ledgers[keys].drop_duplicates().shape[0]), 1) if keys else 1


def waits_by_month(ledgers: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Mean days queued per project, by cause and month the project entered procedures.

    Parameters
    ----------
    ledgers
        Project ledgers with ``t_procedures`` and ``wait_<cause>_days``.
    window
        The target year.

    Returns
    -------
    DataFrame
        ``month, cause, mean_wait_days, projects`` (projects entering procedures that month,
        per replication); all 12 months x 3 causes, zeros where nobody waited.
    """
    month = window.month_of(ledgers["t_procedures"])
    rows = ledgers.assign(month=month).dropna(subset=["month"])
    n_rep = _n_replications(ledgers)
    out = []
    for m in range(1, 13):
        cohort = rows[rows["month"] == m]
        for cause in QUEUE_CAUSES:
            waits = cohort[f"wait_{cause}_days"].to_numpy(dtype=float)
            out.append(
                {
                    "month": m,
                    "cause": cause,
                    "mean_wait_days": float(waits.mean()) if waits.size else 0.0,
                    "projects": waits.size / n_rep,
                }
            )
    return pd.DataFrame(out)


def walkaways(ledgers: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Investors who walked away in the target year, by the queue they were in.

    Returns
    -------
    DataFrame
        ``cause, walked, investment_yi`` per replication (mean over the ledgers' replications),
        one row per cause in :data:`QUEUE_CAUSES`.
    """
    month = window.month_of(ledgers["t_walked"])
    lost = ledgers[month.notna()]
    n_rep = _n_replications(ledgers)
    rows = [
        {
            "cause": cause,
            "walked": float((lost["walk_cause"] == cause).sum()) / n_rep,
            "investment_yi": float(lost.loc[lost["walk_cause"] == cause, "investment_yi"].sum()) / n_rep,
        }
        for cause in QUEUE_CAUSES
    ]
    return pd.DataFrame(rows)


def stuck_at_year_end(ledgers: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Projects in procedures but not started on 31 December, by the step they are in.

    Returns
    -------
    DataFrame
        ``step, label_zh, label_en, projects`` per replication; ``step`` is the first procedure
        milestone not yet reached: ``t_land_granted`` (land quota queue or an unsettled
        problem), ``t_land`` (land transfer), ``t_energy``, ``t_permits``, or
        ``site_preparation``.
    """
    end = window.end_day
    open_ = ledgers[(ledgers["t_procedures"] < end) & ~(ledgers["t_started"] < end) & ~(ledgers["t_walked"] < end)]
    reached = {c: (open_[c] < end).to_numpy() for c in PROCEDURE_STEPS}
    step = np.full(len(open_), "site_preparation", dtype=object)
    # Walk the steps backwards so the earliest missing one wins.
    for col in reversed(PROCEDURE_STEPS):
        step = np.where(~reached[col], col, step)
    counts = pd.Series(step, dtype=object).value_counts()
    n_rep = _n_replications(ledgers)
    steps = [*PROCEDURE_STEPS, "site_preparation"]
    return pd.DataFrame(
        {
            "step": steps,
            "label_zh": [STEP_LABELS[s][0] for s in steps],
            "label_en": [STEP_LABELS[s][1] for s in steps],
            "projects": [float(counts.get(s, 0)) / n_rep for s in steps],
        }
    )


def starts_at_stake(ledgers: pd.DataFrame, resources: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Upper bound on the extra starts if each queue were relieved (per replication).

    ``lost`` = investors who walked away in the year while in that queue (ledgers);
    ``queueing`` = projects in that queue at the last month start of the year (the model's
    queue log, :func:`queue_lengths`). Relieving the resource could at most start all of
    them; knock-on effects on the next queue are ignored.

    Returns
    -------
    DataFrame
        ``cause, lost, queueing, at_stake`` sorted by ``at_stake`` descending.
    """
    lost = walkaways(ledgers, window).set_index("cause")["walked"]
    queues = queue_lengths(resources, window)
    last = queues[queues["month"] == queues["month"].max()].set_index("cause")["waiting"] if len(queues) else {}
    rows = [{"cause": c, "lost": float(lost.get(c, 0.0)), "queueing": float(last.get(c, 0.0))} for c in QUEUE_CAUSES]
    table = pd.DataFrame(rows)
    table["at_stake"] = table["lost"] + table["queueing"]
    return table.sort_values("at_stake", ascending=False, kind="stable").reset_index(drop=True)


def leaders_busy(resources: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Share of each leader tier's attention in use at each month start of the target year.

    Capacity is the most free attention ever logged (model day 0, before any project
    arrives); a tier without capacity (no leader help in this policy) gives NaN.

    Returns
    -------
    DataFrame
        ``month, tier, busy_share`` (mean over replications), tiers 0..2 (county/park head,
        city deputy, city top leaders).
    """
    free = resources[(resources["metric"] == "free") & resources["resource"].str.startswith("leaders_tier")]
    if free.empty:
        return pd.DataFrame(columns=["month", "tier", "busy_share"])
    capacity = free.groupby("resource")["value"].max()
    rows = free.assign(month=window.month_of(free["day"])).dropna(subset=["month"])
    rows = rows.assign(busy_share=1.0 - rows["value"] / rows["resource"].map(capacity).replace(0, np.nan))
    out = pd.DataFrame(rows.groupby(["month", "resource"], as_index=False)["busy_share"].mean())
    out["tier"] = out.pop("resource").str.removeprefix("leaders_tier").astype(int)
    out["month"] = out["month"].astype(int)
    return out[["month", "tier", "busy_share"]]


def queue_lengths(resources: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Projects queueing for each resource at each month start of the target year (mean over reps).

    Returns
    -------
    DataFrame
        ``month, cause, waiting`` for ``land``, ``energy``, ``approvals``.
    """
    names = {"land_mu": "land", "energy_tce": "energy", "approvals": "approvals"}
    rows = resources[(resources["metric"] == "waiting") & resources["resource"].isin(names)]
    rows = rows.assign(month=window.month_of(rows["day"]), cause=rows["resource"].map(names)).dropna(subset=["month"])
    out = pd.DataFrame(rows.groupby(["month", "cause"], as_index=False)["value"].mean()).rename(
        columns={"value": "waiting"}
    )
    out["month"] = out["month"].astype(int)
    return out
