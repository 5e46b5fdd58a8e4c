"""A simulated city's planner ledger on a date: what an office would have sent (issue 7).

The truth behind a nowcast test: :func:`planner_ledger` turns a replication's project ledger
(model days) into the template's planner ledger as it stood on ``as_of`` (later milestones
blank), written to a new CSV or XLSX file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.config.study import StudyConfig, calendar_of
from sim.ledger.io import from_model, write_ledger


def planner_ledger(model_ledger: pd.DataFrame, cfg: StudyConfig, as_of: str, path: Path) -> Path:
    """Write one replication's ledger as a planner's ledger on ``as_of`` to ``path`` (never overwrites)."""
    c = cfg.model.construction
    frame = from_model(
        model_ledger,
        calendar_of(cfg),
        as_of,
        realisation=c.spend_realisation_share,
        curve=(c.spend_curve_a, c.spend_curve_b),
    )
    return write_ledger(frame, path)
