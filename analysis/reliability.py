"""Is a per-project probability honest? Brier score, reliability curve and a stage baseline.

Pure functions on a table of forecasts with known outcomes (one row per project: ``p`` the
forecast probability, ``y`` 1 if it happened, ``city`` which simulated city it belongs to,
``stage`` and ``days_in_stage`` what a planner sees in the ledger). Used by the watch list's
calibration on simulated cities (:mod:`sim.experiments.watch_calibration`, issue 25).

The baseline knows only the stage and the days in it: the share of projects in the same
stage and days-in-stage bin that started by the year end, counted on the *other* cities
(leave one city out), so it is an honest out-of-sample rule a planner could apply from
history.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Days-in-stage bins of the baseline (days; the last is open): a month, a quarter, half a
# year, a year, two years. Assumption: a planner's reading of "new", "a while", "stuck".
DAY_BINS: tuple[float, ...] = (0.0, 30.0, 90.0, 180.0, 365.0, 730.0, np.inf)


def brier(p: np.ndarray, y: np.ndarray) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes (lower is better)."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean((p - y) ** 2))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability curve: forecasts in equal-width bins of probability, against what happened.

    Returns one row per non-empty bin: ``bin_low``, ``bin_high``, ``n``, ``mean_p`` (mean
    forecast), ``observed`` (share that happened) and ``se`` (its binomial standard error at
    the mean forecast, sqrt(p(1-p)/n)). A calibrated forecast has ``observed`` near ``mean_p``.
    """
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        sel = which == b
        n = int(sel.sum())
        if n == 0:
            continue
        mean_p = float(p[sel].mean())
        rows.append(
            {
                "bin_low": edges[b],
                "bin_high": edges[b + 1],
                "n": n,
                "mean_p": mean_p,
                "observed": float(y[sel].mean()),
                "se": float(np.sqrt(max(mean_p * (1 - mean_p), 1e-12) / n)),
            }
        )
    return pd.DataFrame(rows)


def expected_calibration_error(curve: pd.DataFrame) -> float:
    """Mean |observed - mean forecast| over the bins of a reliability curve, weighted by count."""
    w = curve["n"].to_numpy(dtype=float)
    gap = np.abs(curve["observed"].to_numpy(dtype=float) - curve["mean_p"].to_numpy(dtype=float))
    return float((w * gap).sum() / w.sum())


def day_bin(days: np.ndarray, edges: Sequence[float] = DAY_BINS) -> np.ndarray:
    """Index of each days-in-stage value in ``edges``."""
    return np.clip(np.searchsorted(np.asarray(edges), np.asarray(days, dtype=float), side="right") - 1, 0, None)


def stage_baseline(table: pd.DataFrame, edges: Sequence[float] = DAY_BINS) -> np.ndarray:
    """The stage x days-in-stage baseline for every row, fitted on the other cities.

    The share that happened among the other cities' projects of the same stage and
    days-in-stage bin; where that cell is empty, the other cities' share of the same stage,
    then their overall share.
    """
    t = table.assign(_bin=day_bin(table["days_in_stage"].to_numpy(), edges))
    out = np.full(len(t), np.nan)
    for city in t["city"].unique():
        train, test = t[t["city"] != city], (t["city"] == city).to_numpy()
        cell = train.groupby(["stage", "_bin"])["y"].mean()
        stage = train.groupby("stage")["y"].mean()
        overall = float(train["y"].mean())
        rows = t[test]
        keys = list(zip(rows["stage"], rows["_bin"], strict=True))
        out[test] = [
            cell.get(k, stage.get(k[0], overall)) if k in cell.index else stage.get(k[0], overall) for k in keys
        ]
    return out
