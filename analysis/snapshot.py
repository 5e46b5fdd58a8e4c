"""Where a year's signings stand on a given day, as a city's bulletin reports it (issue 23).

Yancheng's mid-year report (calibration.md §2.1) counts the projects signed in H1 and says,
on 30 June, how many had started, how many were in approvals or preparation and how many
were still "being tracked". :func:`stage_snapshot` reads the same three states off a
simulated ledger (model days, the columns of :func:`sim.model.recorder.ProjectLedger.columns`),
and :func:`started_within` the share of a window's signings that started within so many days
of signing. Pure functions on a ledger table; :func:`evidence_table` sets them beside the
evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STAGES: tuple[str, ...] = ("started", "procedures", "prework")


@dataclass(frozen=True)
class Cohort:
    """Which signings a snapshot reads: a signing window and a filter (model days, 亿).

    Attributes
    ----------
    signed_from_day, signed_until_day
        Model days: signed on or after the first and before the second.
    sectors
        Sector names kept (empty = all).
    min_investment_yi
        Smallest agreed investment kept, 亿元.
    """

    signed_from_day: float
    signed_until_day: float
    sectors: tuple[str, ...] = ()
    min_investment_yi: float = 1.0

    def mask(self, ledger: pd.DataFrame) -> np.ndarray:
        """Rows of ``ledger`` in the cohort (boolean array)."""
        signed = ledger["t_signed"].to_numpy(dtype=float)
        keep = (signed >= self.signed_from_day) & (signed < self.signed_until_day)
        keep &= ledger["investment_yi"].to_numpy(dtype=float) >= self.min_investment_yi
        if self.sectors:
            keep &= ledger["sector"].isin(self.sectors).to_numpy()
        return keep


def stage_snapshot(ledger: pd.DataFrame, cohort: Cohort, seen_day: float) -> dict[str, float]:
    """Shares of the cohort started, in procedures and before procedures at the end of ``seen_day``.

    A project that left before starting counts as before procedures: a city keeps
    "tracking" a signed project that stalls (calibration.md §2.1, Yancheng; the same rule as
    the validation record's ``stage_share``). Shares of the cohort's count (0-1); NaN if the
    cohort is empty. ``n`` is the cohort's count.
    """
    keep = cohort.mask(ledger)
    end = seen_day + 1.0
    started = ledger["t_started"].to_numpy(dtype=float) < end
    walked = ledger["t_walked"].to_numpy(dtype=float) < end
    procedures = (ledger["t_procedures"].to_numpy(dtype=float) < end) & ~started & ~walked
    n = int(keep.sum())
    if n == 0:
        return {"n": 0.0, **dict.fromkeys(STAGES, float("nan"))}
    s, p = float((keep & started).sum()) / n, float((keep & procedures).sum()) / n
    return {"n": float(n), "started": s, "procedures": p, "prework": 1.0 - s - p}


def started_within(ledger: pd.DataFrame, cohort: Cohort, days: float) -> float:
    """Share of the cohort that started within ``days`` of signing (0-1; NaN if empty)."""
    keep = cohort.mask(ledger)
    if not keep.any():
        return float("nan")
    lag = ledger["t_started"].to_numpy(dtype=float) - ledger["t_signed"].to_numpy(dtype=float)
    return float((keep & (lag <= days)).sum()) / float(keep.sum())


# The evidence the snapshot is read against (calibration.md §2.1, §3): (label, model
# statistic, observed share, source).
EVIDENCE: tuple[tuple[str, str, float, str], ...] = (
    ("H1 signings started on 30 June", "started", 0.14, "§2.1 Yancheng 2019 H1, 17 of 121"),
    ("H1 signings in procedures on 30 June", "procedures", 0.215, "§2.1 Yancheng 2019 H1, 26 of 121"),
    ("H1 signings before procedures on 30 June", "prework", 0.645, "§2.1 Yancheng 2019 H1, 78 of 121 'still tracked'"),
    ("Jan-Sep signings started on 30 September", "started_q3", 0.17, "§2.1 Yancheng 2018, 17 of 99"),
    (
        "signings started within 90 days",
        "within_90",
        float("nan"),
        "§2.1 flagships 32-216 d, median 70 (showcase); §3 Yunnan 27-41% within ~4 months",
    ),
)


def evidence_table(
    ledgers: list[pd.DataFrame], year_start_day: float, sectors: tuple[str, ...] = ("industrial",)
) -> pd.DataFrame:
    """The Yancheng-style snapshot of one year's signings beside the evidence, mean over ``ledgers``.

    Parameters
    ----------
    ledgers
        One ledger per replication (model days).
    year_start_day
        Model day of 1 January of the year read (a status-quo year, e.g. 2021 or 2022).
    sectors
        Sectors kept (Yancheng's figures are of industrial projects); ≥ 1亿 always.

    Returns
    -------
    DataFrame
        Rows ``measure, model, sd, observed, source``: the model's mean share over the
        replications and its standard deviation across them.
    """
    h1 = Cohort(year_start_day, year_start_day + 181.0, sectors)
    q3 = Cohort(year_start_day, year_start_day + 273.0, sectors)
    year = Cohort(year_start_day, year_start_day + 365.0, sectors)
    rows = []
    for ledger in ledgers:
        snap = stage_snapshot(ledger, h1, year_start_day + 180.0)
        snap["started_q3"] = stage_snapshot(ledger, q3, year_start_day + 272.0)["started"]
        snap["within_90"] = started_within(ledger, year, 90.0)
        rows.append(snap)
    values = pd.DataFrame(rows)
    return pd.DataFrame(
        [
            {
                "measure": label,
                "model": float(values[stat].mean()),
                "sd": float(values[stat].std(ddof=1)) if len(values) > 1 else float("nan"),
                "observed": observed,
                "source": source,
            }
            for label, stat, observed, source in EVIDENCE
        ]
    )
