"""Reference tables of a few small runs, saved to check that speed changes leave results identical.

Issue 13: every speed change must give the same tables for the same seed. For each case below
the file ``tests/data/reference/<case>.npz`` holds, for replications 0..REPLICATIONS-1, the
monthly KPI matrix of every plan row, and for replication 0 the whole project ledger (every
milestone time, wait, quota and attribute of every lead that came) and the resource log.

Regenerate (only after a deliberate model change, saying which and why in the commit)::

    .venv/bin/python -m tests.reference_tables

``tests/test_reference_tables.py`` recomputes each case and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.run.replication import run_replication
from tests.conftest import ROOT, compose_study

REFERENCE_DIR = Path(__file__).resolve().parent / "data" / "reference"
REPLICATIONS = 2
# Hydra overrides of each case (on top of run=smoke): status quo and plan, with point values
# and with the default priors (evidence), the two levers that change the queues' rules most,
# and a nowcast from the example ledger.
CASES: dict[str, list[str]] = {
    "status_quo_none": ["policy=status_quo", "uncertainty=none"],
    "plan_none": ["policy=plan", "uncertainty=none"],
    "status_quo_evidence": ["policy=status_quo", "uncertainty=evidence"],
    "plan_evidence": ["policy=plan", "uncertainty=evidence"],
    "ready_to_build": ["policy=ready_to_build", "uncertainty=none"],
    "differentiated_supply": ["policy=differentiated_supply", "uncertainty=none"],
    "nowcast": [
        "policy=plan",
        "uncertainty=none",
        f"nowcast.ledger={ROOT / 'data' / 'ledger_template.csv'}",
        "nowcast.as_of=2023-06-30",
    ],
}


def case_tables(case: str) -> dict[str, np.ndarray]:
    """Run ``case`` and return its tables as named arrays (columns of the frames flattened)."""
    cfg = compose_study(["run=smoke", *CASES[case]])
    out: dict[str, np.ndarray] = {}
    kpis = []
    for r in range(REPLICATIONS):
        result = run_replication(cfg, r, keep_ledger=r == 0)
        kpis.append(result.kpis)
        if r == 0:
            assert result.ledger is not None
            assert result.resources is not None
            out |= _flatten("ledger", result.ledger)
            out |= _flatten("resources", result.resources)
    out["kpis"] = np.stack(kpis)
    return out


def _flatten(prefix: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One array per column, named ``<prefix>.<column>``; text as fixed-width unicode."""
    cols = {}
    for name in frame.columns:
        values = frame[name].to_numpy()
        cols[f"{prefix}.{name}"] = values.astype(str) if values.dtype == object else values
    return cols


def load_case(case: str) -> dict[str, np.ndarray]:
    """The saved reference tables of ``case``."""
    with np.load(REFERENCE_DIR / f"{case}.npz") as data:
        return {k: data[k] for k in data.files}


def write_all(cases: list[str]) -> None:
    """Recompute and save the reference tables of ``cases``."""
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    for case in cases:
        np.savez_compressed(REFERENCE_DIR / f"{case}.npz", **case_tables(case))  # type: ignore[arg-type]


if __name__ == "__main__":
    write_all(sys.argv[1:] or list(CASES))
