"""Where each project stands on a given day, from its ledger row (the pipeline funnel)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Lifecycle milestones in order; each later one implies the earlier ones happened.
CHAIN: tuple[str, ...] = ("arrival", "signed", "procedures", "started", "completed")

STATES: tuple[str, ...] = (
    "appraisal",  # arrived, not yet decided (前期研判)
    "rejected",  # screened out
    "resigned",  # a re-signing of a project signed before (counted once, as the first signing)
    "signed",  # signed, preparing (签约)
    "procedures",  # in procedures (手续)
    "walked",  # investor left while waiting
    "building",  # under construction (在建)
    "completed",  # completed, not registered (竣工)
    "registered",  # registered enterprise (列统)
)


def project_states(ledger: pd.DataFrame, day: float) -> pd.Series:
    """State of every project that has arrived by ``day`` (one of :data:`STATES`).

    Parameters
    ----------
    ledger
        Project ledger with ``t_<milestone>`` columns in model days.
    day
        Model day at which to read the pipeline.
    """
    arrived = ledger[ledger["t_arrival"] <= day]

    def reached(col: str) -> np.ndarray:
        return (arrived[col] <= day).to_numpy()

    conditions = [
        reached("t_rejected"),
        reached("t_resigned") if "t_resigned" in arrived else np.zeros(len(arrived), bool),
        reached("t_walked"),
        reached("t_registered"),
        reached("t_completed"),
        reached("t_started"),
        reached("t_procedures"),
        reached("t_signed"),
    ]
    choices = ["rejected", "resigned", "walked", "registered", "completed", "building", "procedures", "signed"]
    return pd.Series(np.select(conditions, choices, default="appraisal"), index=arrived.index, name="state")


def chain_violations(ledger: pd.DataFrame) -> pd.DataFrame:
    """Rows whose milestones contradict each other (should be empty).

    Checks: milestones along :data:`CHAIN` never go back in time; a rejected lead is never
    signed; a project whose investor walked never starts; no start before signing; quota
    granted before land delivered; registration only after completion.
    """
    bad = np.zeros(len(ledger), dtype=bool)
    cols = [f"t_{m}" for m in CHAIN]
    times = ledger[cols].to_numpy(dtype=float)
    for i in range(1, len(cols)):
        later, earlier = times[:, i], times[:, i - 1]
        bad |= np.isfinite(later) & ~(earlier <= later)
    t = {c: ledger[c].to_numpy(dtype=float) for c in ledger.columns if c.startswith("t_")}
    bad |= np.isfinite(t["t_rejected"]) & np.isfinite(t["t_signed"])
    bad |= np.isfinite(t["t_walked"]) & np.isfinite(t["t_started"])
    bad |= np.isfinite(t["t_land"]) & ~(t["t_land_granted"] <= t["t_land"])
    bad |= np.isfinite(t["t_registered"]) & ~(t["t_completed"] <= t["t_registered"])
    bad |= np.isfinite(t["t_output"]) & ~(t["t_completed"] <= t["t_output"])
    return ledger[bad]
