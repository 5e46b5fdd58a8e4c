"""Warm-up check of industrial investment and signing timing (issue 23 items 6-7).

For each replication of a study (default: status quo, point values), prints by year
2019-2023: industrial investment as counted (规上工业投资, :func:`cityplan.counting.industrial_investment`,
with retrofits) and its growth; industrial >= 1亿 signings and their Q4 share; industrial >= 1亿
starts; the same-year start rate of industrial >= 1亿 signings. Evidence beside it:
calibration.md §7 and §9 (industrial investment +>10% a year in 2021 and 2022, weak), §1
(monthly pace flat after a weak January), §3 (same-year start rates).

Usage::

    python -m bench.warmup_investment [--replications 40] [override ...]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from operator import attrgetter

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from cityplan.counting import industrial_investment, kpi_window_of
from sim.compose import compose_study
from sim.config.study import StudyConfig
from sim.run.parameters import with_parameters
from sim.run.replication import ledger_frame, simulate


def year_rows(cfg: StudyConfig, replication: int) -> list[dict[str, float]]:
    """One row per simulated year of one replication."""
    cfg = with_parameters(cfg, replication)
    system, retrofits = simulate(cfg, replication)
    ledger = ledger_frame(system)
    cal = Calendar(cfg.run.first_year, cfg.run.target_year)
    rows = []
    ind = (ledger["sector"] == "industrial") & (ledger["investment_yi"] >= 1.0)
    signed, started = ledger["t_signed"].to_numpy(float), ledger["t_started"].to_numpy(float)
    for year in range(cfg.run.first_year, cfg.run.target_year + 1):
        window = kpi_window_of(cal, year, lambda path: attrgetter(path)(cfg))
        lo, q4, hi = (cal.day_of(d) for d in (f"{year}-01-01", f"{year}-10-01", f"{year + 1}-01-01"))
        in_year = ind.to_numpy() & (signed >= lo) & (signed < hi)
        n = in_year.sum()
        rows.append(
            {
                "replication": replication,
                "year": year,
                "industrial_investment_yi": float(industrial_investment(ledger, retrofits, window)[-1]),
                "signed_ind_1e8": float(n),
                "q4_share": float((in_year & (signed >= q4)).sum() / n) if n else np.nan,
                "started_ind_1e8": float((ind.to_numpy() & (started >= lo) & (started < hi)).sum()),
                "same_year_rate": float((in_year & (started < hi)).sum() / n) if n else np.nan,
            }
        )
    return rows


def main() -> None:
    """Print the table (means over replications)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    scenario = [] if any(o.startswith("scenario=") for o in args.overrides) else ["scenario=status_quo"]
    overrides = ["uncertainty=none", *scenario, *args.overrides]
    cfg = compose_study(overrides)
    cfg = replace(cfg, run=replace(cfg.run, replications=args.replications))
    frame = pd.DataFrame([row for r in range(args.replications) for row in year_rows(cfg, r)])
    table = frame.groupby("year").mean().drop(columns="replication")
    table["investment_growth"] = table["industrial_investment_yi"].pct_change()
    table["signing_growth"] = table["signed_ind_1e8"].pct_change()
    pd.set_option("display.width", 200)
    print("overrides:", " ".join(overrides), f"replications={args.replications}")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
