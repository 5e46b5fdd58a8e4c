"""Timing of ``python -m sim.ledger check`` on an office's ledger of 1,000 rows (issue 12: ≤ 2 s).

The ledger is a simulated city's, exported on 30 June 2023 in an office's layout
(:func:`sim.ledger.office.write_office_ledger`: title, unit row, county blocks with 小计, 合计),
its first ``rows`` projects, as CSV and as XLSX. The time is the wall time of the whole
command in a fresh interpreter (start-up and imports included), best of ``tries``.
``python -m bench.ledger_check`` measures only this figure.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.measures import Figure
from bench.study import compose_study
from cityplan.units import UNIT_KEYS
from sim.config.study import calendar_of
from sim.ledger.io import from_model
from sim.ledger.office import write_office_ledger
from sim.run.study import run_study

AS_OF = "2023-06-30"
GOAL_S = 2.0  # issue 12: "previews a file in under 2 seconds for 1,000 rows"


def office_ledgers(folder: Path, rows: int) -> list[Path]:
    """A simulated city's ledger on ``AS_OF``, its first ``rows`` projects, as office CSV and XLSX."""
    cfg = compose_study(["run=smoke", "run.replications=1"])
    c = cfg.model.construction
    frame = from_model(
        run_study(cfg).ledgers,
        calendar_of(cfg),
        AS_OF,
        realisation=c.spend_realisation_share,
        curve=(c.spend_curve_a, c.spend_curve_b),
    ).head(rows)
    frame["unit"] = np.array([*UNIT_KEYS, ""], dtype=object)[np.arange(len(frame)) % (len(UNIT_KEYS) + 1)]
    return [write_office_ledger(frame, folder / f"office_{rows}{suffix}") for suffix in (".csv", ".xlsx")]


def ledger_check(rows: int, tries: int) -> list[Figure]:
    """Wall time of ``python -m sim.ledger check`` on a CSV and an XLSX of ``rows`` projects."""
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in office_ledgers(Path(tmp), rows):
            times, cpu = [], []
            for _ in range(tries):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                command = [sys.executable, "-m", "sim.ledger", "check", str(path), "--as-of", AS_OF]
                subprocess.run(command, capture_output=True, check=True)
                times.append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            name = f"python -m sim.ledger check, {rows:,} rows {path.suffix[1:].upper()} (best of {tries})"
            # CPU seconds: what the wall time would be on an idle core (a shared machine inflates wall)
            detail = {"all_s": times, "cpu_s": cpu}
            figures.append(Figure(name, min(times), "s", goal=GOAL_S, at_least=False, detail=detail))
    return figures


if __name__ == "__main__":
    for figure in ledger_check(1000, 3):
        cpu = min(figure.detail["cpu_s"])
        print(f"{figure.name}: {figure.value:.2f} s wall, {cpu:.2f} s CPU (goal ≤ {figure.goal} s, met: {figure.met})")
