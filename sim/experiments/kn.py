"""Ranking and selection: the KN procedure (Kim and Nelson 2001) and a feasibility check.

:func:`kn_select` is Kim and Nelson's fully sequential procedure for selecting the cell with the
largest mean when the simulation is noisy. After ``n0`` replications of every cell it estimates
the variance of each *paired* difference ``X_i - X_l`` (replication ``r`` of every cell shares
the same random numbers, so the differences are far less variable than the cells themselves),
then adds replications in batches only to cells still in contention. Cell ``i`` leaves when its
mean falls below another's by more than the shrinking allowance

    W_il(r) = max(0, delta / (2 r) * (h^2 S_il^2 / delta^2 - r)),
    h^2 = 2 eta (n0 - 1),  eta = ((2 alpha / (k - 1))^(-2 / (n0 - 1)) - 1) / 2,

with ``alpha = 1 - pcs``. If the best cell's mean exceeds every other's by at least ``delta``,
the cell left is the best with probability >= ``pcs`` (Kim and Nelson 2001, *ACM TOMACS* 11(3),
theorem 1; the proof needs normal observations and is conservative when the check runs less often,
so checking after every replication of a batch keeps it). A cap ``max_replications`` per cell
may stop the procedure early; cells still in contention are then reported ``tied``.

:func:`stein_fixed_size` is the fixed design with the same guarantee used for comparison (Stein's
two-stage sample size with a Bonferroni split over the ``k - 1`` comparisons with the best), and
:func:`feasibility_check` answers "the cheapest candidate whose P(attain) >= p*" with sequential
Clopper–Pearson bounds (Bonferroni over candidates and looks).

Everything here is pure numpy/scipy: a *sampler* ``(cells, first, n) -> (len(cells), n)`` gives
the values of replications ``first .. first + n - 1`` of each cell, the same replication index on
the same random numbers in every cell (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

Sampler = Callable[[list[int], int, int], np.ndarray]
MIN_CELLS = 2  # a selection needs two cells; a variance needs two replications
HALF = 0.5  # pcs must beat a coin toss


def kn_h2(k: int, n0: int, pcs: float) -> float:
    """KN's constant ``h^2`` for ``k`` cells, first stage ``n0`` and probability ``pcs``."""
    alpha = 1.0 - pcs
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def pair_variances(first: np.ndarray, *, paired: bool) -> np.ndarray:
    """(k x k) variances of ``X_i - X_l`` from the first-stage data (k x n0).

    ``paired`` uses the differences replication by replication (common random numbers);
    otherwise the cells are independent and the variances add.
    """
    if paired:
        diff = first[:, None, :] - first[None, :, :]
        return np.var(diff, axis=2, ddof=1)
    var = np.var(first, axis=1, ddof=1)
    return var[:, None] + var[None, :]


def stein_fixed_size(
    first: np.ndarray, pcs: float, delta: float, *, paired: bool = True, cells: int | None = None
) -> int:
    """Replications per cell of a fixed design with the same guarantee as :func:`kn_select`.

    Stein's two-stage size ``max(n0, ceil(t^2 max S_il^2 / delta^2))`` with ``t`` the
    ``1 - alpha / (k - 1)`` quantile of Student's t on ``n0 - 1`` degrees of freedom: every
    comparison of the best with another cell at least ``delta`` worse is right with probability
    >= ``1 - alpha / (k - 1)``, so all are with probability >= ``pcs`` (Bonferroni). ``cells``
    replaces ``k`` (e.g. every package, with the variances of a shortlist's first stage).
    """
    k, n0 = first.shape
    k = cells or k
    t = stats.t.ppf(1.0 - (1.0 - pcs) / max(k - 1, 1), n0 - 1)
    s2 = pair_variances(first, paired=paired)
    return int(max(n0, np.ceil(t**2 * s2.max() / delta**2)))


@dataclass(frozen=True)
class Selection:
    """Outcome of :func:`kn_select`: per cell the data used and its status."""

    table: pd.DataFrame  # cell, replications, mean, ci_low, ci_high, status
    best: int
    total_replications: int
    fixed_design_replications: int  # k x stein_fixed_size: a fixed design with the same guarantee
    h2: float
    pcs: float
    delta: float
    paired: bool
    first_stage: np.ndarray  # (k x n0) values of the first stage (variances for fixed-design comparisons)


def in_replications(sel: Selection, per_observation: int) -> Selection:
    """``sel`` with its counts in replications when each observation is the mean of ``per_observation``.

    (The observation of :mod:`sim.experiments.select` is a draw of the uncertain inputs, the mean of the
    replications sharing it.)
    """
    if per_observation == 1:
        return sel
    table = sel.table.assign(replications=sel.table["replications"] * per_observation)
    return replace(
        sel,
        table=table,
        total_replications=sel.total_replications * per_observation,
        fixed_design_replications=sel.fixed_design_replications * per_observation,
    )


def _screen(sums: np.ndarray, alive: list[int], r: int, s2: np.ndarray, h2: float, delta: float) -> list[int]:
    """One KN screening step at stage ``r``: the cells of ``alive`` that survive."""
    a = np.asarray(alive)
    means = sums[a] / r
    w = np.maximum(0.0, delta / (2 * r) * (h2 * s2[np.ix_(a, a)] / delta**2 - r))  # W_ii = 0
    beaten = (means[:, None] < means[None, :] - w).any(axis=1)
    return [int(i) for i in a[~beaten]]


def kn_select(
    sampler: Sampler,
    k: int,
    *,
    pcs: float = 0.95,
    delta: float,
    n0: int = 10,
    batch: int = 5,
    max_replications: int | None = None,
    paired: bool = True,
    first_replication: int = 0,
) -> Selection:
    """Select the cell with the largest mean by KN; batches go only to cells in contention.

    Parameters
    ----------
    sampler
        ``(cells, first, n) -> values (len(cells), n)`` for replications ``first..first+n-1``.
    k
        Number of cells (>= 2).
    pcs
        Probability of correct selection to guarantee (0.5 < pcs < 1).
    delta
        Indifference zone, in the unit of the values: differences below it do not matter.
    n0
        First-stage replications of every cell (>= 2).
    batch
        Replications added at a time to each surviving cell.
    max_replications
        Cap per cell; survivors at the cap are ``tied`` (``None``: no cap).
    paired
        Use the variance of paired differences (common random numbers); ``False`` treats the
        cells as independent (variances add).
    first_replication
        Index of the first replication to use (e.g. after those a screen used).
    """
    if k < MIN_CELLS or not HALF < pcs < 1 or delta <= 0 or n0 < MIN_CELLS or batch < 1:
        raise ValueError(
            f"kn_select: need k >= 2, 0.5 < pcs < 1, delta > 0, n0 >= 2, batch >= 1; got {k}, {pcs}, "
            f"{delta}, {n0}, {batch}"
        )
    h2 = kn_h2(k, n0, pcs)
    data: list[list[float]] = [[] for _ in range(k)]
    first = np.asarray(sampler(list(range(k)), first_replication, n0), dtype=float)
    for i in range(k):
        data[i].extend(first[i])
    s2 = pair_variances(first, paired=paired)
    r = n0
    sums = first.sum(axis=1)
    alive = _screen(sums, list(range(k)), r, s2, h2, delta)
    # After N = h^2 max S_il^2 / delta^2 replications every W_il is 0 and KN compares plain means;
    # cells still together then have identical means (e.g. levers that do not touch this target).
    natural_end = int(np.ceil(h2 * s2.max() / delta**2)) + 1
    cap = min(max_replications, natural_end) if max_replications is not None else natural_end
    while len(alive) > 1 and r < cap:
        n = int(min(batch, cap - r))
        new = np.asarray(sampler(alive, first_replication + r, n), dtype=float)
        in_batch = list(alive)
        for row, i in enumerate(in_batch):
            data[i].extend(new[row])
        for step in range(n):  # check after every replication of the batch
            sums[in_batch] += new[:, step]
            alive = _screen(sums, alive, r + step + 1, s2, h2, delta)
            if len(alive) == 1:
                break
        r += n
    table = _selection_table(data, alive, pcs)
    best = int(table.loc[table["status"] == "best", "cell"].iloc[0])
    return Selection(
        table=table,
        best=best,
        total_replications=int(table["replications"].sum()),
        fixed_design_replications=k * stein_fixed_size(first, pcs, delta, paired=paired),
        h2=h2,
        pcs=pcs,
        delta=delta,
        paired=paired,
        first_stage=first,
    )


def _selection_table(data: list[list[float]], alive: list[int], pcs: float) -> pd.DataFrame:
    n = np.array([len(d) for d in data])
    mean = np.array([np.mean(d) for d in data])
    half = stats.t.ppf(0.5 + pcs / 2, n - 1) * np.array([np.std(d, ddof=1) for d in data]) / np.sqrt(n)
    leader = max(alive, key=lambda i: float(mean[i]))
    status = ["best" if i == leader else "tied" if i in alive else "eliminated" for i in range(len(data))]
    return pd.DataFrame(
        {
            "cell": range(len(data)),
            "replications": n,
            "mean": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "status": status,
        }
    )


def feasibility_check(
    sampler: Sampler,
    k: int,
    *,
    p_star: float,
    pcs: float = 0.95,
    batch: int = 20,
    max_replications: int = 400,
    first_replication: int = 0,
) -> pd.DataFrame:
    """Check candidates in order (cheapest first) for P(attain) >= ``p_star``; stop at the first feasible.

    Each candidate gets batches of replications (the sampler returns 0/1 attainment) until its
    Clopper–Pearson bound decides: lower bound >= ``p_star`` is ``feasible``, upper bound
    < ``p_star`` is ``infeasible``; at ``max_replications`` it is ``undecided``. Each bound has
    level ``1 - alpha / (k L)`` with ``L`` the most looks a candidate can get, so all decisions
    are right together with probability >= ``pcs`` (Bonferroni). Candidates after the first
    feasible one are ``not_needed``.

    Returns
    -------
    DataFrame
        cell, replications, p_attain, ci_low, ci_high (at the Bonferroni level), status.
    """
    looks = int(np.ceil(max_replications / batch))
    level = (1.0 - pcs) / (k * looks)
    rows: list[dict[str, object]] = []
    found = False
    for i in range(k):
        if found:
            rows.append(
                {
                    "cell": i,
                    "replications": 0,
                    "p_attain": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "status": "not_needed",
                }
            )
            continue
        hits, n, status = 0, 0, "undecided"
        low, high = 0.0, 1.0
        while n < max_replications:
            m = min(batch, max_replications - n)
            hits += int(np.asarray(sampler([i], first_replication + n, m)).sum())
            n += m
            low, high = clopper_pearson(hits, n, level)
            if low >= p_star:
                status = "feasible"
                break
            if high < p_star:
                status = "infeasible"
                break
        found = status == "feasible"
        rows.append(
            {"cell": i, "replications": n, "p_attain": hits / n, "ci_low": low, "ci_high": high, "status": status}
        )
    return pd.DataFrame(rows)


def clopper_pearson(hits: int, n: int, alpha: float) -> tuple[float, float]:
    """Exact one-sided bounds at level ``1 - alpha`` each (lower, upper) for ``hits`` of ``n``."""
    low = 0.0 if hits == 0 else float(stats.beta.ppf(alpha, hits, n - hits + 1))
    high = 1.0 if hits == n else float(stats.beta.ppf(1 - alpha, hits + 1, n - hits))
    return low, high


def claim(names: Sequence[str], sel: Selection, target: str) -> str:
    """The selection's result in words (English), with its guarantee and the replications spent."""
    t = sel.table
    best = names[sel.best]
    tied = [names[i] for i in t.index[t["status"] == "tied"]]
    out = [f"Best for {target}: {best} (mean {float(t['mean'].iloc[sel.best]):.4g})."]
    how = "paired differences under common random numbers" if sel.paired else "independent cells"
    if tied:
        out.append(f"Not separable from it within delta = {sel.delta:g} at the replication cap: {', '.join(tied)}.")
    else:
        out.append(
            f"If the best cell's mean exceeds every other's by at least delta = {sel.delta:g}, the cell named "
            f"is the best with probability >= {sel.pcs:g} (KN, {how})."
        )
    out.append(
        f"Eliminated: {', '.join(names[i] for i in t.index[t['status'] == 'eliminated']) or 'none'}. "
        f"Replications spent: {sel.total_replications} (a fixed design with the same guarantee: "
        f"{sel.fixed_design_replications})."
    )
    return " ".join(out)
