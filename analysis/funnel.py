"""The pipeline funnel of the target year, same-year signings vs the carried-over pipeline.

Stages: leads -> signed -> procedures done -> started -> completed -> registered.

A stage counts the projects that reached it during the target year. "Same year" means the
project was signed in the target year (for leads: arrived in it); "carry-over" means it was
signed before 1 January (for leads: arrived before and still in appraisal on 1 January, read
with :func:`analysis.states.project_states`). Counts are per replication (mean over the
ledgers' replications).
"""

from __future__ import annotations

import pandas as pd

from analysis.bottlenecks import YearWindow
from analysis.states import STATES, project_states

FUNNEL_STAGES: tuple[tuple[str, str, str], ...] = (
    ("t_arrival", "线索", "leads"),
    ("t_signed", "签约", "signed"),
    ("t_permits", "手续办结", "procedures done"),
    ("t_started", "开工", "started"),
    ("t_completed", "竣工", "completed"),
    ("t_registered", "列统", "registered"),
)


def _replications(ledgers: pd.DataFrame) -> list[pd.DataFrame]:
    keys = [c for c in ("scenario", "policy", "replication") if c in ledgers.columns]
    return [g for _, g in ledgers.groupby(keys, sort=False)] if keys else [ledgers]


def funnel(ledgers: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Projects reaching each lifecycle stage in the target year, same-year vs carry-over.

    Parameters
    ----------
    ledgers
        Project ledgers (``t_<milestone>`` in model days).
    window
        The target year.

    Returns
    -------
    DataFrame
        ``stage, label_zh, label_en, same_year, carry_over, total`` in lifecycle order.
    """
    lo, hi = window.start_day, window.end_day
    reps = _replications(ledgers)
    rows = []
    for col, zh, en in FUNNEL_STAGES:
        same = carry = 0.0
        for led in reps:
            in_year = (led[col] >= lo) & (led[col] < hi)
            if col == "t_arrival":
                same += float(in_year.sum())
                carry += float((project_states(led, lo) == "appraisal").sum())
            else:
                signed_this_year = led["t_signed"] >= lo
                same += float((in_year & signed_this_year).sum())
                carry += float((in_year & ~signed_this_year).sum())
        n = len(reps)
        rows.append({"stage": en, "label_zh": zh, "label_en": en, "same_year": same / n, "carry_over": carry / n})
    table = pd.DataFrame(rows)
    table["total"] = table["same_year"] + table["carry_over"]
    return table


def year_end_states(ledgers: pd.DataFrame, window: YearWindow) -> pd.DataFrame:
    """Where the target year's signings stand on 31 December (per replication).

    Returns
    -------
    DataFrame
        ``state, projects`` for every state of :data:`analysis.states.STATES`.
    """
    counts = pd.Series(0.0, index=list(STATES))
    reps = _replications(ledgers)
    for led in reps:
        signed = led[(led["t_signed"] >= window.start_day) & (led["t_signed"] < window.end_day)]
        states = project_states(signed, window.end_day - 1e-9)
        counts = counts.add(states.value_counts().reindex(counts.index, fill_value=0), fill_value=0)
    return pd.DataFrame({"state": counts.index, "projects": (counts / len(reps)).to_numpy()})
