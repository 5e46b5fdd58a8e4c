"""Are the watch list's probabilities honest? Simulated cities with known year ends (issue 25).

For each of ``cities`` simulated cities (root seed ``run.seed + k``, one replication each),
the city's planner ledger on ``as_of`` is exported (:mod:`sim.nowcast.export`), the nowcast
restarts from it with other seeds (``run.seed + k + NOWCAST_SEED_OFFSET``) for
``replications`` replications, and each ledger project's P(started by 31 December) from the
watch list is set against what the city itself did by then. Only projects still undecided on
``as_of`` (not started, not dropped) are scored: the others are certain in the ledger.

The baseline knows only each project's stage and days in it: the start share of the same
stage x days-in-stage bin in the *other* cities (:func:`analysis.reliability.stage_baseline`).

``python -m sim.experiments.watch_calibration --cities 6 --replications 30 --out DIR`` writes
``calibration.csv`` (one row per scored project), ``reliability.csv`` (both curves) and
``summary.json`` (Brier scores, expected calibration error, counts) into ``DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.reliability import brier, expected_calibration_error, reliability, stage_baseline
from sim.config.study import NowcastConfig, StudyConfig, calendar_of
from sim.run.options import add_backend_options, backend_overrides
from sim.run.study import run_study
from sim.run.watch import export_city, watch_list

log = logging.getLogger(__name__)

# Seeds of the nowcasts are the city's plus this: no random number is shared with the truth.
NOWCAST_SEED_OFFSET = 1_000_003


def city_forecasts(base: StudyConfig, k: int, *, replications: int, as_of: str, folder: Path) -> pd.DataFrame:
    """City ``k``: its undecided ledger projects' P(started) and whether each started by year end."""
    cfg = replace(base, run=replace(base.run, seed=base.run.seed + k, replications=1, keep_ledgers=1, jobs=1))
    truth = run_study(cfg).ledgers
    path = export_city(truth, cfg, as_of, folder / f"city_{k:02d}_{as_of}.csv")
    now = replace(
        cfg,
        nowcast=NowcastConfig(ledger=str(path), as_of=as_of),
        run=replace(base.run, seed=base.run.seed + k + NOWCAST_SEED_OFFSET, replications=replications, keep_ledgers=0),
    )
    table = watch_list(now, run_study(now).watch)
    year_end = calendar_of(cfg).year_start(cfg.run.target_year + 1)
    started = pd.Series(
        (truth["t_started"].to_numpy(dtype=float) < year_end),
        index=[f"P{int(p):05d}" for p in truth["project"]],  # the exported ledger's names
    )
    live = table[(table["status"] == "forecast") & (table["waiting_in"] != "")]
    return pd.DataFrame(
        {
            "city": k,
            "name": live["name"].to_numpy(),
            "stage": live["stage"].to_numpy(),
            "waiting_in": live["waiting_in"].to_numpy(),
            "days_in_stage": live["days_in_stage"].to_numpy(dtype=float),
            "p": live["p_started"].to_numpy(dtype=float),
            "y": started.reindex(live["name"]).to_numpy(dtype=float),
        }
    )


def calibration(
    base: StudyConfig, *, cities: int, replications: int, as_of: str, folder: Path
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Forecasts of every city, both reliability curves and the summary (Brier, ECE, counts)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for k in range(cities):
        frames.append(city_forecasts(base, k, replications=replications, as_of=as_of, folder=folder))
        log.info("city %d of %d: %d undecided projects scored", k + 1, cities, len(frames[-1]))
    table = pd.concat(frames, ignore_index=True)
    table["baseline"] = stage_baseline(table)
    p, y, b = (table[c].to_numpy(dtype=float) for c in ("p", "y", "baseline"))
    curves = pd.concat(
        [reliability(p, y).assign(forecast="nowcast"), reliability(b, y).assign(forecast="stage_baseline")],
        ignore_index=True,
    )
    by_city = table.groupby("city")
    summary: dict[str, Any] = {
        "as_of": as_of,
        "cities": cities,
        "replications": replications,
        "uncertainty": base.uncertainty.name,
        "projects_scored": len(table),
        "started_share": float(y.mean()),
        "brier_nowcast": brier(p, y),
        "brier_baseline": brier(b, y),
        "brier_climatology": brier(np.full(len(y), y.mean()), y),
        "ece_nowcast": expected_calibration_error(curves[curves["forecast"] == "nowcast"]),
        "ece_baseline": expected_calibration_error(curves[curves["forecast"] == "stage_baseline"]),
        "mean_p_minus_observed": float(p.mean() - y.mean()),
        "brier_nowcast_by_city": [brier(g["p"].to_numpy(), g["y"].to_numpy()) for _, g in by_city],
        "brier_baseline_by_city": [brier(g["baseline"].to_numpy(), g["y"].to_numpy()) for _, g in by_city],
    }
    return table, curves, summary


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.experiments.watch_calibration``: score the watch list on simulated cities."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.experiments.watch_calibration",
        description="Calibration of the watch list's P(started) on simulated cities: Brier, reliability, baseline",
    )
    parser.add_argument("--cities", type=int, default=6, help="simulated cities (one truth each)")
    parser.add_argument("--replications", type=int, default=30, help="nowcast replications per city")
    parser.add_argument("--as-of", default="2023-06-30", help="ledger date (ISO)")
    parser.add_argument("--uncertainty", default="none", help="uncertainty group: none (luck only) or evidence")
    add_backend_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="folder for the ledgers and the tables")
    args = parser.parse_args(argv)
    from sim.compose import compose_study

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    base = compose_study(["run=smoke", f"uncertainty={args.uncertainty}", *backend_overrides(args)])
    table, curves, summary = calibration(
        base, cities=args.cities, replications=args.replications, as_of=args.as_of, folder=args.out
    )
    table.to_csv(args.out / "calibration.csv", index=False, encoding="utf-8-sig")
    curves.to_csv(args.out / "reliability.csv", index=False)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    sys.stdout.write(json.dumps(summary, indent=2) + "\n" + curves.to_string(index=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
