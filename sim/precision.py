"""Precision on demand (``run.target_halfwidth``): how many replications are enough.

After each round the runner computes the attainment table of the replications so far
(:func:`attainment_so_far`), reads the widest Wilson 95% half-width of any finite
``p_attain`` (:func:`widest_halfwidth`) and, while it is above the target, asks
:func:`next_replications` how many replications the next round should reach. The next
count depends only on results and configuration (never on ``run.jobs`` or the backend),
so serial and parallel runs stop at the same count with the same tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.attainment import attainment
from analysis.targets import TARGET_KEYS
from sim.config import RunConfig

Z95 = 1.959963984540054  # standard normal quantile of 0.975 (95% two-sided)


def attainment_so_far(year_end: np.ndarray) -> pd.DataFrame:
    """The attainment table of year-end KPI values of shape (n_replications, n_targets)."""
    n, k = year_end.shape
    kpis = pd.DataFrame(
        {
            "replication": np.repeat(np.arange(n), k),
            "target": np.tile(np.asarray(TARGET_KEYS), n),
            "value": year_end.ravel(),
        }
    )
    return attainment(kpis)


def widest_halfwidth(table: pd.DataFrame) -> float:
    """The widest Wilson half-width (probability) over targets with a finite ``p_attain``."""
    h = ((table["p_attain_high"] - table["p_attain_low"]) / 2).to_numpy(dtype=float)
    h = h[np.isfinite(h)]
    return float(h.max()) if h.size else 0.0


def next_replications(table: pd.DataFrame, n: int, run: RunConfig) -> int:
    """Replications the next round should reach.

    A normal-approximation estimate ``z^2 p (1 - p) / h^2`` of the count that meets
    ``run.target_halfwidth`` for the least certain target, at least one chunk more than
    ``n``, rounded up to whole chunks, and never above ``run.max_replications``.
    """
    p = table["p_attain"].to_numpy(dtype=float)
    p = p[np.isfinite(p)]
    worst = float((p * (1 - p)).max()) if p.size else 0.0
    needed = math.ceil(Z95**2 * worst / run.target_halfwidth**2)
    target = math.ceil(max(n + run.chunk_size, needed) / run.chunk_size) * run.chunk_size
    return min(target, run.max_replications)
