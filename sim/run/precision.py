"""Precision on demand (``run.target_halfwidth``): how many replications are enough.

Candidate counts are ``run.replications``, then one more chunk at a time
(``+ run.chunk_size``), and ``run.max_replications`` as the last. After each round the
runner asks :func:`enough` for the smallest candidate, among those computed, at which every
finite ``p_attain`` has a Wilson 95% half-width at most the target; the tables then hold
exactly that many replications (a round may have computed a few more; they stay in the
parts). If none is enough, :func:`next_count` says how far the next round should go: a
normal-approximation estimate, never more than the worst case p = 1/2 needs. Both depend
only on results and configuration (never on ``run.jobs`` or the backend), so serial and
parallel runs stop at the same count with the same tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.attainment import Z95, wilson_halfwidth
from cityplan.schema import PlanConfig
from sim.config.run import RunConfig


@dataclass(frozen=True)
class Goals:
    """The plan's goals in the KPI matrix's row order, and which rows are ``at_most``."""

    goal: np.ndarray
    at_most: np.ndarray

    @classmethod
    def of(cls, plan: PlanConfig) -> Goals:
        """The city-wide targets of ``plan``, in plan order."""
        specs = list(plan.targets.values())
        return cls(np.array([t.goal for t in specs], dtype=float), np.array([t.direction == "at_most" for t in specs]))

    def hits(self, year_end: np.ndarray) -> np.ndarray:
        """Finite values that reach their goal (NaN never does)."""
        finite = np.isfinite(year_end)
        v = np.where(finite, year_end, 0.0)
        return finite & np.where(self.at_most, v <= self.goal, v >= self.goal)


def prefix_halfwidths(year_end: np.ndarray, counts: list[int], goals: Goals) -> np.ndarray:
    """Widest finite Wilson half-width over targets using the first ``c`` replications, per ``c``.

    Parameters
    ----------
    year_end
        Year-end KPI values, shape (n_replications, n_targets) in the plan's order.
    counts
        Prefix lengths (each <= n_replications).
    goals
        The plan's goals in the same order.
    """
    finite = np.isfinite(year_end)
    hit = goals.hits(year_end)
    cum_n = np.vstack([np.zeros((1, year_end.shape[1])), np.cumsum(finite, axis=0)])
    cum_hit = np.vstack([np.zeros((1, year_end.shape[1])), np.cumsum(hit, axis=0)])
    idx = np.asarray(counts, dtype=int)
    h = wilson_halfwidth(cum_hit[idx], cum_n[idx])
    h = np.where(np.isfinite(h), h, -np.inf).max(axis=1)
    return np.where(np.isfinite(h), h, 0.0)


def candidates(run: RunConfig) -> list[int]:
    """Replication counts a precise run may stop at, ascending."""
    steps = range(run.replications, run.max_replications, run.chunk_size)
    return [*steps, run.max_replications]


def enough(year_end: np.ndarray, run: RunConfig, goals: Goals) -> tuple[int, float] | None:
    """The smallest computed count meeting ``run.target_halfwidth``, with its widest half-width.

    None if no candidate count computed so far is enough.
    """
    counts = [c for c in candidates(run) if c <= year_end.shape[0]]
    widest = prefix_halfwidths(year_end, counts, goals)
    ok = np.flatnonzero(widest <= run.target_halfwidth)
    return (counts[ok[0]], float(widest[ok[0]])) if ok.size else None


def next_count(year_end: np.ndarray, run: RunConfig, goals: Goals) -> int:
    """How many replications the next round should reach (a candidate count).

    The normal-approximation count ``z^2 p (1 - p) / h^2`` for the least certain target
    (at most what p = 1/2 needs), at least one chunk more than now, and never above
    ``run.max_replications``.
    """
    n = year_end.shape[0]
    finite = np.isfinite(year_end)
    hits = goals.hits(year_end).sum(axis=0)
    valid = finite.sum(axis=0) > 0
    p = hits[valid] / finite.sum(axis=0)[valid]
    worst = float((p * (1 - p)).max()) if p.size else 0.0
    needed = math.ceil(Z95**2 * worst / run.target_halfwidth**2)
    wanted = max(n + 1, needed)
    return next(c for c in candidates(run) if c >= wanted or c == run.max_replications)
