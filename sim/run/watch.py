"""The watch list of a nowcast run (issue 25): the ledger's projects, their outcomes, the table.

Joins what the ledger says of each project on ``as_of`` (:func:`sim.nowcast.watch.watch_projects`)
and the rows the reader refused with every replication's outcomes (``StudyResult.watch``) into
:func:`analysis.watchlist.watch_table`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.watchlist import watch_table
from sim.config.study import StudyConfig, calendar_of, kpi_window
from sim.nowcast.export import planner_ledger
from sim.nowcast.read import load_model_ledger, read_ledger_file, source_rows
from sim.nowcast.watch import refused_projects, watch_projects


def ledger_projects(cfg: StudyConfig) -> pd.DataFrame:
    """What the nowcast's ledger says of each project on ``as_of`` (:func:`watch_projects`)."""
    now = cfg.nowcast
    ledger = load_model_ledger(now.ledger, now.as_of, cfg.run.first_year, now.strict)
    as_of_day = calendar_of(cfg).day_of(now.as_of) + 1.0
    rows = source_rows(now.ledger, now.as_of, now.strict)
    return watch_projects(ledger, cfg.plan, kpi_window(cfg), as_of_day, rows)


def watch_list(cfg: StudyConfig, outcomes: pd.DataFrame) -> pd.DataFrame:
    """One line per ledger project (forecast) and per refused row (not forecast)."""
    now = cfg.nowcast
    cal = calendar_of(cfg)
    projects = ledger_projects(cfg)
    refused = refused_projects(read_ledger_file(now.ledger, now.as_of, now.strict))
    return watch_table(
        outcomes,
        projects,
        year_end_day=cal.year_start(cfg.run.target_year + 1),
        origin_year=cfg.run.first_year,
        plan=cfg.plan,
        refused=refused,
    )


def export_city(truth: pd.DataFrame, cfg: StudyConfig, as_of: str, path: Path) -> Path:
    """A simulated city's planner ledger on ``as_of`` (its kept replication 0), for a nowcast of known truth."""
    return planner_ledger(truth[truth["replication"] == 0], cfg, as_of, path)
